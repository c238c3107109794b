//! The `plugins:` section of the config: plugin directory, compile cache, default
//! limits and per-plugin settings (enabled, config, limits, severity overrides,
//! disabled rules). The runtime owns it and validates it at start.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use aiops_sdk::Severity;
use serde::Deserialize;

use crate::engine::MAX_PLUGIN_MEMORY;
use crate::limits::PluginLimits;
use crate::plugin::CallSettings;

/// A value of the `plugins:` section that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {message}")]
pub struct PluginsConfigError {
    /// The key, as a dotted path from the config's root (`plugins.limits.memory_bytes`).
    pub key: String,
    /// What is wrong with it.
    pub message: String,
}

/// The `plugins:` section.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
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
    /// The largest `.wasm` file of the plugin directory that is loaded, in bytes; a
    /// larger one is refused (an error naming the file and both sizes).
    pub max_plugin_bytes: u64,
}

/// The default of `plugins.max_plugin_bytes`: 64 MiB. A ConfigMap holds at most 1 MiB,
/// but plugins delivered on a volume may be bigger (a Python component is ~18 MB).
pub const DEFAULT_MAX_PLUGIN_BYTES: u64 = 64 * 1024 * 1024;

impl Default for PluginsConfig {
    fn default() -> Self {
        PluginsConfig {
            dir: None,
            builtin: true,
            cache_dir: None,
            limits: PluginLimits::default(),
            settings: BTreeMap::new(),
            max_plugin_bytes: DEFAULT_MAX_PLUGIN_BYTES,
        }
    }
}

/// Settings of one plugin.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Copy, Default, Deserialize, schemars::JsonSchema)]
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

impl PluginsConfig {
    /// Checks what the types cannot: memory caps within what the engine can give, each
    /// plugin's config a mapping.
    pub fn validate(&self) -> Result<(), PluginsConfigError> {
        let too_much = |key: String| PluginsConfigError {
            key,
            message: format!("at most {MAX_PLUGIN_MEMORY} bytes"),
        };
        if self.limits.memory_bytes > MAX_PLUGIN_MEMORY {
            return Err(too_much("plugins.limits.memory_bytes".into()));
        }
        if self.max_plugin_bytes == 0 {
            return Err(PluginsConfigError {
                key: "plugins.max_plugin_bytes".into(),
                message: "must be at least 1".into(),
            });
        }
        for (name, settings) in &self.settings {
            if !settings.config.is_object() {
                return Err(PluginsConfigError {
                    key: format!("plugins.settings.{name}.config"),
                    message: "must be a mapping".into(),
                });
            }
            let memory = settings.limits.and_then(|l| l.memory_bytes).unwrap_or(0);
            if memory > MAX_PLUGIN_MEMORY {
                return Err(too_much(format!(
                    "plugins.settings.{name}.limits.memory_bytes"
                )));
            }
        }
        Ok(())
    }

    /// The settings of plugin `name` (defaults when unset).
    pub fn plugin(&self, name: &str) -> PluginSettings {
        self.settings.get(name).cloned().unwrap_or_default()
    }

    /// What a call into plugin `name` runs with: its config document and limits.
    pub fn call_settings(&self, name: &str) -> CallSettings {
        let settings = self.settings.get(name);
        let mut limits = self.limits;
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

    fn parse(text: &str) -> PluginsConfig {
        serde_norway::from_str(text).unwrap()
    }

    #[test]
    fn per_plugin_limits_override_defaults_field_by_field() {
        let config = parse(
            "limits: {timeout_ms: 100}\nsettings:\n  p:\n    limits: {memory_bytes: 1024}\n    config: {ratio: 2}\n",
        );
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
    fn max_plugin_bytes_defaults_to_64_mib_and_refuses_zero() {
        assert_eq!(parse("builtin: true\n").max_plugin_bytes, 64 * 1024 * 1024);
        assert_eq!(parse("max_plugin_bytes: 1000\n").max_plugin_bytes, 1000);
        let err = parse("max_plugin_bytes: 0\n").validate().unwrap_err();
        assert_eq!(err.key, "plugins.max_plugin_bytes");
    }

    #[test]
    fn memory_beyond_the_engine_and_a_non_mapping_config_name_their_key() {
        let err = parse("limits: {memory_bytes: 99999999999}\n")
            .validate()
            .unwrap_err();
        assert_eq!(err.key, "plugins.limits.memory_bytes");
        let err = parse("settings:\n  p:\n    config: [1]\n")
            .validate()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "plugins.settings.p.config: must be a mapping"
        );
    }
}
