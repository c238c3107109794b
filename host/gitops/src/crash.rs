//! Named points where the crash-safety tests stop a real `aiops` process with SIGKILL.
//!
//! `AIOPS_CRASH_AT=<point>` in the environment makes the process kill itself (SIGKILL:
//! no destructor, no rollback) when it reaches that point; unset, a point does nothing.
//! The points sit between the steps whose order makes remediation crash-safe.

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

/// The environment variable naming the point to crash at.
pub const ENV: &str = "AIOPS_CRASH_AT";

/// Kills the process with SIGKILL when `AIOPS_CRASH_AT` names `point`.
pub fn point(point: &str) {
    if std::env::var(ENV).ok().as_deref() != Some(point) {
        return;
    }
    tracing::warn!(point, "{ENV}: killing the process");
    let pid = std::process::id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status();
    // `kill` delivers the signal before it exits; never go past the point.
    loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}
