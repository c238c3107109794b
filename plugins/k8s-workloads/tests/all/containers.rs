//! Probe and image rules, per container, through the SDK harness.

use crate::common;

use aiops_sdk::Severity;
use aiops_sdk::testing::{change, hint_summary};
use common::*;

fn web(container: &str) -> aiops_sdk::testing::DetectRun {
    run(&deployment("3", container))
}

#[test]
fn a_well_run_deployment_has_no_findings() {
    let run = web(&good_container(""));
    assert!(run.findings.is_empty(), "{:#?}", run.findings);
    assert!(run.logs.is_empty());
}

#[test]
fn missing_liveness_probe_proposes_a_tcp_check_on_the_first_port() {
    let run = web(
        "{name: app, image: 'web:1', ports: [{name: http, containerPort: 8080}, {containerPort: 9090}], readinessProbe: {httpGet: {path: /ready, port: 8080}}}",
    );
    assert_eq!(
        hits(&run),
        [("liveness-probe-missing".into(), WEB.into(), "app".into())]
    );
    let f = run.only("liveness-probe-missing");
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(
        f.message,
        "Container `app` of Deployment shop/web has no liveness probe, so the kubelet never restarts it when it hangs."
    );
    assert_eq!(
        change(f),
        (
            "/spec/template/spec/containers/0/livenessProbe",
            None,
            r#"{"tcpSocket":{"port":8080}}"#
        )
    );
}

#[test]
fn missing_readiness_probe_reuses_the_liveness_handler_without_its_timings() {
    let run = web(
        "{name: app, image: 'web:1', ports: [{containerPort: 8080}], livenessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 20, failureThreshold: 6}}",
    );
    let f = run.only("readiness-probe-missing");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(
        change(f),
        (
            "/spec/template/spec/containers/0/readinessProbe",
            None,
            r#"{"httpGet":{"path":"/healthz","port":8080}}"#
        )
    );
    assert!(hint_summary(f).contains("the same check as its liveness probe"));
}

#[test]
fn without_probes_or_ports_both_are_flagged_without_hints() {
    let run = web("{name: worker, image: 'queue-worker:3'}");
    assert_eq!(
        hits(&run),
        [
            ("liveness-probe-missing".into(), WEB.into(), "worker".into()),
            (
                "readiness-probe-missing".into(),
                WEB.into(),
                "worker".into()
            ),
        ]
    );
    assert!(run.findings.iter().all(|f| f.remediation.is_none()));
}

#[test]
fn readiness_falls_back_to_a_tcp_check_and_a_startup_probe_is_noted() {
    let run = web(
        "{name: app, image: 'web:1', ports: [{containerPort: 7000}], startupProbe: {tcpSocket: {port: 7000}}}",
    );
    assert_eq!(
        change(run.only("readiness-probe-missing")).2,
        r#"{"tcpSocket":{"port":7000}}"#
    );
    assert_eq!(
        run.only("liveness-probe-missing")
            .evidence_value("startup_probe"),
        Some("set")
    );
}

#[test]
fn probes_are_checked_on_sidecars_but_not_on_init_containers_or_jobs() {
    let yaml = "kind: DaemonSet
metadata: {name: agent, namespace: ops}
spec:
  template:
    spec:
      initContainers:
      - {name: setup, image: 'busybox:1.37'}
      - {name: proxy, image: 'envoy:1.32', restartPolicy: Always, ports: [{containerPort: 15000}]}
      containers:
      - {name: agent, image: 'agent:2', livenessProbe: {exec: {command: [true]}}, readinessProbe: {exec: {command: [true]}}}
---
kind: Job
metadata: {name: once, namespace: ops}
spec: {template: {spec: {containers: [{name: run, image: 'tool:1'}]}}}
---
kind: CronJob
metadata: {name: nightly, namespace: ops}
spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: run, image: 'tool:1'}]}}}}}
";
    let run = run(yaml);
    assert_eq!(
        hits(&run),
        [
            (
                "liveness-probe-missing".into(),
                "k8s/DaemonSet/ops/agent".into(),
                "proxy".into()
            ),
            (
                "readiness-probe-missing".into(),
                "k8s/DaemonSet/ops/agent".into(),
                "proxy".into()
            ),
        ]
    );
    assert_eq!(
        change(run.only("liveness-probe-missing")).0,
        "/spec/template/spec/initContainers/1/livenessProbe"
    );
}

#[test]
fn bare_pods_are_checked_and_owned_pods_are_left_to_their_owner() {
    let pod = |owners: &str| {
        format!(
            "kind: Pod\nmetadata: {{name: p, namespace: shop{owners}}}\nspec: {{containers: [{{name: c, image: 'busybox'}}]}}\n"
        )
    };
    let bare = run(&pod(""));
    assert_eq!(bare.findings.len(), 4, "{:#?}", bare.findings);
    assert_eq!(
        change(bare.only("image-pull-policy-unset")).0,
        "/spec/containers/0/imagePullPolicy"
    );
    let owned = run(&pod(
        ", ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d4f, uid: x, controller: true}]",
    ));
    assert!(owned.findings.is_empty(), "{:#?}", owned.findings);
}

#[test]
fn latest_and_missing_tags_are_flagged_with_pull_policy_hints() {
    for (image, tag) in [
        ("nginx", "none"),
        ("docker.io/library/nginx:latest", "latest"),
        ("registry.local:5000/team/app", "none"),
    ] {
        let run =
            web(&good_container("")
                .replace("'registry.example.com/web:1.4.2'", &format!("'{image}'")));
        assert_eq!(
            hits(&run),
            [
                ("image-pull-policy-unset".into(), WEB.into(), "app".into()),
                ("image-tag-mutable".into(), WEB.into(), "app".into()),
            ],
            "{image}"
        );
        let f = run.only("image-tag-mutable");
        assert_eq!(f.severity, Severity::Medium);
        assert_eq!(f.evidence_value("image"), Some(image));
        assert_eq!(f.evidence_value("tag"), Some(tag));
        assert!(
            f.remediation.is_none(),
            "which version to pin is the team's call"
        );
        let p = run.only("image-pull-policy-unset");
        assert_eq!(p.severity, Severity::Low);
        assert_eq!(
            change(p),
            (
                "/spec/template/spec/containers/0/imagePullPolicy",
                None,
                "\"Always\""
            )
        );
    }
}

#[test]
fn an_explicit_pull_policy_clears_only_the_policy_rule() {
    let run =
        web(&good_container(", imagePullPolicy: IfNotPresent").replace("web:1.4.2", "web:latest"));
    assert_eq!(
        hits(&run),
        [("image-tag-mutable".into(), WEB.into(), "app".into())]
    );
}

#[test]
fn digests_and_version_tags_are_fine_and_jobs_init_containers_are_checked() {
    for image in [
        "web@sha256:4f2d",
        "web:latest@sha256:4f2d",
        "web:1.4.2",
        "web:latest-2024",
    ] {
        let run = web(&good_container("").replace("registry.example.com/web:1.4.2", image));
        assert!(run.findings.is_empty(), "{image}: {:#?}", run.findings);
    }
    let job = "kind: Job\nmetadata: {name: once, namespace: ops}\nspec: {template: {spec: {initContainers: [{name: wait, image: busybox, imagePullPolicy: Always}], containers: [{name: run, image: 'tool:1'}, {name: noimage}]}}}\n";
    let run = run(job);
    assert_eq!(
        hits(&run),
        [(
            "image-tag-mutable".into(),
            "k8s/Job/ops/once".into(),
            "wait".into()
        )]
    );
}

#[test]
fn excluded_namespaces_are_skipped() {
    let yaml = "kind: Pod\nmetadata: {name: p, namespace: kube-system}\nspec: {containers: [{name: c, image: busybox}]}\n";
    assert!(run(yaml).findings.is_empty());
    let run = run_with(r#"{"exclude_namespaces": []}"#, yaml);
    assert_eq!(run.findings.len(), 4);
}
