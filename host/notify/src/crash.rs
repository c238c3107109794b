//! Named points where the crash-safety tests stop a real `aiops` process with SIGKILL
//! (`AIOPS_CRASH_AT=<point>`, see [`aiops_state::crash`]), between the steps whose order makes delivery safe.

/// After a batch of events is routed into messages, before any is sent.
pub const ROUTED: &str = "notify.routed";
/// After a message is sent, before its delivery is recorded.
pub const SENT: &str = "notify.sent";

pub use aiops_state::crash::point;
