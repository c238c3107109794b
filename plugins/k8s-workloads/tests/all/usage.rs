//! `request-above-usage` and `usage-near-limit`, with the collector's usage metrics.

use crate::common;

use aiops_sdk::testing::{DetectRun, change, hint_summary, k8s_resources_from_yaml};
use aiops_sdk::{Metric, Severity};
use common::*;

const CORES: &str = "cores";
const BYTES: &str = "bytes";
const MI: f64 = 1_048_576.0;

fn cpu(avg: f64, max: f64) -> Metric {
    usage("container_cpu_usage", CORES, "app", avg, max)
}

fn memory(avg: f64, max: f64) -> Metric {
    usage("container_memory_usage", BYTES, "app", avg, max)
}

/// The good Deployment with `resources` (YAML flow) and `metrics` on the resource.
fn sized(resources: &str, metrics: Vec<Metric>) -> DetectRun {
    sized_with("{}", resources, metrics)
}

fn sized_with(config: &str, resources: &str, metrics: Vec<Metric>) -> DetectRun {
    let yaml = deployment("3", &good_container(&format!(", resources: {resources}")));
    let mut resources = k8s_resources_from_yaml(&yaml);
    resources[0].metrics = metrics;
    run_resources(config, resources)
}

#[test]
fn cpu_request_far_above_peak_usage_proposes_peak_times_headroom() {
    let run = sized(
        "{requests: {cpu: '1', memory: 256Mi}, limits: {cpu: '2', memory: 512Mi}}",
        vec![cpu(0.04, 0.095), memory(150.0 * MI, 200.0 * MI)],
    );
    assert_eq!(
        hits(&run),
        [("request-above-usage".into(), WEB.into(), "app".into())]
    );
    let f = run.only("request-above-usage");
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(
        f.message,
        "Container `app` of Deployment shop/web requests 1 cpu but used at most 95m over 14 days: 10.5 times its peak."
    );
    assert_eq!(f.evidence_value("resource"), Some("cpu"));
    assert_eq!(f.evidence_value("request"), Some("1"));
    assert_eq!(f.evidence_value("usage_max"), Some("95m"));
    assert_eq!(f.evidence_value("usage_avg"), Some("40m"));
    assert_eq!(f.evidence_value("ratio"), Some("10.5"));
    assert_eq!(f.evidence_value("window"), Some("14 days"));
    // 95m × 1.2 = 114m, rounded up to 120m; the current value is the one written.
    assert_eq!(
        change(f),
        (
            "/spec/template/spec/containers/0/resources/requests/cpu",
            Some("\"1\""),
            "\"120m\""
        )
    );
    assert!(hint_summary(f).starts_with("Lower the cpu request of container `app` from 1 to 120m"));
}

#[test]
fn memory_request_far_above_usage_rounds_to_whole_steps() {
    let run = sized(
        "{requests: {cpu: 100m, memory: 2Gi}, limits: {cpu: 200m, memory: 2Gi}}",
        vec![cpu(0.05, 0.08), memory(200.0 * MI, 300.0 * MI)],
    );
    let f = run.only("request-above-usage");
    assert_eq!(f.evidence_value("resource"), Some("memory"));
    assert_eq!(f.evidence_value("usage_max"), Some("300Mi"));
    // 300Mi × 1.2 = 360Mi, a multiple of 8Mi.
    assert_eq!(change(f).2, "\"360Mi\"");
}

#[test]
fn requests_within_the_ratio_are_fine_and_the_ratio_is_configurable() {
    let resources = "{requests: {cpu: 400m, memory: 256Mi}, limits: {cpu: '1', memory: 512Mi}}";
    // 400m / 100m = 4: exactly the allowed ratio.
    let metrics = || vec![cpu(0.05, 0.1), memory(100.0 * MI, 128.0 * MI)];
    assert!(sized(resources, metrics()).findings.is_empty());
    let strict = sized_with(r#"{"request_usage_ratio": 3}"#, resources, metrics());
    assert_eq!(
        strict.only("request-above-usage").evidence_value("ratio"),
        Some("4")
    );
    let roomy = sized_with(
        r#"{"request_usage_ratio": 3, "request_headroom": 4.5}"#,
        resources,
        metrics(),
    );
    assert!(
        roomy.findings.is_empty(),
        "a proposal at or above the request is no proposal"
    );
}

#[test]
fn idle_usage_is_judged_and_proposes_the_smallest_step() {
    let run = sized(
        "{requests: {cpu: 500m, memory: 64Mi}, limits: {cpu: '1', memory: 128Mi}}",
        vec![cpu(0.0, 0.0)],
    );
    let f = run.only("request-above-usage");
    assert_eq!(f.evidence_value("ratio"), Some("inf"));
    assert_eq!(change(f).2, "\"10m\"");
}

#[test]
fn peak_near_the_limit_raises_the_limit() {
    let run = sized(
        "{requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: 500m, memory: 512Mi}}",
        vec![cpu(0.2, 0.48), memory(400.0 * MI, 470.0 * MI)],
    );
    assert_eq!(
        hits(&run),
        [
            ("usage-near-limit".into(), WEB.into(), "app".into()),
            ("usage-near-limit".into(), WEB.into(), "app".into()),
        ]
    );
    let found = run.of_rule("k8s.workloads.usage-near-limit");
    let cpu_f = found
        .iter()
        .find(|f| f.evidence_value("resource") == Some("cpu"))
        .unwrap();
    assert_eq!(cpu_f.severity, Severity::Medium);
    assert_eq!(
        cpu_f.message,
        "Container `app` of Deployment shop/web peaked at 480m cpu, 96% of its limit 500m over 14 days: it is throttled."
    );
    assert_eq!(cpu_f.evidence_value("percent_of_limit"), Some("96"));
    // 480m × 1.5 = 720m.
    assert_eq!(
        change(cpu_f),
        (
            "/spec/template/spec/containers/0/resources/limits/cpu",
            Some("\"500m\""),
            "\"720m\""
        )
    );
    let mem_f = found
        .iter()
        .find(|f| f.evidence_value("resource") == Some("memory"))
        .unwrap();
    assert!(mem_f.message.ends_with("it is close to being OOM-killed."));
    // 470Mi × 1.5 = 705Mi → 712Mi (8Mi steps).
    assert_eq!(change(mem_f).2, "\"712Mi\"");
}

#[test]
fn peak_below_the_threshold_is_fine_and_the_proposal_clears_the_threshold() {
    let resources = "{requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: 500m, memory: 512Mi}}";
    // 440m is 88% of 500m.
    assert!(sized(resources, vec![cpu(0.2, 0.44)]).findings.is_empty());
    let run = sized_with(
        r#"{"limit_usage_percent": 50, "limit_headroom": 1}"#,
        resources,
        vec![cpu(0.2, 0.3)],
    );
    // 300m × 1 = 300m is below the limit: the proposal climbs until 300m is under 50%.
    assert_eq!(change(run.only("usage-near-limit")).2, "\"610m\"");
}

#[test]
fn metrics_of_other_containers_or_units_and_missing_peaks_are_ignored() {
    let resources = "{requests: {cpu: '2', memory: 256Mi}, limits: {cpu: '2', memory: 512Mi}}";
    let other = usage("container_cpu_usage", CORES, "sidecar", 0.01, 0.01);
    let millicores = usage("container_cpu_usage", "millicores", "app", 10.0, 10.0);
    let mut no_max = cpu(0.01, 0.0);
    no_max.max = None;
    for metric in [other, millicores, no_max] {
        let run = sized(resources, vec![metric.clone()]);
        assert!(run.findings.is_empty(), "{metric:?}: {:#?}", run.findings);
    }
    // Without metrics at all, nothing is judged.
    assert!(sized(resources, vec![]).findings.is_empty());
}

#[test]
fn usage_is_judged_on_the_owner_not_on_its_pods() {
    let yaml = format!(
        "{}---\nkind: Pod\nmetadata:\n  name: web-5d4f-x1\n  namespace: shop\n  ownerReferences: [{{kind: ReplicaSet, name: web-5d4f, apiVersion: apps/v1, uid: u}}]\nspec:\n  containers: [{}]\n",
        deployment("3", &good_container(", resources: {requests: {cpu: '1'}}")),
        good_container(", resources: {requests: {cpu: '1'}}")
    );
    let mut resources = k8s_resources_from_yaml(&yaml);
    for r in &mut resources {
        r.metrics = vec![cpu(0.01, 0.05)];
    }
    let run = run_resources("{}", resources);
    assert_eq!(
        hits(&run),
        [("request-above-usage".into(), WEB.into(), "app".into())]
    );
}
