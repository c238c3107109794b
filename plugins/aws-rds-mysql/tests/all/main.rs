//! The tests of the `aws-rds-mysql` plugin, one test binary (one link) for all.

mod common;
mod config;
mod fixtures;
mod posture;
mod robustness;
mod schema;
mod sizing;
