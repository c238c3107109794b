//! `single-replica-without-pdb` and `hpa-min-equals-max`, through the SDK harness.

use crate::common;

use aiops_sdk::Severity;
use aiops_sdk::testing::{change, hint_summary};
use common::*;

fn single(replicas: &str, extra: &str) -> aiops_sdk::testing::DetectRun {
    run(&format!(
        "{}---\n{extra}",
        deployment(replicas, &good_container(""))
    ))
}

#[test]
fn one_replica_without_a_pdb_is_flagged_with_a_replicas_hint() {
    let run = single("1", "");
    assert_eq!(
        hits(&run),
        [("single-replica-without-pdb".into(), WEB.into(), "-".into())]
    );
    let f = run.only("single-replica-without-pdb");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(
        f.message,
        "Deployment shop/web: it runs 1 replica and no PodDisruptionBudget selects its pods, so \
         draining or upgrading its node takes it down."
    );
    assert_eq!(f.evidence_value("replicas"), Some("1"));
    assert_eq!(f.evidence_value("pod_labels"), Some("app=web,tier=front"));
    assert_eq!(change(f), ("/spec/replicas", Some("1"), "2"));
    assert!(
        hint_summary(f).contains("PodDisruptionBudget"),
        "{}",
        hint_summary(f)
    );
}

#[test]
fn unset_replicas_count_as_one_and_the_hint_adds_the_field() {
    let run = single("null", "");
    assert_eq!(
        change(run.only("single-replica-without-pdb")),
        ("/spec/replicas", None, "2")
    );
    let run = run_with(
        r#"{"proposed_replicas": 3}"#,
        &deployment("null", &good_container("")),
    );
    assert_eq!(change(run.only("single-replica-without-pdb")).2, "3");
}

#[test]
fn two_or_zero_replicas_are_fine() {
    assert_eq!(count(&single("2", ""), "single-replica-without-pdb"), 0);
    assert_eq!(count(&single("0", ""), "single-replica-without-pdb"), 0);
}

#[test]
fn a_pdb_selecting_the_pods_clears_it() {
    let by_labels = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web, namespace: shop}\nspec: {minAvailable: 1, selector: {matchLabels: {app: web}}}\n";
    assert_eq!(
        count(&single("1", by_labels), "single-replica-without-pdb"),
        0
    );
    let by_expression = "kind: PodDisruptionBudget\nmetadata: {name: front, namespace: shop}\nspec:\n  maxUnavailable: 1\n  selector: {matchExpressions: [{key: tier, operator: In, values: [front, edge]}]}\n";
    assert_eq!(
        count(&single("1", by_expression), "single-replica-without-pdb"),
        0
    );
    let empty_selects_all = "kind: PodDisruptionBudget\nmetadata: {name: all, namespace: shop}\nspec: {minAvailable: 1, selector: {}}\n";
    assert_eq!(
        count(
            &single("1", empty_selects_all),
            "single-replica-without-pdb"
        ),
        0
    );
}

#[test]
fn a_pdb_of_other_pods_or_another_namespace_does_not_count() {
    for pdb in [
        "kind: PodDisruptionBudget\nmetadata: {name: api, namespace: shop}\nspec: {selector: {matchLabels: {app: api}}}\n",
        "kind: PodDisruptionBudget\nmetadata: {name: web, namespace: other}\nspec: {selector: {matchLabels: {app: web}}}\n",
        "kind: PodDisruptionBudget\nmetadata: {name: none, namespace: shop}\nspec: {minAvailable: 1}\n",
        "kind: PodDisruptionBudget\nmetadata: {name: web, namespace: shop}\nspec: {selector: {matchLabels: {app: web, tier: back}}}\n",
    ] {
        assert_eq!(
            count(&single("1", pdb), "single-replica-without-pdb"),
            1,
            "{pdb}"
        );
    }
}

#[test]
fn a_statefulset_is_flagged_without_a_hint_and_other_kinds_are_not() {
    let yaml = "kind: StatefulSet\nmetadata: {name: db, namespace: shop}\nspec:\n  replicas: 1\n  template:\n    metadata: {labels: {app: db}}\n    spec: {containers: []}\n---\nkind: DaemonSet\nmetadata: {name: agent, namespace: shop}\nspec: {template: {spec: {containers: []}}}\n---\nkind: Job\nmetadata: {name: once, namespace: shop}\nspec: {template: {spec: {containers: []}}}\n";
    let run = run(yaml);
    assert_eq!(
        hits(&run),
        [(
            "single-replica-without-pdb".into(),
            "k8s/StatefulSet/shop/db".into(),
            "-".into()
        )]
    );
    assert!(run.findings[0].remediation.is_none());
}

#[test]
fn an_hpa_decides_the_replicas_and_takes_the_hint_away() {
    let hpa = |min: &str| {
        format!(
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: web, namespace: shop}}\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n  minReplicas: {min}\n  maxReplicas: 6\n"
        )
    };
    // spec.replicas 3 but the HPA may scale down to 1.
    let run = run(&format!(
        "{}---\n{}",
        deployment("3", &good_container("")),
        hpa("1")
    ));
    let f = run.only("single-replica-without-pdb");
    assert_eq!(f.evidence_value("hpa"), Some("web"));
    assert!(
        f.message.contains("its HPA `web` keeps a minimum of 1"),
        "{}",
        f.message
    );
    assert!(f.remediation.is_none());
    // spec.replicas 1 but the HPA keeps at least 2.
    let run = common::run(&format!(
        "{}---\n{}",
        deployment("1", &good_container("")),
        hpa("2")
    ));
    assert_eq!(count(&run, "single-replica-without-pdb"), 0);
}

#[test]
fn only_an_hpa_of_the_same_namespace_and_kind_scales_a_workload() {
    let hpa = |name: &str, namespace: &str, kind: &str, min: i64| {
        format!(
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: {name}, namespace: {namespace}}}\nspec:\n  scaleTargetRef: {{kind: {kind}, name: web}}\n  minReplicas: {min}\n  maxReplicas: 6\n"
        )
    };
    // Same target name, but another namespace and another kind: neither scales it, so
    // its own single replica decides and the hint to raise it stays.
    let run = run(&format!(
        "{}---\n{}---\n{}",
        deployment("1", &good_container("")),
        hpa("elsewhere", "other", "Deployment", 3),
        hpa("sts", "shop", "StatefulSet", 3),
    ));
    let f = run.only("single-replica-without-pdb");
    assert_eq!(f.evidence_value("hpa"), None);
    assert!(f.remediation.is_some());
    // Two HPAs scale it: the first of the batch decides.
    let run = common::run(&format!(
        "{}---\n{}---\n{}",
        deployment("3", &good_container("")),
        hpa("first", "shop", "Deployment", 1),
        hpa("second", "shop", "Deployment", 2),
    ));
    assert_eq!(
        run.only("single-replica-without-pdb").evidence_value("hpa"),
        Some("first")
    );
}

fn hpa(api: &str, min: Option<i64>, max: i64) -> String {
    let min = min
        .map(|m| format!("  minReplicas: {m}\n"))
        .unwrap_or_default();
    format!(
        "apiVersion: {api}\nkind: HorizontalPodAutoscaler\nmetadata: {{name: web, namespace: shop}}\nspec:\n  scaleTargetRef: {{kind: Deployment, name: web}}\n{min}  maxReplicas: {max}\n"
    )
}

#[test]
fn hpa_with_min_equal_to_max_is_flagged_in_v1_and_v2() {
    for api in ["autoscaling/v1", "autoscaling/v2"] {
        let run = run(&hpa(api, Some(3), 3));
        let f = run.only("hpa-min-equals-max");
        assert_eq!(f.resource_id, "k8s/HorizontalPodAutoscaler/shop/web");
        assert_eq!(f.severity, Severity::Low);
        assert_eq!(f.evidence_value("api_version"), Some(api));
        assert_eq!(f.evidence_value("target"), Some("Deployment/web"));
        assert_eq!(f.evidence_value("min_replicas"), Some("3"));
        assert_eq!(change(f), ("/spec/maxReplicas", Some("3"), "6"));
    }
}

#[test]
fn hpa_with_unset_min_and_max_one_is_flagged() {
    let run = common::run(&hpa("autoscaling/v2", None, 1));
    let f = run.only("hpa-min-equals-max");
    assert!(
        f.message.contains("minReplicas (unset, so 1)"),
        "{}",
        f.message
    );
    assert_eq!(change(f), ("/spec/maxReplicas", Some("1"), "2"));
}

#[test]
fn hpa_with_room_to_scale_is_fine_and_the_factor_is_configurable() {
    assert_eq!(
        count(
            &run(&hpa("autoscaling/v2", Some(2), 5)),
            "hpa-min-equals-max"
        ),
        0
    );
    assert_eq!(
        count(&run(&hpa("autoscaling/v2", None, 4)), "hpa-min-equals-max"),
        0
    );
    let run = run_with(
        r#"{"hpa_max_factor": 1.5}"#,
        &hpa("autoscaling/v2", Some(3), 3),
    );
    assert_eq!(change(run.only("hpa-min-equals-max")).2, "5");
    // A factor of 1 would propose no change: the hint still gives one more replica.
    let run = run_with(
        r#"{"hpa_max_factor": 1}"#,
        &hpa("autoscaling/v2", Some(3), 3),
    );
    assert_eq!(change(run.only("hpa-min-equals-max")).2, "4");
}
