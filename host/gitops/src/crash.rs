//! Named points where the crash-safety tests stop a real `aiops` process with SIGKILL
//! (`AIOPS_CRASH_AT=<point>`, see [`aiops_state::crash`]). The points sit between the
//! steps whose order makes remediation crash-safe.

/// After a proposal's commit is made, before it is pushed.
pub const COMMITTED: &str = "gitops.committed";
/// After a proposal's branch is pushed, before the store records it.
pub const PUSHED: &str = "gitops.pushed";
/// After a pull request is opened, before the store records its number.
pub const PR_OPENED: &str = "gitops.pr_opened";
/// After a new proposal is recorded, before the policy approves it.
pub const RECORDED: &str = "gitops.recorded";
/// After an approval is stored, before the merge.
pub const APPROVED: &str = "gitops.approved";
/// After the merge is pushed to base, before the store records it.
pub const MERGED: &str = "gitops.merged";

pub use aiops_state::crash::{ENV, point};
