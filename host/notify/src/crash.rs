//! Named points where the crash-safety tests stop a real `aiops` process with SIGKILL
//! (`AIOPS_CRASH_AT=<point>`), between the steps whose order makes delivery safe.

/// After a batch of events is routed into messages, before any is sent.
pub const ROUTED: &str = "notify.routed";
/// After a message is sent, before its delivery is recorded.
pub const SENT: &str = "notify.sent";

/// Kills the process with SIGKILL when `AIOPS_CRASH_AT` names `point`.
pub fn point(point: &str) {
    if std::env::var("AIOPS_CRASH_AT").ok().as_deref() != Some(point) {
        return;
    }
    tracing::warn!(point, "AIOPS_CRASH_AT: killing the process");
    let pid = std::process::id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status();
    loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}
