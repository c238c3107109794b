//! The plugin's configuration: probe templates and the image pull policy it proposes.

use aiops_sdk::Context;
use serde::Deserialize;
use serde_json::Value;

/// JSON Schema of [`Config`], published in the plugin's info.
pub const CONFIG_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "k8s-manifests",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "probes": {
      "description": "Probe templates added where a finding asks for a missing probe (a Kubernetes Probe object each).",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "liveness": {"type": "object"},
        "readiness": {"type": "object"},
        "startup": {"type": "object"}
      }
    },
    "image_pull_policy": {
      "description": "imagePullPolicy set where a finding asks for one and its hint proposes none.",
      "enum": ["Always", "IfNotPresent", "Never"],
      "default": "IfNotPresent"
    }
  }
}"#;

/// Settings of the `k8s-manifests` remediator; every key is optional.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Probe templates by probe kind.
    pub probes: Probes,
    /// The pull policy proposed when a hint gives none (default `IfNotPresent`).
    pub image_pull_policy: String,
}

/// Probe templates; a missing one means such probes are not added.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Probes {
    /// `livenessProbe` template.
    pub liveness: Option<Value>,
    /// `readinessProbe` template.
    pub readiness: Option<Value>,
    /// `startupProbe` template.
    pub startup: Option<Value>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            probes: Probes::default(),
            image_pull_policy: "IfNotPresent".to_string(),
        }
    }
}

impl Config {
    /// Reads and validates the config the host passed; the error names the key.
    pub fn from_context(ctx: &Context<'_>) -> Result<Config, String> {
        let config: Config = ctx.config()?;
        if !["Always", "IfNotPresent", "Never"].contains(&config.image_pull_policy.as_str()) {
            return Err(format!(
                "invalid plugin config: image_pull_policy `{}` is not Always, IfNotPresent or Never",
                config.image_pull_policy
            ));
        }
        for (key, probe) in [
            ("liveness", &config.probes.liveness),
            ("readiness", &config.probes.readiness),
            ("startup", &config.probes.startup),
        ] {
            if probe
                .as_ref()
                .is_some_and(|p| !p.is_object() || p.as_object().is_some_and(|o| o.is_empty()))
            {
                return Err(format!(
                    "invalid plugin config: probes.{key} must be a non-empty Probe object"
                ));
            }
        }
        Ok(config)
    }

    /// The template for a probe field (`livenessProbe`, ...), or why there is none.
    pub fn probe(&self, field: &str) -> Result<Value, String> {
        let (key, template) = match field {
            "livenessProbe" => ("liveness", &self.probes.liveness),
            "readinessProbe" => ("readiness", &self.probes.readiness),
            "startupProbe" => ("startup", &self.probes.startup),
            _ => return Err(format!("`{field}` is not a probe")),
        };
        template.clone().ok_or_else(|| {
            format!("no {key} probe template is configured (k8s-manifests config `probes.{key}`), and a guessed probe could restart a healthy container")
        })
    }
}
