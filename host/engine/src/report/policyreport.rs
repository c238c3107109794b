//! The OpenReports report (`openreports.io/v1alpha1`, the successor of
//! `wgpolicyk8s.io/v1alpha2` `PolicyReport`): a Kubernetes `List` holding one `Report`
//! per namespace with findings and one `ClusterReport` for everything else
//! (cluster-scoped objects, cloud resources, plugins that failed, unreadable input).
//!
//! Each finding is one result: `policy` is the plugin, `rule` the rule id, `result`
//! `fail`, the severity, the resource reference, and as properties the fingerprint,
//! the container, the source location and the evidence. Kyverno, Kubewarden and Policy
//! Reporter read this shape; `kubectl apply -f` takes the list as it is.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use aiops_core::{ReportedFinding, ScanReport};

use super::RenderContext;

/// API version of the reports.
pub(super) const API_VERSION: &str = "openreports.io/v1alpha1";
/// The `source` every report and result names.
const SOURCE: &str = "aiops";
/// The name of every report (one per namespace, so the same name never clashes).
const REPORT_NAME: &str = "aiops";

/// Writes the list of reports; `now` stamps every result.
pub(super) fn render(
    report: &ScanReport,
    context: &RenderContext,
    now: SystemTime,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    super::write_pretty_json(out, &reports(report, context, now))
}

/// The `List` of `Report`s (namespaces in name order) and the `ClusterReport` last.
fn reports(report: &ScanReport, context: &RenderContext, now: SystemTime) -> Value {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let timestamp = json!({"seconds": since.as_secs(), "nanos": since.subsec_nanos()});
    let mut namespaced: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    let mut cluster: Vec<Value> = Vec::new();
    for f in &report.findings {
        let result = finding_result(f, context, &timestamp);
        match kubernetes_namespace(f) {
            Some(ns) => namespaced.entry(ns).or_default().push(result),
            None => cluster.push(result),
        }
    }
    for failure in &report.plugin_failures {
        cluster.push(json!({
            "source": SOURCE,
            "policy": failure.plugin,
            "result": "error",
            "message": failure.message,
            "timestamp": timestamp,
        }));
    }
    for problem in &report.inventory_problems {
        let mut properties = json!({"source": problem.source});
        if let Some(line) = problem.line {
            properties["line"] = Value::from(line.to_string());
        }
        cluster.push(json!({
            "source": SOURCE,
            "policy": "inventory",
            "rule": "input-problem",
            "result": "error",
            "message": problem.message,
            "properties": properties,
            "timestamp": timestamp,
        }));
    }
    let mut items: Vec<Value> = namespaced
        .into_iter()
        .map(|(ns, results)| document("Report", Some(ns), results))
        .collect();
    items.push(document("ClusterReport", None, cluster));
    json!({"apiVersion": "v1", "kind": "List", "items": items})
}

/// A `Report` (namespaced) or `ClusterReport` with its results and their summary.
fn document(kind: &str, namespace: Option<&str>, results: Vec<Value>) -> Value {
    let count = |outcome: &str| results.iter().filter(|r| r["result"] == outcome).count();
    let summary = json!({
        "pass": count("pass"),
        "fail": count("fail"),
        "warn": count("warn"),
        "error": count("error"),
        "skip": count("skip"),
    });
    let mut metadata = json!({
        "name": REPORT_NAME,
        "labels": {"app.kubernetes.io/managed-by": SOURCE},
    });
    if let Some(ns) = namespace {
        metadata["namespace"] = Value::from(ns);
    }
    json!({
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": metadata,
        "source": SOURCE,
        "summary": summary,
        "results": results,
    })
}

/// The namespace of a namespaced Kubernetes object; `None` for cluster-scoped objects
/// and for cloud resources, whose "namespace" is a region or resource group.
fn kubernetes_namespace(f: &ReportedFinding) -> Option<&str> {
    f.resource
        .id
        .starts_with("k8s/")
        .then_some(f.resource.namespace.as_deref())
        .flatten()
}

/// One failed check as an OpenReports result.
fn finding_result(f: &ReportedFinding, context: &RenderContext, timestamp: &Value) -> Value {
    let mut properties: BTreeMap<String, String> = f
        .finding
        .evidence
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    properties.insert("fingerprint".into(), aiops_core::fingerprint(f));
    properties.insert("resourceId".into(), f.resource.id.clone());
    if let Some(component) = &f.resource.component {
        properties.insert("container".into(), component.clone());
    }
    if let Some(loc) = &f.location {
        properties.insert(
            "location".into(),
            format!(
                "{}:{}",
                context.relative_file(&loc.file).display(),
                loc.line
            ),
        );
    }
    let mut resource = json!({"kind": f.resource.kind, "name": f.resource.name});
    if let Some(ns) = kubernetes_namespace(f) {
        resource["namespace"] = Value::from(ns);
    }
    json!({
        "source": SOURCE,
        "policy": f.plugin,
        "rule": f.finding.rule,
        "category": f.finding.title,
        "severity": f.finding.severity.as_str(),
        "result": "fail",
        "scored": true,
        "message": f.finding.message,
        "resources": [resource],
        "properties": properties,
        "timestamp": timestamp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::Duration;

    /// The published CRD's `openAPIV3Schema`, as JSON Schema (see the file's notes).
    const SCHEMA: &str = include_str!("testdata/openreports-v1alpha1.schema.json");

    fn rendered(report: &ScanReport) -> Value {
        let context = RenderContext {
            scanned_dirs: vec![PathBuf::from("manifests")],
        };
        let now = UNIX_EPOCH + Duration::new(1_764_936_000, 5);
        let mut out = Vec::new();
        render(report, &context, now, &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    fn schema_errors(document: &Value) -> Vec<String> {
        let schema: Value = serde_json::from_str(SCHEMA).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        validator
            .iter_errors(document)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    #[test]
    fn one_report_per_namespace_and_a_cluster_report_all_valid_against_the_crd_schema() {
        let mut report = super::super::sample::report();
        let mut other = report.findings[0].clone();
        other.resource.id = "k8s/Deployment/billing/api".into();
        other.resource.namespace = Some("billing".into());
        report.findings.push(other);
        let mut rds = report.findings[0].clone();
        rds.resource.id = "aws/rds/eu-west-1/orders".into();
        rds.resource.namespace = Some("eu-west-1".into());
        rds.location = None;
        report.findings.push(rds);

        let list = rendered(&report);
        assert_eq!(list["kind"], "List");
        let items = list["items"].as_array().unwrap();
        let heads: Vec<(&str, Option<&str>)> = items
            .iter()
            .map(|i| {
                (
                    i["kind"].as_str().unwrap(),
                    i["metadata"]["namespace"].as_str(),
                )
            })
            .collect();
        assert_eq!(
            heads,
            [
                ("Report", Some("billing")),
                ("Report", Some("shop")),
                ("ClusterReport", None)
            ]
        );
        for item in items {
            assert_eq!(item["apiVersion"], API_VERSION);
            let errors = schema_errors(item);
            assert!(errors.is_empty(), "{errors:#?}\n{item:#}");
        }
        let shop = &items[1];
        assert_eq!(shop["summary"]["fail"], 2);
        let first = &shop["results"][0];
        assert_eq!(first["policy"], "k8s-resources");
        assert_eq!(first["rule"], "k8s.resources.cpu-limit-missing");
        assert_eq!(first["severity"], "low");
        assert_eq!(first["result"], "fail");
        assert_eq!(
            first["resources"][0],
            json!({"kind": "Deployment", "name": "cart", "namespace": "shop"})
        );
        assert_eq!(first["properties"]["location"], "cart.yaml:12");
        assert_eq!(first["properties"]["container"], "app");
        assert_eq!(
            first["timestamp"],
            json!({"seconds": 1_764_936_000u64, "nanos": 5})
        );
        let cluster = &items[2];
        let results = cluster["results"].as_array().unwrap();
        assert_eq!(results[0]["resources"][0]["name"], "cart");
        assert!(results[0]["resources"][0].get("namespace").is_none());
        assert_eq!(cluster["summary"]["fail"], 1);
        assert_eq!(
            cluster["summary"]["error"], 2,
            "plugin failure and input problem"
        );
    }

    #[test]
    fn the_schema_refuses_what_the_crd_would_refuse_or_prune() {
        let list = rendered(&super::super::sample::report());
        let mut bad = list["items"][0].clone();
        bad["results"][0]["result"] = Value::from("failed");
        assert!(!schema_errors(&bad).is_empty(), "a result outside the enum");
        let mut bad = list["items"][0].clone();
        bad["results"][0]["severity"] = Value::from("LOW");
        assert!(
            !schema_errors(&bad).is_empty(),
            "a severity outside the enum"
        );
        let mut bad = list["items"][0].clone();
        bad["results"][0]["properties"]["count"] = Value::from(3);
        assert!(
            !schema_errors(&bad).is_empty(),
            "a property that is not a string"
        );
        let mut bad = list["items"][0].clone();
        bad["results"][0]["resource"] = json!({"kind": "Pod"});
        assert!(
            !schema_errors(&bad).is_empty(),
            "a field the CRD would prune"
        );
    }

    #[test]
    fn a_clean_scan_still_writes_an_empty_cluster_report() {
        let list = rendered(&ScanReport::default());
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["kind"], "ClusterReport");
        assert_eq!(items[0]["summary"]["fail"], 0);
        assert!(schema_errors(&items[0]).is_empty());
    }
}
