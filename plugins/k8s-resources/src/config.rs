//! The plugin's configuration: its keys, defaults, validation and JSON Schema.

use std::collections::BTreeMap;

use aiops_sdk::Quantity;
use aiops_sdk::knobs::{Knobs, PluginConfig, at_least, invalid};
use serde_json::{Value, json};

/// Settings of the `k8s-resources` plugin; every key is optional.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// A limit more than this many times its request is flagged; at least 1 (default 4).
    pub max_limit_request_ratio: f64,
    /// Requests proposed in remediation hints when one is missing, by resource name
    /// (default cpu `100m`, memory `128Mi`); given entries replace built-in ones, `null`
    /// removes one.
    pub default_requests: BTreeMap<String, Quantity>,
    /// Limits proposed in remediation hints when one is missing, by resource name
    /// (default memory `256Mi`; no CPU limit is proposed unless one is set here); merged
    /// over the built-in ones like `default_requests`.
    pub default_limits: BTreeMap<String, Quantity>,
    /// Namespaces whose workloads are skipped (default `kube-system`).
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

/// The schema of a map of quantities merged over `default`.
fn quantities(default: Value) -> Value {
    json!({
        "type": "object",
        "additionalProperties": { "type": ["string", "number", "null"] },
        "default": default,
    })
}

impl PluginConfig for Config {
    const TITLE: &'static str = "k8s-resources";

    fn read(k: &mut Knobs) -> Result<Config, String> {
        let d = Config::default();
        let requests = k
            .key(
                "default_requests",
                "Requests proposed when one is missing, by resource name; merged over the built-in defaults, null removes one.",
            )
            .schema(quantities(json!({ "cpu": "100m", "memory": "128Mi" })))
            .get(None)?;
        let limits = k
            .key(
                "default_limits",
                "Limits proposed when one is missing, by resource name; merged over the built-in defaults, null removes one.",
            )
            .schema(quantities(json!({ "memory": "256Mi" })))
            .get(None)?;
        Ok(Config {
            max_limit_request_ratio: k
                .key(
                    "max_limit_request_ratio",
                    "A limit more than this many times its request is flagged (k8s.resources.limit-request-ratio).",
                )
                .number(d.max_limit_request_ratio, at_least(1.0))?,
            default_requests: over_builtin("default_requests", d.default_requests, requests)?,
            default_limits: over_builtin("default_limits", d.default_limits, limits)?,
            exclude_namespaces: k
                .key(
                    "exclude_namespaces",
                    "Namespaces whose workloads are not checked.",
                )
                .get(d.exclude_namespaces)?,
        })
    }
}

impl Config {
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

/// Merges a map of quantities over the built-in one; `null` removes an entry.
fn over_builtin(
    key: &str,
    mut merged: BTreeMap<String, Quantity>,
    given: Option<BTreeMap<String, Value>>,
) -> Result<BTreeMap<String, Quantity>, String> {
    for (name, value) in given.unwrap_or_default() {
        if value.is_null() {
            merged.remove(&name);
            continue;
        }
        let quantity: Quantity = serde_json::from_value(value)
            .map_err(|e| format!("invalid plugin config: `{key}.{name}`: {e}"))?;
        if quantity < Quantity::ZERO {
            return Err(invalid(&format!("{key}.{name}"), "must not be negative"));
        }
        merged.insert(name, quantity);
    }
    Ok(merged)
}
