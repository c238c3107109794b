//! The JSON report: an array of findings, each with its resource, plugin, evidence,
//! remediation hint and source location.

use std::io::Write;

use serde_json::{Map, Value, json};

use crate::scan::{ReportedFinding, ScanReport};

/// Writes the JSON array.
pub fn render(report: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
    let findings: Vec<Value> = report.findings.iter().map(finding_json).collect();
    serde_json::to_writer_pretty(&mut *out, &findings)?;
    writeln!(out)
}

/// One finding as JSON.
pub fn finding_json(f: &ReportedFinding) -> Value {
    let evidence: Map<String, Value> = f
        .finding
        .evidence
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    json!({
        "rule": f.finding.rule,
        "severity": f.finding.severity,
        "title": f.finding.title,
        "message": f.finding.message,
        "plugin": f.plugin,
        "fingerprint": super::fingerprint(f),
        "resource": f.resource,
        "evidence": evidence,
        "remediation": f.finding.remediation,
        "location": f.location.as_ref().map(|l| json!({
            "file": l.file.display().to_string(),
            "document": l.document,
            "line": l.line,
        })),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        render(&crate::scan::ScanReport::default(), &mut out).unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&out).unwrap(), json!([]));
    }
}
