//! Plugin info, bad input and config errors.

use crate::common;

use aiops_sdk::testing::Harness;
use aiops_sdk::{Detector, LogLevel, Platform, Resource};
use common::*;
use k8s_workloads::K8sWorkloads;

#[test]
fn info_declares_every_rule_with_docs_and_takes_the_whole_batch() {
    let info = K8sWorkloads::info();
    assert_eq!(info.name, "k8s-workloads");
    assert!(
        !info.per_resource,
        "cross-resource rules need the whole batch"
    );
    assert_eq!(info.rules.len(), 10);
    aiops_sdk::testing::assert_info_is_well_formed(&info);
    for rule in &info.rules {
        assert!(rule.id.starts_with("k8s.workloads."), "{}", rule.id);
    }
    let related = [
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "Namespace",
        "LimitRange",
        "ResourceQuota",
    ];
    for kind in aiops_sdk::k8s::WORKLOAD_KINDS.iter().chain(&related) {
        assert!(info.kinds.iter().any(|k| k == kind), "{kind}");
    }
}

#[test]
fn survives_broken_input_and_never_judges_other_kinds() {
    let resources =
        aiops_sdk::testing::k8s_resources_from_yaml(&deployment("1", &good_container("")));
    aiops_sdk::testing::assert_robust::<K8sWorkloads>(&resources);
}

#[test]
fn unreadable_resources_are_skipped_with_a_warning_and_the_rest_judged() {
    let bad = Resource {
        id: "k8s/Deployment/shop/broken".into(),
        kind: "Deployment".into(),
        platform: Platform::Kubernetes,
        name: "broken".into(),
        namespace: Some("shop".into()),
        labels: vec![],
        metrics: vec![],
        raw: "{not json".into(),
    };
    let bad_pdb = Resource {
        id: "k8s/PodDisruptionBudget/shop/odd".into(),
        kind: "PodDisruptionBudget".into(),
        raw: r#"{"spec": {"selector": {"matchLabels": "app=web"}}}"#.into(),
        ..bad.clone()
    };
    let mut resources =
        aiops_sdk::testing::k8s_resources_from_yaml(&deployment("1", &good_container("")));
    resources.insert(0, bad);
    resources.push(bad_pdb);
    let run = run_resources("{}", resources);
    assert_eq!(
        hits(&run),
        [("single-replica-without-pdb".into(), WEB.into(), "-".into())]
    );
    let warned: Vec<_> = run
        .logs
        .iter()
        .filter(|l| l.level == LogLevel::Warn)
        .map(|l| l.fields[0].1.clone())
        .collect();
    assert_eq!(
        warned,
        [
            "k8s/Deployment/shop/broken",
            "k8s/PodDisruptionBudget/shop/odd"
        ]
    );
    assert!(
        run.logs[1].fields[1].1.contains("spec.selector"),
        "{:?}",
        run.logs[1]
    );
}

#[test]
fn invalid_config_fails_the_batch_naming_the_key() {
    let err = Harness::<K8sWorkloads>::new()
        .config(r#"{"request_usage_ratio": 0.5}"#)
        .detect(vec![])
        .unwrap_err();
    assert_eq!(
        err,
        "invalid plugin config: `request_usage_ratio` must be between 1 and 1000, got 0.5"
    );
    let err = Harness::<K8sWorkloads>::new()
        .config(r#"{"exclude": []}"#)
        .detect(vec![])
        .unwrap_err();
    assert!(err.contains("unknown key `exclude`"), "{err}");
}
