//! SARIF 2.1.0 for code-scanning UIs: rules with their docs, results with file and
//! line (or a logical location when the resource did not come from a file), stable
//! fingerprints, and plugin failures as tool notifications.

use std::io::Write;

use aiops_sdk::Severity;
use serde_json::{Value, json};

use crate::scan::{ReportedFinding, ScanReport};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// SARIF level of a severity.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// Writes the SARIF log.
pub fn render(report: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
    let rules: Vec<Value> = report
        .rules
        .iter()
        .map(|(plugin, rule)| {
            json!({
                "id": rule.id,
                "shortDescription": {"text": rule.title},
                "fullDescription": {"text": rule.description},
                "defaultConfiguration": {"level": level(rule.default_severity)},
                "properties": {"plugin": plugin, "severity": rule.default_severity},
            })
        })
        .collect();
    let results: Vec<Value> = report.findings.iter().map(|f| result(report, f)).collect();
    let notifications: Vec<Value> = report
        .plugin_failures
        .iter()
        .map(|f| json!({"level": "error", "message": {"text": format!("plugin {}: {}", f.plugin, f.message)}}))
        .chain(report.inventory_problems.iter().map(|p| {
            json!({"level": "error", "message": {"text": p.to_string()}})
        }))
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "aiops",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": report.plugin_failures.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

fn result(report: &ScanReport, f: &ReportedFinding) -> Value {
    let rule_index = report
        .rules
        .iter()
        .position(|(_, r)| r.id == f.finding.rule);
    let location = match &f.location {
        Some(loc) => json!({
            "physicalLocation": {
                "artifactLocation": {"uri": loc.file.display().to_string().replace('\\', "/")},
                "region": {"startLine": loc.line},
            },
            "logicalLocations": [{"fullyQualifiedName": f.resource.id}],
        }),
        None => json!({"logicalLocations": [{"fullyQualifiedName": f.resource.id}]}),
    };
    let mut result = json!({
        "ruleId": f.finding.rule,
        "level": level(f.finding.severity),
        "message": {"text": f.finding.message},
        "locations": [location],
        "partialFingerprints": {"aiops/v1": super::fingerprint(f)},
        "properties": {"plugin": f.plugin, "severity": f.finding.severity},
    });
    if let Some(index) = rule_index {
        result["ruleIndex"] = json!(index);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sarif_has_rules_levels_locations_and_notifications() {
        let mut out = Vec::new();
        render(&super::super::sample::report(), &mut out).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        assert_eq!(
            run["tool"]["driver"]["rules"][1]["id"],
            "k8s.resources.limit-below-request"
        );
        let results = run["results"].as_array().unwrap();
        assert_eq!(results[0]["level"], "note");
        assert_eq!(results[1]["level"], "error");
        assert_eq!(results[1]["ruleIndex"], 1);
        let physical = &results[0]["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], "manifests/cart.yaml");
        assert_eq!(physical["region"]["startLine"], 12);
        assert!(results[1]["locations"][0].get("physicalLocation").is_none());
        assert_eq!(
            run["invocations"][0]["toolExecutionNotifications"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    }

    #[test]
    fn medium_is_a_warning() {
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::Info), "note");
    }
}
