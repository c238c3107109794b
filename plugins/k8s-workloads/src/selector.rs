//! Kubernetes label selectors (`matchLabels` and `matchExpressions`) matched against a
//! pod template's labels, as the API server matches a PodDisruptionBudget's selector.

use std::collections::BTreeMap;

use serde::Deserialize;

/// A `metav1.LabelSelector`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LabelSelector {
    /// Labels that must be present with these values.
    pub match_labels: BTreeMap<String, String>,
    /// Set-based requirements, all of which must hold.
    pub match_expressions: Vec<Requirement>,
}

/// One `matchExpressions` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Requirement {
    /// Label key.
    pub key: String,
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    pub operator: String,
    /// Values for `In` and `NotIn`.
    pub values: Vec<String>,
}

impl LabelSelector {
    /// True when `labels` satisfy every requirement. An empty selector matches everything
    /// (as a `policy/v1` PodDisruptionBudget's does); an unknown operator matches nothing.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| r.matches(labels))
    }
}

impl Requirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(&self.key);
        match self.operator.as_str() {
            "In" => value.is_some_and(|v| self.values.contains(v)),
            "NotIn" => value.is_none_or(|v| !self.values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selector(json: serde_json::Value) -> LabelSelector {
        serde_json::from_value(json).unwrap()
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn match_labels_must_all_be_present_with_their_values() {
        let s = selector(serde_json::json!({"matchLabels": {"app": "web", "tier": "front"}}));
        assert!(s.matches(&labels(&[("app", "web"), ("tier", "front"), ("x", "y")])));
        assert!(!s.matches(&labels(&[("app", "web")])));
        assert!(!s.matches(&labels(&[("app", "api"), ("tier", "front")])));
    }

    #[test]
    fn match_expressions_follow_the_api_semantics() {
        let pod = labels(&[("app", "web"), ("track", "stable")]);
        let with = |op: &str, key: &str, values: &[&str]| {
            selector(serde_json::json!({"matchExpressions": [
                {"key": key, "operator": op, "values": values}
            ]}))
            .matches(&pod)
        };
        assert!(with("In", "app", &["web", "api"]));
        assert!(!with("In", "app", &["api"]));
        assert!(!with("In", "missing", &["web"]));
        assert!(with("NotIn", "track", &["canary"]));
        assert!(!with("NotIn", "track", &["stable"]));
        assert!(with("NotIn", "missing", &["x"]));
        assert!(with("Exists", "app", &[]));
        assert!(!with("Exists", "missing", &[]));
        assert!(with("DoesNotExist", "missing", &[]));
        assert!(!with("DoesNotExist", "app", &[]));
        assert!(!with("Matches", "app", &["web"]));
    }

    #[test]
    fn empty_selector_matches_every_pod() {
        assert!(selector(serde_json::json!({})).matches(&labels(&[])));
        assert!(selector(serde_json::json!({})).matches(&labels(&[("a", "b")])));
    }
}
