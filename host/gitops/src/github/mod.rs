//! The GitHub provider: pull requests on github.com or GitHub Enterprise Server.

pub mod api;
pub mod config;

pub use api::{Checks, GithubApi, GithubError, MergeResult, PullRequest, Review};
pub use config::{AppConfig, GithubConfig, MergeMethod, RetryConfig};
