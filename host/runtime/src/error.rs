//! Errors of loading and calling plugins. They are data: the registry keeps load
//! errors next to the plugin, and a scan reports call errors under the plugin's name.

use std::path::PathBuf;

/// Why a plugin file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The bytes are not a WebAssembly component (or fail validation).
    #[error("not a valid WebAssembly component: {0}")]
    Invalid(String),
    /// The component imports something the host does not grant.
    #[error("imports `{0}`, which aiops does not grant to plugins")]
    ForbiddenImport(String),
    /// The component exports neither the detector nor the remediator world.
    #[error(
        "exports neither `aiops:plugin/detect` nor `aiops:plugin/remediate` (0.1.x); found exports: {0}"
    )]
    WrongWorld(String),
    /// Instantiation or `info()` failed.
    #[error("info() failed: {0}")]
    Info(#[from] PluginError),
    /// `info()` answered something unusable.
    #[error("info() is invalid: {0}")]
    BadInfo(String),
}

/// Why one call into a plugin failed. The store is dropped after any of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginError {
    /// The call ran past its deadline while running wasm.
    #[error("timed out after {0} ms (CPU deadline)")]
    Timeout(u64),
    /// The call ran past its deadline while the guest waited on the host (a WASI
    /// sleep, poll or read).
    #[error("timed out after {0} ms (wall-clock deadline, waiting in a WASI call)")]
    WallClockTimeout(u64),
    /// The guest tried to grow its memory past the cap.
    #[error("exceeded its memory limit of {0} bytes")]
    MemoryLimit(usize),
    /// The guest trapped (panic, unreachable, out-of-bounds, ...).
    #[error("trapped: {0}")]
    Trap(String),
    /// The guest returned an error.
    #[error("returned an error: {0}")]
    Guest(String),
    /// The guest returned more findings than allowed.
    #[error("returned {got} findings, more than the limit of {limit}")]
    Flood {
        /// Findings returned.
        got: usize,
        /// The limit.
        limit: usize,
    },
    /// The guest's result is larger than the host copies from one call.
    #[error("returned more than {0} bytes of results (the budget of its max_findings)")]
    ResultTooLarge(usize),
    /// The guest's result breaks a size rule (a string or list too long).
    #[error("returned an oversized result: {0}")]
    Oversized(String),
    /// The host could not set up the call.
    #[error("host error: {0}")]
    Host(String),
}
