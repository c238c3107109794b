//! `expected.json`, what `aiops plugin test` compares a plugin's output with: a stable,
//! readable form of findings (and of a remediator's fixes) that leaves out what differs
//! between builds of the same rules in Rust, Python or JavaScript — the order of the
//! findings and of their evidence, and the spelling of JSON values in hints.

use std::collections::BTreeMap;

use aiops_core::{FixStatus, ReportedFinding};
use aiops_sdk::{FieldChange, Finding, RemediationHint, Severity};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A detector's expected output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFindings {
    /// Sorted by resource, rule, component and message.
    pub findings: Vec<ExpectedFinding>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFinding {
    /// Rule id.
    pub rule: String,
    /// Severity (after the config's overrides).
    pub severity: Severity,
    /// Resource id.
    pub resource: String,
    /// The part of the resource concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// Title.
    pub title: String,
    /// Message.
    pub message: String,
    /// Evidence by key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub evidence: BTreeMap<String, String>,
    /// The remediation hint, values as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<ExpectedHint>,
}

/// A remediation hint with its values as JSON (not JSON text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedHint {
    /// Summary.
    pub summary: String,
    /// Field changes, in the plugin's order.
    pub changes: Vec<ExpectedChange>,
}

/// One field change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedChange {
    /// JSON pointer.
    pub path: String,
    /// Current value; absent when the field is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<Value>,
    /// Proposed value.
    pub proposed: Value,
}

/// JSON text as a value (a string when it is not JSON).
fn value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

impl ExpectedFinding {
    /// The stable form of `finding`.
    pub fn of(finding: &Finding) -> Self {
        ExpectedFinding {
            rule: finding.rule.clone(),
            severity: finding.severity,
            resource: finding.resource_id.clone(),
            component: finding.component.clone(),
            title: finding.title.clone(),
            message: finding.message.clone(),
            evidence: finding.evidence.iter().cloned().collect(),
            remediation: finding.remediation.as_ref().map(|hint| ExpectedHint {
                summary: hint.summary.clone(),
                changes: hint
                    .changes
                    .iter()
                    .map(|c| ExpectedChange {
                        path: c.path.clone(),
                        current: c.current.as_deref().map(value),
                        proposed: value(&c.proposed),
                    })
                    .collect(),
            }),
        }
    }

    /// Back to a finding (the input of a remediator's test).
    pub fn to_finding(&self) -> Finding {
        Finding {
            rule: self.rule.clone(),
            resource_id: self.resource.clone(),
            component: self.component.clone(),
            severity: self.severity,
            title: self.title.clone(),
            message: self.message.clone(),
            evidence: self
                .evidence
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            remediation: self.remediation.as_ref().map(|hint| RemediationHint {
                summary: hint.summary.clone(),
                changes: hint
                    .changes
                    .iter()
                    .map(|c| {
                        FieldChange::json(c.path.clone(), c.current.clone(), c.proposed.clone())
                    })
                    .collect(),
            }),
        }
    }

    fn key(&self) -> (&str, &str, Option<&str>, &str) {
        (
            &self.resource,
            &self.rule,
            self.component.as_deref(),
            &self.message,
        )
    }
}

impl ExpectedFindings {
    /// The stable form of a scan's findings.
    pub fn of(findings: &[ReportedFinding]) -> Self {
        let mut findings: Vec<ExpectedFinding> = findings
            .iter()
            .map(|f| ExpectedFinding::of(&f.finding))
            .collect();
        findings.sort_by(|a, b| a.key().cmp(&b.key()));
        ExpectedFindings { findings }
    }
}

/// A remediator's expected output: what became of each finding, and the changed files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFixes {
    /// One per finding the remediator handles, in the findings' order.
    pub fixes: Vec<ExpectedFix>,
    /// Every changed file with its unified diff (one string a line), sorted by path.
    pub changes: Vec<ExpectedDiff>,
}

/// What became of one finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFix {
    /// Rule id.
    pub rule: String,
    /// Resource id.
    pub resource: String,
    /// The part of the resource concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// `fixed`, `already-fixed`, `cannot-fix`, `refused`, `not-located`, `failed`, …
    pub status: String,
    /// Files changed (fixed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// Why not (every status but fixed and already-fixed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl ExpectedFix {
    /// The stable form of `status` for `finding`.
    pub fn of(finding: &Finding, status: &FixStatus) -> Self {
        let (status, files, reason) = match status {
            FixStatus::Fixed { files, .. } => ("fixed", files.clone(), None),
            FixStatus::AlreadyFixed { .. } => ("already-fixed", Vec::new(), None),
            FixStatus::CannotFix { reason, .. } => ("cannot-fix", Vec::new(), Some(reason)),
            FixStatus::NoRemediator { reason } => ("no-remediator", Vec::new(), Some(reason)),
            FixStatus::NotLocated { reason } => ("not-located", Vec::new(), Some(reason)),
            FixStatus::Refused { reason, .. } => ("refused", Vec::new(), Some(reason)),
            FixStatus::Failed { reason, .. } => ("failed", Vec::new(), Some(reason)),
        };
        ExpectedFix {
            rule: finding.rule.clone(),
            resource: finding.resource_id.clone(),
            component: finding.component.clone(),
            status: status.to_string(),
            files,
            reason: reason.cloned(),
        }
    }
}

/// One changed file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedDiff {
    /// Path in the fixtures directory.
    pub path: String,
    /// The unified diff, a line each.
    pub diff: Vec<String>,
}

/// Pretty JSON with a final newline: the text of an `expected.json`.
pub fn to_text<T: Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("serialisable");
    text.push('\n');
    text
}

/// A unified diff of `expected` against `actual`, labelled; empty when they are equal.
pub fn diff(expected: &str, actual: &str, label: &str) -> String {
    if expected == actual {
        return String::new();
    }
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header(label, "actual")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiops_sdk::RuleInfo;

    fn finding(name: &str, evidence: &[(&str, &str)], proposed: &str) -> Finding {
        let rule = RuleInfo::new("x.rule", Severity::Low, "T", "");
        let object = serde_json::json!({"kind": "Deployment", "metadata": {"name": name}});
        let resource = aiops_sdk::k8s::resource_from_object(&object).unwrap();
        let mut f = Finding::new(&rule, &resource, "m").remediation(RemediationHint {
            summary: "s".into(),
            changes: vec![FieldChange {
                path: "/spec/replicas".into(),
                current: None,
                proposed: proposed.into(),
            }],
        });
        for (k, v) in evidence {
            f = f.evidence(*k, *v);
        }
        f
    }

    #[test]
    fn the_same_findings_in_another_order_and_spelling_compare_equal() {
        let a = ExpectedFinding::of(&finding("a", &[("x", "1"), ("y", "2")], "2"));
        let b = ExpectedFinding::of(&finding("a", &[("y", "2"), ("x", "1")], " 2 "));
        assert_eq!(a, b);
        let text = to_text(&ExpectedFindings {
            findings: vec![a.clone()],
        });
        assert!(text.contains("\"proposed\": 2\n"), "{text}");
        assert_eq!(ExpectedFinding::of(&a.to_finding()), a);
    }

    #[test]
    fn a_difference_is_a_labelled_unified_diff() {
        assert_eq!(diff("a\n", "a\n", "expected.json"), "");
        let d = diff("a\nb\n", "a\nc\n", "expected.json");
        assert!(d.starts_with("--- expected.json\n+++ actual\n"), "{d}");
        assert!(d.contains("-b\n+c\n"), "{d}");
    }
}
