//! The plugin's configuration: its keys, defaults and JSON Schema, read through the
//! SDK's [`Knobs`] so an unknown key is an error naming it.

use aiops_sdk::knobs::{Knobs, PluginConfig, between};

/// Settings of the `k8s-workloads` plugin; every key is optional.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Namespaces no rule looks at (default `kube-system`, `kube-public`, `kube-node-lease`).
    pub exclude_namespaces: Vec<String>,
    /// Replicas proposed for a single-replica Deployment (default 2).
    pub proposed_replicas: i64,
    /// A request more than this many times the peak usage is flagged (default 4).
    pub request_usage_ratio: f64,
    /// Proposed request = peak usage × this, rounded up (default 1.2).
    pub request_headroom: f64,
    /// Peak usage at or above this percentage of the limit is flagged (default 90).
    pub limit_usage_percent: f64,
    /// Proposed limit = peak usage × this, rounded up (default 1.5).
    pub limit_headroom: f64,
    /// Proposed HPA maxReplicas = minReplicas × this, rounded up (default 2).
    pub hpa_max_factor: f64,
    /// Flag namespaces with no workload in the inventory too (default false).
    pub include_empty_namespaces: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            exclude_namespaces: ["kube-system", "kube-public", "kube-node-lease"]
                .map(String::from)
                .to_vec(),
            proposed_replicas: 2,
            request_usage_ratio: 4.0,
            request_headroom: 1.2,
            limit_usage_percent: 90.0,
            limit_headroom: 1.5,
            hpa_max_factor: 2.0,
            include_empty_namespaces: false,
        }
    }
}

impl PluginConfig for Config {
    const TITLE: &'static str = "k8s-workloads";

    fn read(k: &mut Knobs) -> Result<Config, String> {
        let d = Config::default();
        Ok(Config {
            exclude_namespaces: k
                .key("exclude_namespaces", "Namespaces no rule looks at (system namespaces).")
                .get(d.exclude_namespaces)?,
            proposed_replicas: k
                .key("proposed_replicas", "Replicas the hint of k8s.workloads.single-replica-without-pdb proposes for a Deployment.")
                .whole(d.proposed_replicas, between(2.0, 100.0))?,
            request_usage_ratio: k
                .key("request_usage_ratio", "A request more than this many times the observed peak usage is flagged (k8s.workloads.request-above-usage).")
                .number(d.request_usage_ratio, between(1.0, 1000.0))?,
            request_headroom: k
                .key("request_headroom", "The request proposed is the observed peak times this factor, rounded up.")
                .number(d.request_headroom, between(1.0, 10.0))?,
            limit_usage_percent: k
                .key("limit_usage_percent", "Peak usage at or above this percentage of the limit is flagged (k8s.workloads.usage-near-limit).")
                .number(d.limit_usage_percent, between(1.0, 100.0))?,
            limit_headroom: k
                .key("limit_headroom", "The limit proposed is the observed peak times this factor, rounded up.")
                .number(d.limit_headroom, between(1.0, 10.0))?,
            hpa_max_factor: k
                .key("hpa_max_factor", "The maxReplicas proposed for an HPA whose min equals its max is minReplicas times this factor, rounded up.")
                .number(d.hpa_max_factor, between(1.0, 100.0))?,
            include_empty_namespaces: k
                .key("include_empty_namespaces", "Also flag namespaces without LimitRange or ResourceQuota that have no workload in the inventory.")
                .get(d.include_empty_namespaces)?,
        })
    }
}

impl Config {
    /// True when nothing in `namespace` is checked.
    pub fn excludes(&self, namespace: Option<&str>) -> bool {
        namespace.is_some_and(|ns| self.exclude_namespaces.iter().any(|x| x == ns))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_gives_the_defaults() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
        assert_eq!(Config::parse("{}").unwrap(), Config::default());
    }

    #[test]
    fn reads_every_key() {
        let c = Config::parse(
            r#"{"exclude_namespaces": ["ops"], "proposed_replicas": 3, "request_usage_ratio": 2,
                "request_headroom": 1.5, "limit_usage_percent": 80, "limit_headroom": 2,
                "hpa_max_factor": 3, "include_empty_namespaces": true}"#,
        )
        .unwrap();
        assert_eq!(c.exclude_namespaces, ["ops"]);
        assert_eq!(c.proposed_replicas, 3);
        assert_eq!(c.request_usage_ratio, 2.0);
        assert_eq!(c.request_headroom, 1.5);
        assert_eq!(c.limit_usage_percent, 80.0);
        assert_eq!(c.limit_headroom, 2.0);
        assert_eq!(c.hpa_max_factor, 3.0);
        assert!(c.include_empty_namespaces);
        assert!(c.excludes(Some("ops")));
        assert!(!c.excludes(Some("kube-system")));
        assert!(!c.excludes(None));
    }

    #[test]
    fn rejects_unknown_keys_and_out_of_range_values_naming_the_key() {
        let err = Config::parse(r#"{"request_ratio": 2}"#).unwrap_err();
        assert!(err.contains("unknown key `request_ratio`"), "{err}");
        assert!(
            err.contains("request_usage_ratio"),
            "lists the known keys: {err}"
        );
        let err = Config::parse(r#"{"limit_usage_percent": 120}"#).unwrap_err();
        assert_eq!(
            err,
            "invalid plugin config: `limit_usage_percent` must be between 1 and 100, got 120"
        );
        let err = Config::parse(r#"{"proposed_replicas": 1}"#).unwrap_err();
        assert!(
            err.contains("`proposed_replicas` must be between 2 and 100"),
            "{err}"
        );
        let err = Config::parse(r#"{"exclude_namespaces": "kube-system"}"#).unwrap_err();
        assert!(err.contains("`exclude_namespaces`"), "{err}");
        assert!(Config::parse("[1]").is_err());
    }

    #[test]
    fn schema_is_json_listing_every_key() {
        let schema: serde_json::Value = serde_json::from_str(&Config::schema()).unwrap();
        let keys: Vec<_> = schema["properties"].as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 8);
        for key in keys {
            let mut json = serde_json::Map::new();
            json.insert(key.clone(), serde_json::Value::Null);
            Config::parse(&serde_json::Value::Object(json).to_string()).unwrap();
        }
    }
}
