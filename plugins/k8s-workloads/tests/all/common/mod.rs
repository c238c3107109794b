//! Helpers shared by the integration tests.
#![allow(dead_code)]

use aiops_sdk::testing::{DetectRun, Harness, k8s_resources_from_yaml};
use aiops_sdk::{Metric, Resource};
use k8s_workloads::K8sWorkloads;

/// Runs the detector with the default config on YAML documents.
pub fn run(yaml: &str) -> DetectRun {
    run_with("{}", yaml)
}

/// Runs the detector with a config on YAML documents.
pub fn run_with(config: &str, yaml: &str) -> DetectRun {
    run_resources(config, k8s_resources_from_yaml(yaml))
}

/// Runs the detector with a config on resources.
pub fn run_resources(config: &str, resources: Vec<Resource>) -> DetectRun {
    Harness::<K8sWorkloads>::new()
        .config(config)
        .detect(resources)
        .expect("detect succeeds")
}

/// `(rule suffix, resource id, component)` of the findings, sorted.
pub fn hits(run: &DetectRun) -> Vec<(String, String, String)> {
    run.summary()
        .into_iter()
        .map(|(rule, id, c)| {
            (
                rule.trim_start_matches("k8s.workloads.").to_string(),
                id,
                c.unwrap_or_else(|| "-".into()),
            )
        })
        .collect()
}

/// Findings of the rule with this id suffix.
pub fn count(run: &DetectRun, rule: &str) -> usize {
    run.of_rule(&format!("k8s.workloads.{rule}")).len()
}

/// A well-run container `app` (version tag, both probes, a port) as a YAML flow mapping,
/// with `extra` fields appended (e.g. `, resources: {...}`).
pub fn good_container(extra: &str) -> String {
    format!(
        "{{name: app, image: 'registry.example.com/web:1.4.2', ports: [{{containerPort: 8080}}], \
         livenessProbe: {{tcpSocket: {{port: 8080}}}}, \
         readinessProbe: {{httpGet: {{path: /ready, port: 8080}}}}{extra}}}"
    )
}

/// A Deployment `shop/web` (pods labelled `app: web`) with `replicas` (YAML, e.g. `3` or
/// `null`) and the given containers (YAML flow sequence items).
pub fn deployment(replicas: &str, containers: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: shop}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web, tier: front}}}}
    spec:
      containers: [{containers}]
"
    )
}

/// Resource id of [`deployment`].
pub const WEB: &str = "k8s/Deployment/shop/web";

/// A usage metric summary over 14 days for container `component`.
pub fn usage(name: &str, unit: &str, component: &str, avg: f64, max: f64) -> Metric {
    Metric {
        name: name.to_string(),
        unit: unit.to_string(),
        window_seconds: 1_209_600,
        avg: Some(avg),
        max: Some(max),
        p95: None,
        points: Vec::new(),
        component: Some(component.to_string()),
    }
}
