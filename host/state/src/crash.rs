//! Named points where the crash-safety tests stop a real `aiops` process with SIGKILL.
//!
//! `AIOPS_CRASH_AT=<point>` in the environment makes the process kill itself (SIGKILL:
//! no destructor, no rollback) when it reaches that point; unset, a point does nothing.
//! The stages that write the store (remediation, notification) name their points.

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
