//! The host's config file (YAML): plugin directory, default limits and per-plugin
//! settings (enabled, config, limits, severity overrides, disabled rules).
//!
//! Unknown keys are errors, and every error names the file, the line and the field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aiops_sdk::Severity;
use serde::Deserialize;

use crate::runtime::PluginLimits;
use crate::runtime::plugin::CallSettings;

/// Why the config could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid config (syntax, unknown field, wrong type).
    #[error("invalid config {path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Parser message with line, column and field.
        message: String,
    },
}

/// The whole config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Plugin loading and per-plugin settings.
    pub plugins: PluginsConfig,
    /// Settings of the live collectors.
    pub collectors: crate::collect::CollectorsConfig,
}

/// The `plugins:` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginsConfig {
    /// Directory of `.wasm` plugins to load and watch.
    pub dir: Option<PathBuf>,
    /// Whether the built-in plugins are loaded.
    pub builtin: bool,
    /// Where compiled components are cached.
    pub cache_dir: Option<PathBuf>,
    /// Limits for every plugin without its own.
    pub limits: PluginLimits,
    /// Settings by plugin name.
    pub settings: BTreeMap<String, PluginSettings>,
}

impl Default for PluginsConfig {
    fn default() -> Self {
        PluginsConfig {
            dir: None,
            builtin: true,
            cache_dir: None,
            limits: PluginLimits::default(),
            settings: BTreeMap::new(),
        }
    }
}

/// Settings of one plugin.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginSettings {
    /// Whether the plugin runs.
    pub enabled: bool,
    /// The plugin's own config, handed to it as JSON.
    pub config: serde_json::Value,
    /// Limits overriding the defaults, field by field.
    pub limits: Option<LimitOverrides>,
    /// Severity by rule id, overriding the plugin's defaults.
    pub severity: BTreeMap<String, Severity>,
    /// Rule ids whose findings are dropped.
    pub disabled_rules: Vec<String>,
}

impl Default for PluginSettings {
    fn default() -> Self {
        PluginSettings {
            enabled: true,
            config: serde_json::Value::Object(Default::default()),
            limits: None,
            severity: BTreeMap::new(),
            disabled_rules: Vec::new(),
        }
    }
}

/// Per-plugin limit overrides; unset fields keep the defaults.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitOverrides {
    /// Call deadline in milliseconds.
    pub timeout_ms: Option<u64>,
    /// Memory cap in bytes.
    pub memory_bytes: Option<usize>,
    /// Captured output per call in bytes.
    pub output_bytes: Option<usize>,
    /// Findings accepted per call.
    pub max_findings: Option<usize>,
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses config text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        let config: Config = serde_norway::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if config.plugins.limits.memory_bytes > crate::runtime::engine::MAX_PLUGIN_MEMORY {
            return Err(invalid(format!(
                "plugins.limits.memory_bytes: at most {} bytes",
                crate::runtime::engine::MAX_PLUGIN_MEMORY
            )));
        }
        for (name, settings) in &config.plugins.settings {
            if !settings.config.is_object() {
                return Err(invalid(format!(
                    "plugins.settings.{name}.config: must be a mapping"
                )));
            }
            let memory = settings.limits.and_then(|l| l.memory_bytes).unwrap_or(0);
            if memory > crate::runtime::engine::MAX_PLUGIN_MEMORY {
                return Err(invalid(format!(
                    "plugins.settings.{name}.limits.memory_bytes: at most {} bytes",
                    crate::runtime::engine::MAX_PLUGIN_MEMORY
                )));
            }
        }
        Ok(config)
    }

    /// The settings of plugin `name` (defaults when unset).
    pub fn plugin(&self, name: &str) -> PluginSettings {
        self.plugins.settings.get(name).cloned().unwrap_or_default()
    }

    /// What a call into plugin `name` runs with: its config document and limits.
    pub fn call_settings(&self, name: &str) -> CallSettings {
        let settings = self.plugins.settings.get(name);
        let mut limits = self.plugins.limits;
        if let Some(o) = settings.and_then(|s| s.limits) {
            limits.timeout_ms = o.timeout_ms.unwrap_or(limits.timeout_ms);
            limits.memory_bytes = o.memory_bytes.unwrap_or(limits.memory_bytes);
            limits.output_bytes = o.output_bytes.unwrap_or(limits.output_bytes);
            limits.max_findings = o.max_findings.unwrap_or(limits.max_findings);
        }
        let config = settings
            .map(|s| s.config.to_string())
            .unwrap_or_else(|| "{}".to_string());
        CallSettings {
            config: Arc::from(config),
            limits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_plugin_limits_override_defaults_field_by_field() {
        let config = Config::parse(
            "plugins:\n  limits: {timeout_ms: 100}\n  settings:\n    p:\n      limits: {memory_bytes: 1024}\n      config: {ratio: 2}\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        let call = config.call_settings("p");
        assert_eq!(call.limits.timeout_ms, 100);
        assert_eq!(call.limits.memory_bytes, 1024);
        assert_eq!(&*call.config, r#"{"ratio":2}"#);
        assert_eq!(
            config.call_settings("other").limits.memory_bytes,
            PluginLimits::default().memory_bytes
        );
    }

    #[test]
    fn unknown_field_is_an_error_naming_file_and_field() {
        let err =
            Config::parse("plugins:\n  setings: {}\n", Path::new("conf/aiops.yaml")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("conf/aiops.yaml") && text.contains("setings"),
            "{text}"
        );
    }

    #[test]
    fn bad_severity_is_an_error() {
        let err = Config::parse(
            "plugins:\n  settings:\n    p:\n      severity: {r: urgent}\n",
            Path::new("c.yaml"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("urgent"), "{err}");
    }
}
