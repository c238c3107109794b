//! Fixing findings in the IaC source: the pieces `aiops scan --fix` uses today and the
//! GitOps flow will reuse.
//!
//! The story of one fix: [`locate`] finds the files of an IaC repository that define a
//! finding's resource (by its `aiops.io/source` annotation or tag, by where the
//! inventory read it, or by searching the repository); [`choose`] picks the remediator
//! plugin that handles the finding's rule; [`apply`] calls it in the sandbox with the
//! files, checks what it returned (only files it was given, size limits) and keeps the
//! edits in a working copy, so several fixes to one file add up; [`diff`] shows them as
//! a unified diff; [`repo`] keeps every path inside the repository and writes files
//! atomically. A remediator's `cannot-fix` is reported with its reason, never guessed
//! around.

pub mod apply;
pub mod choose;
pub mod diff;
pub mod locate;
pub mod repo;
pub mod run;

pub use aiops_core::FixStatus;
pub use apply::{FileChange, FixLimits, Fixer};
pub use locate::{Located, Locator, SOURCE_ANNOTATION};
pub use repo::{IacRepo, RepoError};
pub use run::{FixRun, FixedFinding, fix_findings};
