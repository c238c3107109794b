//! The JSON report: an array of findings, each with its resource, plugin, evidence,
//! remediation hint and source location.
//!
//! Findings are serialised straight from the report through borrowed views (no
//! `serde_json::Value` tree, which cost more than the scan itself on large reports).
//! Keys come out in alphabetical order, as a `Value` map would write them.

use std::collections::BTreeMap;
use std::io::Write;

use aiops_sdk::{FieldChange, Severity};
use serde::Serialize;

use aiops_core::{ReportedFinding, ScanReport};

/// Writes the JSON array.
pub(super) fn render(report: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
    super::write_pretty_json(out, &Findings(&report.findings))
}

/// The findings as a JSON array, each viewed only while it is written.
struct Findings<'a>(&'a [ReportedFinding]);

impl Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(FindingView::of))
    }
}

/// A finding as the JSON report writes it; fields in alphabetical order.
#[derive(Serialize)]
struct FindingView<'a> {
    evidence: BTreeMap<&'a str, &'a str>,
    fingerprint: String,
    location: Option<LocationView<'a>>,
    message: &'a str,
    plugin: &'a str,
    remediation: Option<HintView<'a>>,
    resource: ResourceView<'a>,
    rule: &'a str,
    severity: Severity,
    title: &'a str,
}

#[derive(Serialize)]
struct LocationView<'a> {
    document: usize,
    #[serde(serialize_with = "serialize_display")]
    file: std::path::Display<'a>,
    line: usize,
}

#[derive(Serialize)]
struct HintView<'a> {
    changes: Vec<ChangeView<'a>>,
    summary: &'a str,
}

#[derive(Serialize)]
struct ChangeView<'a> {
    current: Option<&'a str>,
    path: &'a str,
    proposed: &'a str,
}

#[derive(Serialize)]
struct ResourceView<'a> {
    container: Option<&'a str>,
    id: &'a str,
    kind: &'a str,
    name: &'a str,
    namespace: Option<&'a str>,
}

impl<'a> FindingView<'a> {
    fn of(f: &'a ReportedFinding) -> Self {
        let finding = &f.finding;
        FindingView {
            // A later fact with the same key wins, as it did in a JSON object.
            evidence: finding
                .evidence
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            fingerprint: aiops_core::fingerprint(f),
            location: f.location.as_ref().map(|l| LocationView {
                document: l.document,
                file: l.file.display(),
                line: l.line,
            }),
            message: &finding.message,
            plugin: &f.plugin,
            remediation: finding.remediation.as_ref().map(|h| HintView {
                changes: h.changes.iter().map(ChangeView::of).collect(),
                summary: &h.summary,
            }),
            resource: ResourceView {
                container: f.resource.component.as_deref(),
                id: &f.resource.id,
                kind: &f.resource.kind,
                name: &f.resource.name,
                namespace: f.resource.namespace.as_deref(),
            },
            rule: &finding.rule,
            severity: finding.severity,
            title: &finding.title,
        }
    }
}

fn serialize_display<S: serde::Serializer>(
    value: &std::path::Display<'_>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

impl<'a> ChangeView<'a> {
    fn of(c: &'a FieldChange) -> Self {
        ChangeView {
            current: c.current.as_deref(),
            path: &c.path,
            proposed: &c.proposed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn finding_json(f: &ReportedFinding) -> Value {
        serde_json::to_value(FindingView::of(f)).unwrap()
    }

    #[test]
    fn json_has_rule_resource_severity_message_plugin() {
        let mut out = Vec::new();
        render(&super::super::sample::report(), &mut out).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        let first = &v[0];
        assert_eq!(first["rule"], "k8s.resources.cpu-limit-missing");
        assert_eq!(first["severity"], "low");
        assert_eq!(first["plugin"], "k8s-resources");
        assert_eq!(
            first["resource"],
            json!({"id": "k8s/Deployment/shop/cart", "kind": "Deployment", "namespace": "shop", "name": "cart", "container": "app"})
        );
        assert_eq!(first["evidence"]["resource"], "cpu");
        assert_eq!(first["location"]["line"], 12);
        assert_eq!(v[1]["location"], Value::Null);
        assert_ne!(first["fingerprint"], v[1]["fingerprint"]);
    }

    #[test]
    fn remediation_hint_is_an_object_with_its_changes() {
        let mut report = super::super::sample::report();
        report.findings[0].finding.remediation = Some(aiops_sdk::RemediationHint {
            summary: "Set a CPU limit".into(),
            changes: vec![aiops_sdk::FieldChange {
                path: "/spec/template/spec/containers/0/resources/limits/cpu".into(),
                current: None,
                proposed: "\"1\"".into(),
            }],
        });
        let v = finding_json(&report.findings[0]);
        assert_eq!(v["remediation"]["summary"], "Set a CPU limit");
        let change = &v["remediation"]["changes"][0];
        assert_eq!(change["current"], Value::Null);
        assert_eq!(change["proposed"], "\"1\"");
        assert_eq!(
            finding_json(&report.findings[1])["remediation"],
            Value::Null
        );
    }

    #[test]
    fn no_findings_is_an_empty_array() {
        let mut out = Vec::new();
        render(&aiops_core::ScanReport::default(), &mut out).unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&out).unwrap(), json!([]));
    }
}
