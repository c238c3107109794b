//! The detector on `local-dev/manifests` yields exactly the list in its `EXPECTED.md`.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use aiops_sdk::k8s::resource_from_object;
use aiops_sdk::testing::k8s_resources_from_yaml;
use aiops_sdk::{Detector, Resource};
use common::run_resources;
use k8s_resources::K8sResources;
use serde_json::Value;

fn manifests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../local-dev/manifests")
}

/// Every object of the fixture files: YAML documents, JSON objects, and the items of a `List`.
fn load_fixtures() -> Vec<Resource> {
    let mut paths: Vec<_> = fs::read_dir(manifests_dir())
        .expect("local-dev/manifests exists")
        .map(|entry| entry.unwrap().path())
        .collect();
    paths.sort();
    let mut resources = Vec::new();
    for path in paths {
        let text = fs::read_to_string(&path).unwrap();
        match path.extension().and_then(|e| e.to_str()) {
            Some("yaml" | "yml") => resources.extend(k8s_resources_from_yaml(&text)),
            Some("json") => {
                let value: Value = serde_json::from_str(&text).expect("fixture JSON parses");
                let objects = match value["kind"].as_str() {
                    Some("List") => value["items"].as_array().expect("a List has items").clone(),
                    _ => vec![value],
                };
                resources.extend(objects.iter().map(|o| resource_from_object(o).unwrap()));
            }
            _ => {}
        }
    }
    resources
}

/// `(rule, severity, resource, container)` rows of the findings table of `EXPECTED.md`.
fn expected_rows() -> Vec<(String, String, String, String)> {
    let text = fs::read_to_string(manifests_dir().join("EXPECTED.md")).unwrap();
    let mut rows: Vec<_> = text
        .lines()
        .filter(|line| line.starts_with("| `k8s.resources."))
        .map(|line| {
            let cells: Vec<_> = line
                .split('|')
                .map(|cell| cell.trim().trim_matches('`').to_string())
                .collect();
            (
                cells[1].clone(),
                cells[2].clone(),
                cells[3].clone(),
                cells[4].clone(),
            )
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn fixture_manifests_yield_exactly_the_expected_findings() {
    let resources = load_fixtures();
    let kinds: BTreeSet<_> = resources.iter().map(|r| r.kind.as_str()).collect();
    for kind in aiops_sdk::k8s::WORKLOAD_KINDS
        .iter()
        .chain(&["Service", "ConfigMap", "Namespace"])
    {
        assert!(kinds.contains(kind), "the fixtures have no {kind}");
    }
    let workloads = resources
        .iter()
        .filter(|r| aiops_sdk::k8s::WORKLOAD_KINDS.contains(&r.kind.as_str()))
        .count();
    assert_eq!(workloads, 8);

    let run = run_resources("{}", resources);
    assert!(run.logs.is_empty(), "{:?}", run.logs);
    let mut actual: Vec<_> = run
        .findings
        .iter()
        .map(|f| {
            let container = f
                .component
                .clone()
                .expect("every finding names its container");
            (
                f.rule.clone(),
                f.severity.to_string(),
                f.resource_id.clone(),
                container,
            )
        })
        .collect();
    actual.sort();
    assert_eq!(actual, expected_rows());

    let fired: BTreeSet<_> = run.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(
        fired.len(),
        K8sResources::info().rules.len(),
        "every rule fires at least once"
    );
    let clean = "k8s/Deployment/shop/frontend";
    assert!(run.findings.iter().all(|f| f.resource_id != clean));
}
