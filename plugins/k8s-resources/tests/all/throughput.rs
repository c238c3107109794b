//! Native throughput on a large synthetic inventory; run with
//! `cargo test -p k8s-resources --release --test throughput -- --ignored --nocapture`.

use crate::common;

use std::time::Instant;

use aiops_sdk::Resource;
use aiops_sdk::k8s::resource_from_object;
use serde_json::json;

/// `n` Deployments of realistic size (two containers, env, probes, annotations), a third
/// of them with findings.
fn inventory(n: usize) -> Vec<Resource> {
    (0..n)
        .map(|i| {
            let limits = match i % 3 {
                0 => json!({"cpu": "1", "memory": "512Mi"}),
                1 => json!({"cpu": "4", "memory": "256Mi"}),
                _ => json!({"memory": "512Mi"}),
            };
            let object = json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {
                    "name": format!("svc-{i}"), "namespace": format!("team-{}", i % 50),
                    "labels": {"app": format!("svc-{i}"), "team": "shop", "tier": "backend"},
                    "annotations": {"deployment.kubernetes.io/revision": "7",
                        "kubectl.kubernetes.io/last-applied-configuration": "x".repeat(600)}
                },
                "spec": {"replicas": 3, "selector": {"matchLabels": {"app": format!("svc-{i}")}},
                    "template": {"metadata": {"labels": {"app": format!("svc-{i}")}}, "spec": {
                        "containers": [
                            {"name": "app", "image": "registry.example.com/shop/app:1.2.3",
                             "ports": [{"containerPort": 8080}],
                             "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "two"}],
                             "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": limits},
                             "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
                             "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}}},
                            {"name": "proxy", "image": "envoyproxy/envoy:v1.31",
                             "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                                           "limits": {"cpu": "200m", "memory": "128Mi"}}}
                        ]}}}
            });
            resource_from_object(&object).unwrap()
        })
        .collect()
}

#[test]
#[ignore = "benchmark; run in release"]
fn detects_100k_deployments() {
    for n in [10_000, 100_000] {
        let resources = inventory(n);
        let bytes: usize = resources.iter().map(|r| r.raw.len()).sum();
        let start = Instant::now();
        let run = common::run_resources("{}", resources);
        let elapsed = start.elapsed();
        println!(
            "{n} resources ({} MB raw): {} findings in {elapsed:?} ({:.2} µs/resource)",
            bytes / 1_000_000,
            run.findings.len(),
            elapsed.as_secs_f64() * 1e6 / n as f64
        );
    }
}
