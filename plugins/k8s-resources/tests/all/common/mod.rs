//! Helpers shared by the integration tests.
#![allow(dead_code)]

use aiops_sdk::Resource;
use aiops_sdk::testing::{DetectRun, Harness, k8s_resources_from_yaml};
use k8s_resources::K8sResources;

/// `(rule, resource id, component)`, the shape of `DetectRun::summary()`.
pub type Row = (String, String, Option<String>);

/// A summary row for a rule id suffix (`cpu-request-missing` → `k8s.resources.cpu-request-missing`).
pub fn row(rule: &str, resource: &str, container: &str) -> Row {
    (
        format!("k8s.resources.{rule}"),
        resource.to_string(),
        Some(container.to_string()),
    )
}

/// Sorted rows, to compare with `summary()`.
pub fn rows(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort();
    rows
}

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
    Harness::<K8sResources>::new()
        .config(config)
        .detect(resources)
        .expect("detect succeeds")
}

/// A Deployment `shop/web` with one container `app` whose `resources` is `resources` (YAML flow).
pub fn deployment(resources: &str) -> String {
    format!(
        "kind: Deployment
metadata: {{name: web, namespace: shop}}
spec:
  template:
    spec:
      containers:
      - name: app
        image: web:1
        resources: {resources}
"
    )
}

/// Resource id of [`deployment`].
pub const WEB: &str = "k8s/Deployment/shop/web";

/// Resources that no rule flags.
pub const GOOD: &str = "{requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 200m, memory: 256Mi}}";
