//! What routes and silences match on, read from an outbox event: its kind, severity,
//! rules, plugin, resource, namespace, cloud account and region, and labels.

use std::collections::BTreeMap;

use aiops_state::OutboxEvent;
use serde_json::Value;

use crate::config::EventMatcher;

/// The facts of one event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFacts {
    /// `finding.new`, `remediation.merged`, …
    pub event: String,
    /// The severity, if any.
    pub severity: Option<String>,
    /// The rules concerned.
    pub rules: Vec<String>,
    /// The plugin, if one.
    pub plugin: Option<String>,
    /// The resource (or the remediation's group).
    pub resource: Option<String>,
    /// The namespace (Kubernetes) or resource group.
    pub namespace: Option<String>,
    /// The cloud account.
    pub account: Option<String>,
    /// The cloud region.
    pub region: Option<String>,
    /// The resource's labels or tags.
    pub labels: BTreeMap<String, String>,
    /// The event's subject.
    pub subject: String,
}

fn text(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

impl EventFacts {
    /// Reads the facts of `event`.
    pub fn of(event: &OutboxEvent) -> EventFacts {
        let p = &event.payload;
        let mut rules: Vec<String> = text(&p["rule"]).into_iter().collect();
        rules.extend(p["rules"].as_array().into_iter().flatten().filter_map(text));
        let resource = text(&p["resource"]["id"]).or_else(|| text(&p["group_key"]));
        let (account, region, namespace) = match resource.as_deref() {
            // arn:aws:SERVICE:REGION:ACCOUNT:…
            Some(id) if id.starts_with("arn:") => {
                let parts: Vec<&str> = id.split(':').collect();
                let get = |i: usize| {
                    parts
                        .get(i)
                        .filter(|s| !s.is_empty())
                        .map(|s| s.to_string())
                };
                (get(4), get(3), text(&p["resource"]["namespace"]))
            }
            // /subscriptions/SUB/resourceGroups/RG/…
            Some(id) if id.starts_with("/subscriptions/") => {
                let parts: Vec<&str> = id.split('/').collect();
                (
                    parts.get(2).map(|s| s.to_string()),
                    None,
                    text(&p["resource"]["namespace"]),
                )
            }
            _ => (
                None,
                None,
                text(&p["resource"]["namespace"]).or_else(|| text(&p["namespace"])),
            ),
        };
        let labels = p["labels"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        EventFacts {
            event: event.kind.clone(),
            severity: event.severity.clone().or_else(|| text(&p["severity"])),
            rules,
            plugin: text(&p["plugin"]),
            resource,
            namespace,
            account,
            region,
            labels,
            subject: event.subject.clone(),
        }
    }

    /// The value `group_by` names: a field, or else a label.
    pub fn group_value(&self, name: &str) -> String {
        let value = match name {
            "namespace" => self.namespace.clone(),
            "rule" => self.rules.first().cloned(),
            "severity" => self.severity.clone(),
            "event" => Some(self.event.clone()),
            "resource" => self.resource.clone(),
            "account" => self.account.clone(),
            "region" => self.region.clone(),
            "plugin" => self.plugin.clone(),
            "subject" => Some(self.subject.clone()),
            label => self.labels.get(label).cloned(),
        };
        value.unwrap_or_default()
    }
}

fn glob_matches(pattern: &str, value: Option<&str>) -> bool {
    let Some(value) = value else {
        return false;
    };
    glob::Pattern::new(pattern).is_ok_and(|p| p.matches(value))
}

impl EventMatcher {
    /// True when every given field matches `facts`.
    pub fn matches(&self, facts: &EventFacts) -> bool {
        (self.severity.is_empty()
            || facts
                .severity
                .as_ref()
                .is_some_and(|s| self.severity.contains(s)))
            && (self.event.is_empty()
                || self
                    .event
                    .iter()
                    .any(|g| glob_matches(g, Some(&facts.event))))
            && self
                .rule
                .as_ref()
                .is_none_or(|g| facts.rules.iter().any(|r| glob_matches(g, Some(r))))
            && self
                .plugin
                .as_ref()
                .is_none_or(|g| glob_matches(g, facts.plugin.as_deref()))
            && self
                .namespace
                .as_ref()
                .is_none_or(|g| glob_matches(g, facts.namespace.as_deref()))
            && self
                .account
                .as_ref()
                .is_none_or(|g| glob_matches(g, facts.account.as_deref()))
            && self
                .region
                .as_ref()
                .is_none_or(|g| glob_matches(g, facts.region.as_deref()))
            && self
                .labels
                .iter()
                .all(|(k, g)| glob_matches(g, facts.labels.get(k).map(String::as_str)))
    }
}
