//! GitOps remediation for aiops: every fix becomes a reviewed Git change.
//!
//! - [`policy`] decides, per finding and per group, whether a change may merge at once,
//!   waits for approval, or is not made at all (notify only, protected paths).
//! - [`group`] puts the findings to fix into groups (by resource, finding or file), each
//!   with a stable fingerprint that names its branch, and hashes a group's proposed change
//!   so a later cycle knows when the proposal changed.

pub mod approvals;
pub mod config;
pub mod crash;
pub mod git;
pub mod git_cli;
pub mod github;
pub mod group;
pub mod policy;
pub mod proposal;
pub mod provider;
pub mod remediate;
pub mod workflow;
