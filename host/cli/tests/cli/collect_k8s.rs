//! `aiops scan --source k8s` end to end: the binary reads a stand-in API server (the
//! local-dev manifests served as the real API serves them, `KUBECONFIG` pointing at it)
//! and the built-in Kubernetes detectors report exactly the manifests' findings; and
//! faults of the k8s source (down, slow, throttled, malformed) beside an AWS snapshot:
//! exit 3, stderr names `k8s`, the AWS findings are complete.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde::Deserialize as _;
use serde_json::Value;

use aiops_standins::k8s_api::{self, FakeApiServer, TOKEN, kind_info};

fn repo() -> PathBuf {
    aiops_standins::repo_root()
}

fn aiops(args: &[&str], cache: &Path, kubeconfig: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aiops"))
        .args(args)
        .current_dir(repo())
        .env("AIOPS_CACHE_DIR", cache)
        .env("KUBECONFIG", kubeconfig)
        .env(
            "RUST_LOG",
            "info,aiops=trace,kube=trace,kube_client=trace,tower_http=trace",
        )
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !text.contains(TOKEN),
        "the token leaked into stderr:\n{text}"
    );
    text
}

/// `(rule, resource id, third column)` rows of an EXPECTED.md table whose rule starts
/// with `prefix`, sorted.
pub(crate) fn expected_rows(
    file: &str,
    prefix: &str,
    third: usize,
) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(repo().join(file)).unwrap();
    let mut rows: Vec<_> = text
        .lines()
        .filter(|l| l.starts_with(&format!("| `{prefix}")))
        .map(|l| {
            let c: Vec<String> = l
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect();
            let extra = if third == 0 {
                String::new()
            } else {
                c[third].clone()
            };
            (c[0].clone(), c[2].clone(), extra)
        })
        .collect();
    rows.sort();
    rows
}

/// `(rule, resource id, container)` of a JSON report, sorted.
fn findings(out: &Output, with_container: bool) -> Vec<(String, String, String)> {
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_else(|err| {
        panic!(
            "not a JSON report ({err}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    let mut got: Vec<_> = findings
        .iter()
        .map(|f| {
            let container = if with_container {
                f["resource"]["container"]
                    .as_str()
                    .unwrap_or("-")
                    .to_string()
            } else {
                String::new()
            };
            (
                f["rule"].as_str().unwrap().to_string(),
                f["resource"]["id"].as_str().unwrap().to_string(),
                container,
            )
        })
        .collect();
    got.sort();
    got
}

/// Every object of local-dev/manifests whose kind the API serves here (`List` unwrapped).
fn manifest_objects() -> Vec<Value> {
    let mut objects = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("local-dev/manifests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let docs: Vec<Value> = match file.extension().and_then(|e| e.to_str()) {
            Some("json") => vec![serde_json::from_str(&text).unwrap()],
            Some("yaml") => serde_norway::Deserializer::from_str(&text)
                .map(|doc| Value::deserialize(doc).unwrap())
                .filter(|doc| !doc.is_null())
                .collect(),
            _ => continue,
        };
        for doc in docs {
            if doc["kind"] == "List" {
                objects.extend(doc["items"].as_array().unwrap().iter().cloned());
            } else {
                objects.push(doc);
            }
        }
    }
    objects.retain(|o| o["kind"].as_str().and_then(kind_info).is_some());
    objects
}

fn serve_manifests() -> FakeApiServer {
    let server = FakeApiServer::start();
    let objects = manifest_objects();
    assert!(objects.len() >= 10, "{} objects", objects.len());
    let mut state = server.state();
    for mut object in objects {
        // The API server answers autoscaling/v2 for an HPA created through v1.
        if object["apiVersion"] == "autoscaling/v1" {
            let spec = object["spec"].as_object_mut().unwrap();
            if let Some(target) = spec.remove("targetCPUUtilizationPercentage") {
                spec.insert(
                    "metrics".into(),
                    serde_json::json!([{"type": "Resource", "resource": {"name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": target}}}]),
                );
            }
            object["apiVersion"] = "autoscaling/v2".into();
        }
        // As stored by the API server: server-side fields a manifest lacks.
        object["metadata"]["resourceVersion"] = "48100".into();
        object["metadata"]["managedFields"] =
            serde_json::json!([{"manager": "kubectl", "operation": "Update"}]);
        state.add(object);
    }
    drop(state);
    server
}

#[test]
fn scan_source_k8s_reports_the_manifests_findings_from_the_live_api() {
    let server = serve_manifests();
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let kubeconfig = server.write_kubeconfig(dir.path());

    let out = aiops(
        &["scan", "--source", "k8s", "--format", "json"],
        cache.path(),
        &kubeconfig,
    );
    let log = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    let expected = expected_rows("local-dev/manifests/EXPECTED.md", "k8s.", 3);
    assert_eq!(expected.len(), 32, "EXPECTED.md table parsed");
    assert_eq!(findings(&out, true), expected);
    assert!(
        log.contains("metrics API (metrics.k8s.io/v1beta1) is not served"),
        "one info line when metrics are absent:\n{log}"
    );
    assert_eq!(log.matches("metrics API").count(), 1, "{log}");
    assert!(
        server
            .state()
            .requests
            .iter()
            .any(|r| r.path == "/apis/apps/v1/deployments"
                && r.query.get("limit").map(String::as_str) == Some("500")),
        "default page size sent"
    );

    // Capture once, replay offline: the same findings from the snapshot.
    let snapshot = dir.path().join("cluster.json");
    let collected = aiops(
        &[
            "collect",
            "--source",
            "k8s",
            "-o",
            snapshot.to_str().unwrap(),
        ],
        cache.path(),
        &kubeconfig,
    );
    assert_eq!(collected.status.code(), Some(0), "{}", stderr(&collected));
    let snapshot_text = std::fs::read_to_string(&snapshot).unwrap();
    assert!(!snapshot_text.contains("managedFields"));
    let replayed = aiops(
        &[
            "scan",
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--format",
            "json",
        ],
        cache.path(),
        &kubeconfig,
    );
    assert_eq!(replayed.status.code(), Some(0), "{}", stderr(&replayed));
    assert_eq!(findings(&replayed, true), expected);
}

#[test]
fn scan_source_k8s_with_the_metrics_api_feeds_the_usage_rules() {
    let server = serve_manifests();
    {
        let mut state = server.state();
        state.metrics_served = true;
        let frontend = state_object(&state, "Deployment", "frontend");
        let owner = |kind: &str, name: &str| {
            serde_json::json!([{"apiVersion": "apps/v1", "kind": kind, "name": name,
                "uid": "3c1f6a52-8d0e-4b7a-9f21-5e6d7c8b9a01", "controller": true,
                "blockOwnerDeletion": true}])
        };
        let mut replica_set = serde_json::json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": "frontend-6f9c8d7b5", "namespace": "shop",
                "labels": {"app": "frontend", "pod-template-hash": "6f9c8d7b5"}},
            "spec": {"replicas": 2, "selector": frontend["spec"]["selector"].clone(),
                "template": frontend["spec"]["template"].clone()}
        });
        replica_set["metadata"]["ownerReferences"] = owner("Deployment", "frontend");
        state.add(replica_set);
        // The usage: web peaks at 40m of its 250m CPU request (6.25x) and at 480Mi of
        // its 512Mi memory limit (93.75%).
        for (pod, cpu, memory) in [
            ("frontend-6f9c8d7b5-k2x9q", "20m", "470Mi"),
            ("frontend-6f9c8d7b5-w7p4n", "40000000n", "480Mi"),
        ] {
            state.add(serde_json::json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": pod, "namespace": "shop",
                    "labels": {"app": "frontend", "pod-template-hash": "6f9c8d7b5"},
                    "ownerReferences": owner("ReplicaSet", "frontend-6f9c8d7b5")},
                "spec": frontend["spec"]["template"]["spec"].clone(),
                "status": {"phase": "Running"}
            }));
            state.add(serde_json::json!({
                "apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
                "metadata": {"name": pod, "namespace": "shop", "labels": {"app": "frontend"}},
                "timestamp": "2026-11-25T09:59:48Z", "window": "30s",
                "containers": [{"name": "web", "usage": {"cpu": cpu, "memory": memory}}]
            }));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let kubeconfig = server.write_kubeconfig(dir.path());
    let out = aiops(
        &["scan", "--source", "k8s", "--format", "json"],
        cache.path(),
        &kubeconfig,
    );
    let log = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(!log.contains("metrics API"), "{log}");
    let mut expected = expected_rows("local-dev/manifests/EXPECTED.md", "k8s.", 3);
    for rule in ["request-above-usage", "usage-near-limit"] {
        expected.push((
            format!("k8s.workloads.{rule}"),
            "k8s/Deployment/shop/frontend".into(),
            "web".into(),
        ));
    }
    expected.sort();
    assert_eq!(findings(&out, true), expected);
}

/// The served object of `kind` named `name`.
fn state_object(state: &k8s_api::ApiState, kind: &str, name: &str) -> Value {
    state
        .objects_of(kind)
        .into_iter()
        .find(|o| o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} served"))
}

/// How the k8s source misbehaves in a fault test.
enum Fault {
    Down,
    Slow,
    Throttled,
    Malformed,
}

/// Scans the k8s source with `fault` beside the AWS snapshot fixture; asserts exit 3,
/// `k8s` named on stderr and the AWS findings complete; returns stderr.
fn scan_beside_aws(fault: Fault) -> String {
    let server = FakeApiServer::start();
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let kubeconfig = match fault {
        Fault::Down => {
            let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let url = format!("http://{}", closed.local_addr().unwrap());
            drop(closed);
            let path = dir.path().join("kubeconfig");
            std::fs::write(&path, k8s_api::kubeconfig(&url)).unwrap();
            path
        }
        _ => server.write_kubeconfig(dir.path()),
    };
    {
        let mut state = server.state();
        for object in manifest_objects() {
            state.add(object);
        }
        match fault {
            Fault::Slow => state.delay = Some(Duration::from_secs(5)),
            Fault::Throttled => {
                for kind in [
                    "Namespace",
                    "Pod",
                    "Deployment",
                    "StatefulSet",
                    "DaemonSet",
                    "Job",
                    "CronJob",
                    "LimitRange",
                    "ResourceQuota",
                    "PodDisruptionBudget",
                    "HorizontalPodAutoscaler",
                ] {
                    let (gv, plural, _) = kind_info(kind).unwrap();
                    state.throttle.insert(format!("{gv}/{plural}"), 1000);
                }
            }
            Fault::Malformed => state.malformed = true,
            Fault::Down => {}
        }
    }
    let config = dir.path().join("aiops.yaml");
    std::fs::write(
        &config,
        "plugins:\n  settings:\n    aws-rds-mysql:\n      config: {today: \"2026-11-25\"}\n    aws-kinesis-shards:\n      config: {min_retention_hours: 48}\n\
         collectors:\n  k8s:\n    timeout_seconds: 2\n    retry: {max_attempts: 3, base_delay_ms: 10, max_delay_ms: 100}\n",
    )
    .unwrap();
    let out = aiops(
        &[
            "scan",
            "--source",
            "k8s",
            "--source",
            "snapshot:local-dev/inventory/aws.json",
            "--format",
            "json",
            "--config",
            config.to_str().unwrap(),
        ],
        cache.path(),
        &kubeconfig,
    );
    let log = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{log}");
    let got: Vec<_> = findings(&out, false)
        .into_iter()
        .filter(|(rule, _, _)| rule.starts_with("aws."))
        .collect();
    let expected = expected_rows("local-dev/inventory/EXPECTED.md", "aws.", 0);
    assert_eq!(expected.len(), 19, "EXPECTED.md table parsed");
    assert_eq!(got, expected);
    assert!(
        findings(&out, false)
            .iter()
            .all(|(rule, _, _)| rule.starts_with("aws.")),
        "nothing from k8s"
    );
    log
}

#[test]
fn k8s_down_fails_only_the_k8s_source() {
    let log = scan_beside_aws(Fault::Down);
    assert!(
        log.contains("error: k8s: http://127.0.0.1:")
            && log.contains("cannot reach the API server"),
        "{log}"
    );
}

#[test]
fn k8s_slow_past_its_timeout_fails_only_the_k8s_source() {
    let log = scan_beside_aws(Fault::Slow);
    assert!(log.contains("error: k8s: timed out after 2s"), "{log}");
}

#[test]
fn k8s_throttled_past_its_retries_fails_only_the_k8s_kinds() {
    let log = scan_beside_aws(Fault::Throttled);
    assert!(
        log.contains("error: k8s/Namespace: HTTP 429 TooManyRequests: Too many requests"),
        "{log}"
    );
    assert!(log.contains("error: k8s/Deployment: HTTP 429"), "{log}");
    assert!(log.contains("retrying"), "retries are logged: {log}");
}

#[test]
fn k8s_malformed_json_fails_only_the_k8s_kinds() {
    let log = scan_beside_aws(Fault::Malformed);
    assert!(
        log.contains("error: k8s/Pod: malformed response: /api/v1/pods: "),
        "{log}"
    );
}
