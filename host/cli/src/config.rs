//! The config file (YAML), composed of each crate's section: `plugins:` (the runtime's)
//! and `collectors:` (the collectors'). Each section is validated by its crate when the
//! file is loaded, so a bad value stops the start, not a later cycle.
//!
//! Unknown keys are errors, and every error names the file, the line and the field.

use std::path::{Path, PathBuf};

use aiops_collect::CollectorsConfig;
use aiops_runtime::PluginsConfig;
use serde::Deserialize;

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
    /// The file is not valid config (syntax, unknown field, wrong type, bad value).
    #[error("invalid config {path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Parser message with line, column and field, or the key and what is wrong.
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
    pub collectors: CollectorsConfig,
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

    /// Parses and validates config text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        let config: Config = serde_norway::from_str(text).map_err(|e| invalid(e.to_string()))?;
        config
            .plugins
            .validate()
            .map_err(|e| invalid(e.to_string()))?;
        config.collectors.validate().map_err(invalid)?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(name: &str) -> Config {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../config")
            .join(name);
        Config::load(&path).unwrap()
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

    #[test]
    fn each_section_is_validated_when_the_file_loads() {
        let err = Config::parse(
            "plugins:\n  limits: {memory_bytes: 99999999999}\n",
            Path::new("c.yaml"),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid config c.yaml: plugins.limits.memory_bytes: at most"),
            "{err}"
        );
        let err =
            Config::parse("collectors:\n  k8s: {page_size: 0}\n", Path::new("c.yaml")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid config c.yaml: collectors.k8s.page_size must be at least 1"
        );
        let err = Config::parse(
            "collectors:\n  aws: {metrics_period_seconds: 61}\n",
            Path::new("c.yaml"),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("collectors.aws.metrics_period_seconds"),
            "{err}"
        );
    }

    #[test]
    fn the_shipped_config_example_parses() {
        let config = shipped("config.yaml");
        let k8s = &config.collectors.k8s;
        assert_eq!(k8s.page_size, 500);
        assert_eq!(k8s.namespaces.exclude, ["kube-system"]);
        assert!(k8s.namespaces.include.is_empty() && k8s.kubeconfig.is_none());
    }

    #[test]
    fn the_azure_example_in_config_yaml_is_valid() {
        let config = shipped("config.yaml");
        let azure = &config.collectors.azure;
        azure.validate().unwrap();
        assert_eq!(
            azure.credential,
            aiops_collect::azure::CredentialKind::ManagedIdentity
        );
        assert_eq!(azure.metrics.window_hours, 336);
    }
}
