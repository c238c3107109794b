//! `namespace-without-limitrange` and `namespace-without-resourcequota`.

use crate::common;

use aiops_sdk::Severity;
use common::*;

const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n";
const LIMIT_RANGE: &str = "kind: LimitRange\nmetadata: {name: defaults, namespace: shop}\nspec: {limits: [{type: Container, default: {memory: 256Mi}}]}\n";
const QUOTA: &str = "kind: ResourceQuota\nmetadata: {name: shop, namespace: shop}\nspec: {hard: {requests.cpu: '8'}}\n";

fn with(docs: &[&str]) -> String {
    let mut all = vec![NAMESPACE.to_string(), deployment("3", &good_container(""))];
    all.extend(docs.iter().map(|d| d.to_string()));
    all.join("---\n")
}

#[test]
fn namespace_with_workloads_and_no_guard_rails_gets_both_findings() {
    let run = run(&with(&[]));
    assert_eq!(
        hits(&run),
        [
            (
                "namespace-without-limitrange".into(),
                "k8s/Namespace/shop".into(),
                "-".into()
            ),
            (
                "namespace-without-resourcequota".into(),
                "k8s/Namespace/shop".into(),
                "-".into()
            ),
        ]
    );
    let f = run.only("namespace-without-limitrange");
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(f.evidence_value("workloads"), Some("1"));
    assert_eq!(
        f.message,
        "Namespace `shop` runs 1 workload and has no LimitRange, so containers that set no requests or limits get none."
    );
    assert!(f.remediation.is_none());
}

#[test]
fn each_object_clears_its_own_rule() {
    assert_eq!(
        hits(&run(&with(&[LIMIT_RANGE]))),
        [(
            "namespace-without-resourcequota".into(),
            "k8s/Namespace/shop".into(),
            "-".into()
        )]
    );
    assert_eq!(
        hits(&run(&with(&[QUOTA]))),
        [(
            "namespace-without-limitrange".into(),
            "k8s/Namespace/shop".into(),
            "-".into()
        )]
    );
    assert!(run(&with(&[LIMIT_RANGE, QUOTA])).findings.is_empty());
}

#[test]
fn objects_of_another_namespace_do_not_count() {
    let elsewhere = LIMIT_RANGE.replace("namespace: shop", "namespace: other");
    assert_eq!(
        count(&run(&with(&[&elsewhere])), "namespace-without-limitrange"),
        1
    );
}

#[test]
fn empty_namespaces_only_when_asked_and_system_namespaces_never() {
    let empty = "kind: Namespace\nmetadata: {name: sandbox}\n---\nkind: Namespace\nmetadata: {name: kube-system}\n---\nkind: Pod\nmetadata: {name: dns, namespace: kube-system}\nspec: {containers: []}\n";
    assert!(run(empty).findings.is_empty());
    let run = run_with(r#"{"include_empty_namespaces": true}"#, empty);
    assert_eq!(
        hits(&run),
        [
            (
                "namespace-without-limitrange".into(),
                "k8s/Namespace/sandbox".into(),
                "-".into()
            ),
            (
                "namespace-without-resourcequota".into(),
                "k8s/Namespace/sandbox".into(),
                "-".into()
            ),
        ]
    );
}

#[test]
fn workloads_without_a_namespace_object_are_not_judged_for_it() {
    let run = run(&deployment("3", &good_container("")));
    assert!(run.findings.is_empty(), "{:#?}", run.findings);
}
