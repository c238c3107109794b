//! Per-call limits of a plugin: wall-clock deadline, memory cap, captured output size.

use std::time::Duration;

use serde::Deserialize;

/// Limits applied to every call into a plugin. Defaults suit the built-in plugins;
/// the config file overrides them per plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PluginLimits {
    /// Deadline of one call, in milliseconds, of CPU (epoch interruption) and of wall-clock
    /// time (also while the guest waits in a WASI call).
    pub timeout_ms: u64,
    /// Memory a call may grow to, in bytes, all its linear memories together.
    pub memory_bytes: usize,
    /// Guest output kept per call, in bytes: stdout, stderr and `log` together; the rest
    /// is dropped and counted.
    pub output_bytes: usize,
    /// Findings accepted from one call; more fail the call as a flood.
    pub max_findings: usize,
}

impl Default for PluginLimits {
    fn default() -> Self {
        PluginLimits {
            timeout_ms: 10_000,
            memory_bytes: 512 << 20,
            output_bytes: 64 << 10,
            max_findings: 200_000,
        }
    }
}

impl PluginLimits {
    /// The call deadline as a duration.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}
