//! The detector on the local-dev fixtures yields exactly the lists their EXPECTED files
//! give: `local-dev/manifests` (no usage metrics) and `local-dev/inventory/k8s-usage.json`
//! (a snapshot with the collector's usage metrics).

use crate::common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use aiops_sdk::Detector;
use aiops_sdk::testing::{change, findings_table, k8s_resources_from_dir, resources_from_snapshot};
use common::run_resources;
use k8s_workloads::K8sWorkloads;

fn local_dev() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../local-dev")
}

fn expected(file: &str) -> Vec<[String; 4]> {
    let text = fs::read_to_string(local_dev().join(file)).unwrap();
    findings_table(&text, "k8s.workloads.")
}

#[test]
fn fixture_manifests_yield_exactly_the_expected_findings() {
    let resources = k8s_resources_from_dir(&local_dev().join("manifests"));
    let kinds: BTreeSet<_> = resources.iter().map(|r| r.kind.as_str()).collect();
    // ReplicationController, ReplicaSet and PodTemplate have their own fixture (`kinds.rs`).
    let own_fixture = [
        aiops_sdk::kinds::REPLICA_SET,
        aiops_sdk::kinds::REPLICATION_CONTROLLER,
        aiops_sdk::kinds::POD_TEMPLATE,
    ];
    for kind in K8sWorkloads::info().kinds {
        if own_fixture.contains(&kind.as_str()) {
            continue;
        }
        assert!(kinds.contains(kind.as_str()), "the fixtures have no {kind}");
    }
    let run = run_resources("{}", resources);
    assert!(run.logs.is_empty(), "{:?}", run.logs);
    let expected = expected("manifests/EXPECTED.md");
    assert_eq!(expected.len(), 16, "EXPECTED.md table parsed");
    assert_eq!(run.table(), expected);

    // Every rule that needs no usage metrics fires at least once.
    let fired: BTreeSet<_> = run.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(
        fired.len(),
        K8sWorkloads::info().rules.len() - 2,
        "{fired:?}"
    );
    for clean in [
        "k8s/Deployment/shop/frontend",
        "k8s/Deployment/shop/recommendations",
        "k8s/HorizontalPodAutoscaler/shop/frontend",
        "k8s/Namespace/shop",
        "k8s/DaemonSet/kube-system/node-local-dns",
    ] {
        assert!(
            run.findings.iter().all(|f| f.resource_id != clean),
            "{clean}"
        );
    }
}

#[test]
fn usage_snapshot_yields_exactly_the_expected_findings() {
    let text = fs::read_to_string(local_dev().join("inventory/k8s-usage.json")).unwrap();
    let resources = resources_from_snapshot(&text);
    assert!(resources.iter().any(|r| !r.metrics.is_empty()));
    let run = run_resources("{}", resources);
    assert!(run.logs.is_empty(), "{:?}", run.logs);
    let expected = expected("inventory/k8s-usage-EXPECTED.md");
    assert_eq!(expected.len(), 4, "k8s-usage-EXPECTED.md table parsed");
    assert_eq!(run.table(), expected);

    let mut hints: Vec<_> = run
        .findings
        .iter()
        .map(|f| (f.resource_id.as_str(), change(f).1, change(f).2))
        .collect();
    hints.sort();
    assert_eq!(
        hints,
        [
            (
                "k8s/Deployment/payments/gateway",
                Some("\"1\""),
                "\"1400m\""
            ),
            ("k8s/Deployment/payments/ledger", Some("\"2\""), "\"380m\""),
            (
                "k8s/Deployment/payments/ledger",
                Some("\"4Gi\""),
                "\"5888Mi\""
            ),
            (
                "k8s/StatefulSet/payments/reconciler",
                Some("\"2Gi\""),
                "\"360Mi\""
            ),
        ]
    );
}
