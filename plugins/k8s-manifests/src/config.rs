//! The plugin's configuration: probe templates and the image pull policy it proposes.

use aiops_sdk::knobs::{Knobs, PluginConfig};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Settings of the `k8s-manifests` remediator; every key is optional.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Probe templates by probe kind.
    pub probes: Probes,
    /// The pull policy proposed when a hint gives none (default `IfNotPresent`).
    pub image_pull_policy: String,
}

/// Probe templates; a missing one means such probes are not added.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
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

/// The pull policies Kubernetes knows.
const PULL_POLICIES: [&str; 3] = ["Always", "IfNotPresent", "Never"];

impl PluginConfig for Config {
    const TITLE: &'static str = "k8s-manifests";

    fn read(k: &mut Knobs) -> Result<Config, String> {
        let d = Config::default();
        Ok(Config {
            probes: k
                .key(
                    "probes",
                    "Probe templates added where a finding asks for a missing probe (a Kubernetes Probe object each).",
                )
                .schema(json!({
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "liveness": {"type": "object"},
                        "readiness": {"type": "object"},
                        "startup": {"type": "object"}
                    }
                }))
                .get::<Option<Probes>>(None)?
                .unwrap_or(d.probes),
            image_pull_policy: k
                .key(
                    "image_pull_policy",
                    "imagePullPolicy set where a finding asks for one and its hint proposes none.",
                )
                .schema(json!({"enum": PULL_POLICIES}))
                .get(d.image_pull_policy)?,
        })
    }

    fn check(&self) -> Result<(), String> {
        if !PULL_POLICIES.contains(&self.image_pull_policy.as_str()) {
            return Err(format!(
                "invalid plugin config: image_pull_policy `{}` is not Always, IfNotPresent or Never",
                self.image_pull_policy
            ));
        }
        for (key, probe) in [
            ("liveness", &self.probes.liveness),
            ("readiness", &self.probes.readiness),
            ("startup", &self.probes.startup),
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
        Ok(())
    }
}

impl Config {
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
