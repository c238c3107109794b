//! The traits a plugin implements and the context the host hands it.
//!
//! Plugin logic only sees [`Context`], never the WIT imports directly, so the same code
//! runs inside wasm (context backed by host imports) and under the native test harness
//! (context backed by memory).

use serde::de::DeserializeOwned;

use crate::model::{Finding, Outcome, PluginInfo, Resource, SourceFile};

/// Log levels a plugin can write at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Very detailed tracing.
    Trace,
    /// Debugging detail.
    Debug,
    /// Normal operation.
    Info,
    /// Something unexpected but handled.
    Warn,
    /// Something failed.
    Error,
}

/// Where a plugin's log events go.
pub trait LogSink {
    /// Writes one event.
    fn write(&self, level: LogLevel, message: &str, fields: &[(&str, &str)]);
}

/// What the host gives a plugin on every call: its config and a logger.
pub struct Context<'a> {
    config_json: String,
    sink: &'a dyn LogSink,
}

impl<'a> Context<'a> {
    /// Builds a context from the plugin's config (JSON) and a log sink.
    pub fn new(config_json: String, sink: &'a dyn LogSink) -> Self {
        Context { config_json, sink }
    }

    /// The plugin's config as the raw JSON document.
    pub fn config_json(&self) -> &str {
        &self.config_json
    }

    /// The plugin's config parsed into `T`; an empty or absent config parses as `{}`.
    ///
    /// Give `T` `#[serde(default)]` so every knob has a default.
    pub fn config<T: DeserializeOwned>(&self) -> Result<T, String> {
        let text = if self.config_json.trim().is_empty() {
            "{}"
        } else {
            &self.config_json
        };
        serde_json::from_str(text).map_err(|e| format!("invalid plugin config: {e}"))
    }

    /// Writes a log event with fields.
    pub fn log(&self, level: LogLevel, message: &str, fields: &[(&str, &str)]) {
        self.sink.write(level, message, fields);
    }

    /// Writes an info event.
    pub fn info(&self, message: &str) {
        self.log(LogLevel::Info, message, &[]);
    }

    /// Writes a warning.
    pub fn warn(&self, message: &str) {
        self.log(LogLevel::Warn, message, &[]);
    }

    /// Writes a debug event.
    pub fn debug(&self, message: &str) {
        self.log(LogLevel::Debug, message, &[]);
    }
}

/// A detector: judges resources of the kinds it declares and reports findings.
pub trait Detector {
    /// Name, version, kinds, rules and config schema. Must not fail.
    fn info() -> PluginInfo;

    /// Judges one batch of resources (only the kinds `info` declared).
    fn detect(ctx: &Context<'_>, resources: Vec<Resource>) -> Result<Vec<Finding>, String>;
}

/// A remediator: turns a finding into edits of the files that define the resource.
pub trait Remediator {
    /// Name, version, what it fixes (`fixes`: rule ids or prefixes) and the kinds it
    /// edits (empty: any); `rules` stays empty. Must not fail.
    fn info() -> PluginInfo;

    /// Proposes edits, or says why it cannot fix this safely.
    fn remediate(
        ctx: &Context<'_>,
        finding: Finding,
        target: Resource,
        files: Vec<SourceFile>,
    ) -> Outcome;
}
