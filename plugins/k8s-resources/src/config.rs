//! The plugin's configuration: its keys, defaults, validation and JSON Schema.

use std::collections::BTreeMap;

use aiops_sdk::{Context, Quantity};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// JSON Schema of [`Config`], published in the plugin's info.
pub const CONFIG_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "k8s-resources",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "max_limit_request_ratio": {
      "description": "A limit more than this many times its request is flagged (k8s.resources.limit-request-ratio).",
      "type": "number", "minimum": 1, "default": 4
    },
    "default_requests": {
      "description": "Requests proposed when one is missing, by resource name; merged over the built-in defaults, null removes one.",
      "type": "object",
      "additionalProperties": { "type": ["string", "number", "null"] },
      "default": { "cpu": "100m", "memory": "128Mi" }
    },
    "default_limits": {
      "description": "Limits proposed when one is missing, by resource name; merged over the built-in defaults, null removes one.",
      "type": "object",
      "additionalProperties": { "type": ["string", "number", "null"] },
      "default": { "memory": "256Mi" }
    },
    "exclude_namespaces": {
      "description": "Namespaces whose workloads are not checked.",
      "type": "array", "items": { "type": "string" }, "default": ["kube-system"]
    }
  }
}"#;

/// Settings of the `k8s-resources` plugin; every key is optional.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// A limit more than this many times its request is flagged; at least 1 (default 4).
    #[serde(deserialize_with = "max_ratio")]
    pub max_limit_request_ratio: f64,
    /// Requests proposed in remediation hints when one is missing, by resource name
    /// (default cpu `100m`, memory `128Mi`); given entries replace built-in ones, `null`
    /// removes one.
    #[serde(deserialize_with = "default_requests")]
    pub default_requests: BTreeMap<String, Quantity>,
    /// Limits proposed in remediation hints when one is missing, by resource name
    /// (default memory `256Mi`; no CPU limit is proposed unless one is set here); merged
    /// over the built-in ones like `default_requests`.
    #[serde(deserialize_with = "default_limits")]
    pub default_limits: BTreeMap<String, Quantity>,
    /// Namespaces whose workloads are skipped (default `kube-system`).
    #[serde(deserialize_with = "exclude_namespaces")]
    pub exclude_namespaces: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_limit_request_ratio: 4.0,
            default_requests: builtin(&[("cpu", "100m"), ("memory", "128Mi")]),
            default_limits: builtin(&[("memory", "256Mi")]),
            exclude_namespaces: vec!["kube-system".to_string()],
        }
    }
}

impl Config {
    /// Reads and validates the config the host passed; the error names the offending key.
    pub fn from_context(ctx: &Context<'_>) -> Result<Config, String> {
        let config: Config = ctx.config()?;
        config
            .validate()
            .map_err(|e| format!("invalid plugin config: {e}"))?;
        Ok(config)
    }

    /// Checks what serde cannot: the ratio must be a finite number of at least 1.
    pub fn validate(&self) -> Result<(), String> {
        let ratio = self.max_limit_request_ratio;
        if ratio.is_finite() && ratio >= 1.0 {
            Ok(())
        } else {
            Err(format!(
                "`max_limit_request_ratio` must be a number of at least 1, got {ratio}"
            ))
        }
    }

    /// True when workloads of `namespace` are not checked.
    pub fn excludes(&self, namespace: Option<&str>) -> bool {
        namespace.is_some_and(|ns| self.exclude_namespaces.iter().any(|x| x == ns))
    }
}

fn builtin(pairs: &[(&str, &str)]) -> BTreeMap<String, Quantity> {
    pairs
        .iter()
        .map(|(name, q)| {
            (
                name.to_string(),
                Quantity::parse(q).expect("built-in quantity"),
            )
        })
        .collect()
}

/// Deserializes one key's value, naming the key in the error.
fn named<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D, key: &str) -> Result<T, D::Error> {
    let value = Value::deserialize(d)?;
    serde_json::from_value(value).map_err(|e| D::Error::custom(format!("`{key}`: {e}")))
}

fn max_ratio<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    named(d, "max_limit_request_ratio")
}

fn exclude_namespaces<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    named(d, "exclude_namespaces")
}

fn default_requests<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Quantity>, D::Error> {
    over_builtin(d, "default_requests", Config::default().default_requests)
}

fn default_limits<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Quantity>, D::Error> {
    over_builtin(d, "default_limits", Config::default().default_limits)
}

/// Merges a map of quantities over the built-in one; `null` removes an entry.
fn over_builtin<'de, D: Deserializer<'de>>(
    d: D,
    key: &str,
    mut merged: BTreeMap<String, Quantity>,
) -> Result<BTreeMap<String, Quantity>, D::Error> {
    let given: BTreeMap<String, Value> = named(d, key)?;
    for (name, value) in given {
        if value.is_null() {
            merged.remove(&name);
            continue;
        }
        let quantity: Quantity = serde_json::from_value(value)
            .map_err(|e| D::Error::custom(format!("`{key}.{name}`: {e}")))?;
        if quantity < Quantity::ZERO {
            return Err(D::Error::custom(format!(
                "`{key}.{name}` must not be negative"
            )));
        }
        merged.insert(name, quantity);
    }
    Ok(merged)
}
