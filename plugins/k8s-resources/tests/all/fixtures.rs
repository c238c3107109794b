//! The detector on `local-dev/manifests` yields exactly the list in its `EXPECTED.md`.

use crate::common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use aiops_sdk::Detector;
use aiops_sdk::testing::{findings_table, k8s_resources_from_dir};
use common::run_resources;
use k8s_resources::K8sResources;

fn manifests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../local-dev/manifests")
}

#[test]
fn fixture_manifests_yield_exactly_the_expected_findings() {
    let resources = k8s_resources_from_dir(&manifests_dir());
    let kinds: BTreeSet<_> = resources.iter().map(|r| r.kind.as_str()).collect();
    // ReplicationController, ReplicaSet and PodTemplate have their own fixture (`kinds.rs`).
    for kind in
        aiops_sdk::k8s::WORKLOAD_KINDS[..6]
            .iter()
            .chain(&["Service", "ConfigMap", "Namespace"])
    {
        assert!(kinds.contains(kind), "the fixtures have no {kind}");
    }
    let workloads = resources
        .iter()
        .filter(|r| aiops_sdk::k8s::WORKLOAD_KINDS.contains(&r.kind.as_str()))
        .count();
    assert_eq!(workloads, 11);

    let run = run_resources("{}", resources);
    assert!(run.logs.is_empty(), "{:?}", run.logs);
    assert!(
        run.findings.iter().all(|f| f.component.is_some()),
        "every finding names its container"
    );
    let expected_md = fs::read_to_string(manifests_dir().join("EXPECTED.md")).unwrap();
    let expected = findings_table(&expected_md, "k8s.resources.");
    assert_eq!(expected.len(), 16, "EXPECTED.md table parsed");
    assert_eq!(run.table(), expected);

    let fired: BTreeSet<_> = run.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(
        fired.len(),
        K8sResources::info().rules.len(),
        "every rule fires at least once"
    );
    let clean = "k8s/Deployment/shop/frontend";
    assert!(run.findings.iter().all(|f| f.resource_id != clean));
}
