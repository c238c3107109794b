//! SARIF 2.1.0 for code-scanning UIs: rules with their docs, results with file and
//! line (or a logical location when the resource did not come from a file), stable
//! fingerprints, and plugin failures as tool notifications.

use std::io::Write;
use std::path::{Component, Path};

use aiops_sdk::Severity;
use serde::Serialize;
use serde_json::{Value, json};

use aiops_core::InventoryProblem;
use aiops_core::{ReportedFinding, ScanReport};

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
pub(super) fn render(report: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
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
    let cwd = std::env::current_dir().ok();
    let results: Vec<SarifResult<'_>> = report
        .findings
        .iter()
        .map(|f| SarifResult::of(report, f, cwd.as_deref()))
        .collect();
    let notifications: Vec<Value> = report
        .plugin_failures
        .iter()
        .map(|f| {
            json!({
                "level": "error",
                "descriptor": {"id": "plugin-failure"},
                "message": {"text": format!("plugin {}: {}", f.plugin, f.message)},
            })
        })
        .chain(report.inventory_problems.iter().map(problem_notification))
        .collect();
    let log = Log {
        schema: SCHEMA,
        runs: [Run {
            invocations: json!([{
                "executionSuccessful": report.plugin_failures.is_empty(),
                "toolExecutionNotifications": notifications,
            }]),
            results,
            tool: json!({"driver": {
                "name": "aiops",
                "rules": rules,
                "version": env!("CARGO_PKG_VERSION"),
            }}),
        }],
        version: "2.1.0",
    };
    super::write_pretty_json(out, &log)
}

// The log is serialised from borrowed views: the results (one per finding) are most of
// it, and building them as `serde_json::Value` trees cost more than the scan. Fields
// are in alphabetical order, as a `Value` map writes them.

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [Run<'a>; 1],
    version: &'static str,
}

#[derive(Serialize)]
struct Run<'a> {
    invocations: Value,
    results: Vec<SarifResult<'a>>,
    tool: Value,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    level: &'static str,
    locations: [ResultLocation<'a>; 1],
    message: Text<'a>,
    partial_fingerprints: Fingerprints,
    properties: Properties<'a>,
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultLocation<'a> {
    logical_locations: [LogicalLocation<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    fully_qualified_name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "aiops/v1")]
    aiops_v1: String,
}

#[derive(Serialize)]
struct Properties<'a> {
    plugin: &'a str,
    severity: Severity,
}

impl<'a> SarifResult<'a> {
    fn of(report: &ScanReport, f: &'a ReportedFinding, cwd: Option<&Path>) -> Self {
        let rule_index = report
            .rules
            .iter()
            .position(|(plugin, r)| *plugin == f.plugin && r.id == f.finding.rule);
        SarifResult {
            level: level(f.finding.severity),
            locations: [ResultLocation {
                logical_locations: [LogicalLocation {
                    fully_qualified_name: &f.resource.id,
                }],
                physical_location: f.location.as_ref().map(|loc| PhysicalLocation {
                    artifact_location: ArtifactLocation {
                        uri: artifact_uri_from(&loc.file, cwd),
                    },
                    region: Region {
                        start_line: loc.line,
                    },
                }),
            }],
            message: Text {
                text: &f.finding.message,
            },
            partial_fingerprints: Fingerprints {
                aiops_v1: aiops_core::fingerprint(f),
            },
            properties: Properties {
                plugin: &f.plugin,
                severity: f.finding.severity,
            },
            rule_id: &f.finding.rule,
            rule_index,
        }
    }
}

/// An input that could not be read, pointing at its file (and line) when it is one.
fn problem_notification(problem: &InventoryProblem) -> Value {
    let mut notification = json!({
        "level": "error",
        "descriptor": {"id": "inventory-problem"},
        "message": {"text": problem.to_string()},
    });
    let path = Path::new(&problem.source);
    if path.extension().is_some() || problem.line.is_some() {
        let mut physical = json!({"artifactLocation": {"uri": artifact_uri(path)}});
        if let Some(line) = problem.line {
            physical["region"] = json!({"startLine": line});
        }
        notification["locations"] = json!([{"physicalLocation": physical}]);
    }
    notification
}

/// A SARIF artifact URI: a relative reference with forward slashes when the path is
/// relative or under the working directory (code-scanning UIs resolve it against the
/// repository root), a `file://` URI otherwise; unsafe characters percent-encoded.
fn artifact_uri(path: &Path) -> String {
    artifact_uri_from(path, std::env::current_dir().ok().as_deref())
}

/// [`artifact_uri`] against a working directory read once per report.
fn artifact_uri_from(path: &Path, cwd: Option<&Path>) -> String {
    let relative = if path.is_absolute() {
        cwd.and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
    } else {
        Some(path.to_path_buf())
    };
    let joined = |p: &Path| {
        p.components()
            .filter_map(|c| match c {
                Component::Normal(part) => Some(encode(&part.to_string_lossy())),
                Component::ParentDir => Some("..".to_string()),
                Component::Prefix(prefix) => Some(encode(&prefix.as_os_str().to_string_lossy())),
                Component::RootDir | Component::CurDir => None,
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    match relative {
        Some(rel) => joined(&rel),
        None => format!("file:///{}", joined(path)),
    }
}

/// Percent-encodes what may not appear in a URI path segment.
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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
    fn levels_follow_severity() {
        let levels: Vec<_> = Severity::ALL.into_iter().map(level).collect();
        assert_eq!(levels, ["note", "note", "warning", "error", "error"]);
    }

    #[test]
    fn rule_index_points_at_the_rule_of_the_reporting_plugin() {
        let mut report = super::super::sample::report();
        let (_, rule) = report.rules[1].clone();
        report.rules.insert(0, ("other-plugin".into(), rule));
        let mut out = Vec::new();
        render(&report, &mut out).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        let run = &v["runs"][0];
        assert_eq!(run["results"][1]["ruleIndex"], 2);
        assert_eq!(run["results"][0]["ruleIndex"], 1);
    }

    #[test]
    fn inventory_problems_are_error_notifications_at_their_file_and_line() {
        let mut out = Vec::new();
        render(&super::super::sample::report(), &mut out).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        let notes = &v["runs"][0]["invocations"][0]["toolExecutionNotifications"];
        assert_eq!(notes[0]["level"], "error");
        assert!(notes[0].get("locations").is_none());
        assert!(
            notes[0]["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with("plugin hostile-loop: timed out")
        );
        let physical = &notes[1]["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], "manifests/broken.yaml");
        assert_eq!(physical["region"]["startLine"], 3);
    }

    #[test]
    fn artifact_uris_are_relative_with_forward_slashes_and_encoded() {
        assert_eq!(
            artifact_uri(Path::new("./deploy/my app/a#1.yaml")),
            "deploy/my%20app/a%231.yaml"
        );
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(artifact_uri(&cwd.join("k8s").join("x.yaml")), "k8s/x.yaml");
        if cfg!(unix) {
            assert_eq!(
                artifact_uri(Path::new("/nonexistent/elsewhere/x.yaml")),
                "file:///nonexistent/elsewhere/x.yaml"
            );
        }
    }
}
