//! Behaviour of the six rules, through the SDK harness.

use crate::common;

use aiops_sdk::k8s::resource_from_object;
use aiops_sdk::testing::change;
use aiops_sdk::testing::k8s_resources_from_yaml;
use aiops_sdk::{LogLevel, Severity};
use common::*;
use serde_json::{Value, json};

#[test]
fn well_configured_container_has_no_findings() {
    let run = run(&deployment(GOOD));
    assert!(run.findings.is_empty(), "{:#?}", run.findings);
    assert!(run.logs.is_empty());
}

#[test]
fn flags_every_missing_request_and_limit_of_a_bare_container() {
    let run = run(&deployment("{}"));
    assert_eq!(
        run.summary(),
        rows(vec![
            row("cpu-request-missing", WEB, "app"),
            row("memory-request-missing", WEB, "app"),
            row("cpu-limit-missing", WEB, "app"),
            row("memory-limit-missing", WEB, "app"),
        ])
    );
    let severities: Vec<_> = run
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.severity))
        .collect();
    assert!(severities.contains(&("k8s.resources.cpu-request-missing", Severity::Medium)));
    assert!(severities.contains(&("k8s.resources.memory-request-missing", Severity::Medium)));
    assert!(severities.contains(&("k8s.resources.cpu-limit-missing", Severity::Low)));
    assert!(severities.contains(&("k8s.resources.memory-limit-missing", Severity::Medium)));
}

#[test]
fn flags_only_the_missing_cpu_request() {
    let run = run(&deployment(
        "{requests: {memory: 128Mi}, limits: {cpu: 400m, memory: 256Mi}}",
    ));
    assert_eq!(run.summary(), vec![row("cpu-request-missing", WEB, "app")]);
    let f = &run.findings[0];
    assert_eq!(f.title, "CPU request missing");
    assert_eq!(
        f.message,
        "Container `app` of Deployment shop/web sets no cpu request, so Kubernetes uses its \
         limit (400m) as the request."
    );
    assert_eq!(f.evidence_value("resource"), Some("cpu"));
    assert_eq!(f.evidence_value("limit"), Some("400m"));
    // The default 100m is exactly limit / 4: allowed, so proposed as is.
    assert_eq!(
        change(f),
        (
            "/spec/template/spec/containers/0/resources/requests/cpu",
            None,
            "\"100m\""
        )
    );
}

#[test]
fn flags_only_the_missing_memory_request_and_proposes_the_default() {
    let run = run(&deployment(
        "{requests: {cpu: 100m}, limits: {cpu: 200m, memory: 256Mi}}",
    ));
    assert_eq!(
        run.summary(),
        vec![row("memory-request-missing", WEB, "app")]
    );
    let f = &run.findings[0];
    assert_eq!(
        change(f),
        (
            "/spec/template/spec/containers/0/resources/requests/memory",
            None,
            "\"128Mi\""
        )
    );
}

#[test]
fn flags_only_the_missing_cpu_limit_without_a_hint_by_default() {
    let run = run(&deployment(
        "{requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}",
    ));
    assert_eq!(run.summary(), vec![row("cpu-limit-missing", WEB, "app")]);
    let f = &run.findings[0];
    assert_eq!(f.evidence_value("request"), Some("100m"));
    assert!(
        f.remediation.is_none(),
        "no default cpu limit is configured"
    );
}

#[test]
fn proposes_a_configured_default_cpu_limit() {
    let run = run_with(
        r#"{"default_limits": {"cpu": "300m"}}"#,
        &deployment("{requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}"),
    );
    let f = run.only("cpu-limit-missing");
    assert_eq!(
        change(f),
        (
            "/spec/template/spec/containers/0/resources/limits/cpu",
            None,
            "\"300m\""
        )
    );
}

#[test]
fn flags_only_the_missing_memory_limit_and_proposes_the_default() {
    let run = run(&deployment(
        "{requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 200m}}",
    ));
    assert_eq!(run.summary(), vec![row("memory-limit-missing", WEB, "app")]);
    let f = &run.findings[0];
    assert_eq!(
        f.message,
        "Container `app` of Deployment shop/web sets no memory limit, so it can take all the \
         free memory of its node."
    );
    assert_eq!(
        change(f),
        (
            "/spec/template/spec/containers/0/resources/limits/memory",
            None,
            "\"256Mi\""
        )
    );
}

#[test]
fn proposed_defaults_stay_within_the_allowed_band_of_the_other_value() {
    // A 2Gi request: the default 256Mi limit would be below it, so the request is proposed.
    let run1 = run(&deployment(
        "{requests: {cpu: 100m, memory: 2Gi}, limits: {cpu: 200m}}",
    ));
    assert_eq!(change(run1.only("memory-limit-missing")).2, "\"2Gi\"");
    // A 4-core limit: the default 100m request would be 40x below it, so limit / 4 is proposed.
    let run2 = run(&deployment(
        "{requests: {memory: 128Mi}, limits: {cpu: 4, memory: 256Mi}}",
    ));
    assert_eq!(change(run2.only("cpu-request-missing")).2, "\"1\"");
    // A 100Mi limit: the default 128Mi request would be above it, so the limit is proposed.
    let run3 = run(&deployment(
        "{requests: {cpu: 100m}, limits: {cpu: 200m, memory: 100Mi}}",
    ));
    assert_eq!(change(run3.only("memory-request-missing")).2, "\"100Mi\"");
}

#[test]
fn flags_memory_limit_below_request() {
    let run = run(&deployment(
        "{requests: {cpu: 100m, memory: 512Mi}, limits: {cpu: 200m, memory: 256Mi}}",
    ));
    assert_eq!(run.summary(), vec![row("limit-below-request", WEB, "app")]);
    let f = &run.findings[0];
    assert_eq!(f.severity, Severity::High);
    assert_eq!(
        f.message,
        "Container `app` of Deployment shop/web has a memory limit (256Mi) below its request \
         (512Mi); Kubernetes rejects such a spec."
    );
    assert_eq!(f.evidence_value("resource"), Some("memory"));
    assert_eq!(f.evidence_value("request"), Some("512Mi"));
    assert_eq!(f.evidence_value("limit"), Some("256Mi"));
    assert_eq!(
        change(f),
        (
            "/spec/template/spec/containers/0/resources/limits/memory",
            Some("\"256Mi\""),
            "\"512Mi\""
        )
    );
}

#[test]
fn flags_cpu_and_memory_limit_below_request_as_separate_findings() {
    let run = run(&deployment(
        "{requests: {cpu: 1, memory: 1Gi}, limits: {cpu: 999m, memory: 1023Mi}}",
    ));
    let found = run.of_rule("k8s.resources.limit-below-request");
    let which: Vec<_> = found
        .iter()
        .map(|f| f.evidence_value("resource").unwrap())
        .collect();
    assert_eq!(which, vec!["cpu", "memory"]);
    assert_eq!(run.findings.len(), 2);
    assert_eq!(found[0].evidence_value("limit"), Some("999m"));
    assert_eq!(change(found[0]).2, "\"1\"");
    assert_eq!(change(found[1]).2, "\"1Gi\"");
}

#[test]
fn equal_quantities_in_different_notations_are_not_below_request() {
    let run = run(&deployment(
        "{requests: {cpu: '0.5', memory: 1Gi}, limits: {cpu: 500m, memory: 1024Mi}}",
    ));
    assert!(run.findings.is_empty(), "{:#?}", run.findings);
}

#[test]
fn reads_json_numbers_and_exponent_notation() {
    // cpu 0.25 and 1 as JSON numbers (ratio exactly 4), memory 1e9 bytes vs 1Gi (about 1.07x).
    let object = json!({
        "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"template": {"spec": {"containers": [{"name": "app", "resources": {
            "requests": {"cpu": 0.25, "memory": "1e9"},
            "limits": {"cpu": 1, "memory": "1Gi"}
        }}]}}}
    });
    let ok = run_resources("{}", vec![resource_from_object(&object).unwrap()]);
    assert!(ok.findings.is_empty(), "{:#?}", ok.findings);

    // A numeric limit below a numeric request is still caught: 0.2 < 0.25.
    let mut below = object.clone();
    below["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = json!(0.2);
    let caught = run_resources("{}", vec![resource_from_object(&below).unwrap()]);
    assert_eq!(
        caught.summary(),
        vec![row("limit-below-request", WEB, "app")]
    );
    assert_eq!(change(&caught.findings[0]).1, Some("\"200m\""));

    // 1e3 cores against a 1e-1 (100m) request: ratio 10000.
    let run = run(&deployment(
        "{requests: {cpu: 1e-1, memory: 1e9}, limits: {cpu: 1e3, memory: 1Gi}}",
    ));
    let f = run.only("limit-request-ratio");
    assert_eq!(f.evidence_value("ratio"), Some("10000"));
    assert_eq!(
        change(f),
        (
            "/spec/template/spec/containers/0/resources/limits/cpu",
            Some("\"1000\""),
            "\"400m\""
        )
    );
}

#[test]
fn ratio_exactly_at_the_maximum_is_not_flagged() {
    let run = run(&deployment(
        "{requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: 1, memory: 1Gi}}",
    ));
    assert!(run.findings.is_empty(), "{:#?}", run.findings);
}

#[test]
fn flags_limits_more_than_four_times_the_request() {
    let run = run(&deployment(
        "{requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 1, memory: 1Gi}}",
    ));
    let found = run.of_rule("k8s.resources.limit-request-ratio");
    assert_eq!(run.findings.len(), 2);
    let (cpu, memory) = (found[0], found[1]);
    assert_eq!(cpu.severity, Severity::Low);
    assert_eq!(
        cpu.message,
        "Container `app` of Deployment shop/web has a cpu limit (1) 10 times its request (100m), \
         more than the allowed 4."
    );
    assert_eq!(
        cpu.evidence,
        [
            ("resource", "cpu"),
            ("request", "100m"),
            ("limit", "1"),
            ("ratio", "10"),
            ("max_ratio", "4")
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    );
    assert_eq!(
        change(cpu),
        (
            "/spec/template/spec/containers/0/resources/limits/cpu",
            Some("\"1\""),
            "\"400m\""
        )
    );
    assert_eq!(memory.evidence_value("ratio"), Some("8"));
    assert_eq!(change(memory).2, "\"512Mi\"");
}

#[test]
fn takes_the_maximum_ratio_from_the_config() {
    let resources = "{requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: 1, memory: 512Mi}}";
    let strict = run_with(
        r#"{"max_limit_request_ratio": 1.5}"#,
        &deployment(resources),
    );
    assert_eq!(
        strict.summary(),
        rows(vec![
            row("limit-request-ratio", WEB, "app"),
            row("limit-request-ratio", WEB, "app")
        ])
    );
    let proposals: Vec<_> = strict.findings.iter().map(|f| change(f).2).collect();
    assert_eq!(proposals, vec!["\"375m\"", "\"384Mi\""]);
    assert_eq!(strict.findings[0].evidence_value("max_ratio"), Some("1.5"));

    let lenient = run_with(
        r#"{"max_limit_request_ratio": 10}"#,
        &deployment("{requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 1, memory: 1Gi}}"),
    );
    assert!(lenient.findings.is_empty(), "{:#?}", lenient.findings);
}

#[test]
fn zero_request_is_not_judged_by_ratio() {
    let run = run(&deployment(
        "{requests: {cpu: 0, memory: 128Mi}, limits: {cpu: 1, memory: 256Mi}}",
    ));
    assert!(run.findings.is_empty(), "{:#?}", run.findings);
}

#[test]
fn checks_init_containers_with_their_own_pointer() {
    let yaml = format!(
        "kind: StatefulSet
metadata: {{name: db, namespace: shop}}
spec:
  template:
    spec:
      initContainers:
      - {{name: setup, resources: {{requests: {{cpu: 100m, memory: 128Mi}}, limits: {{cpu: 100m}}}}}}
      containers:
      - {{name: db, resources: {GOOD}}}
"
    );
    let run = run(&yaml);
    assert_eq!(
        run.summary(),
        vec![row(
            "memory-limit-missing",
            "k8s/StatefulSet/shop/db",
            "setup"
        )]
    );
    assert_eq!(
        change(&run.findings[0]).0,
        "/spec/template/spec/initContainers/0/resources/limits/memory"
    );
}

#[test]
fn checks_cronjobs_and_bare_pods() {
    let run = run(
        "kind: CronJob
metadata: {name: nightly, namespace: batch}
spec:
  schedule: '0 1 * * *'
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - {name: ok, resources: {requests: {cpu: 1, memory: 1Gi}, limits: {cpu: 1, memory: 1Gi}}}
          - {name: export, resources: {requests: {cpu: 1, memory: 1Gi}, limits: {cpu: 1, memory: 512Mi}}}
---
kind: Pod
metadata: {name: debug, namespace: shop}
spec:
  containers:
  - {name: shell, resources: {requests: {cpu: 10m, memory: 16Mi}}}
",
    );
    assert_eq!(
        run.summary(),
        rows(vec![
            row("limit-below-request", "k8s/CronJob/batch/nightly", "export"),
            row("cpu-limit-missing", "k8s/Pod/shop/debug", "shell"),
            row("memory-limit-missing", "k8s/Pod/shop/debug", "shell"),
        ])
    );
    let below = run.only("limit-below-request");
    assert_eq!(
        change(below).0,
        "/spec/jobTemplate/spec/template/spec/containers/1/resources/limits/memory"
    );
    assert!(
        below
            .message
            .contains("Container `export` of CronJob batch/nightly"),
        "{}",
        below.message
    );
    assert_eq!(
        change(run.only("memory-limit-missing")).0,
        "/spec/containers/0/resources/limits/memory"
    );
}

#[test]
fn hint_paths_point_at_the_fields_of_the_raw_object() {
    let resources = k8s_resources_from_yaml(&deployment(
        "{requests: {cpu: 2, memory: 512Mi}, limits: {cpu: 1, memory: 4Gi}}",
    ));
    let raw: Value = serde_json::from_str(&resources[0].raw).unwrap();
    let run = run_resources("{}", resources);
    assert_eq!(run.findings.len(), 2);
    for f in &run.findings {
        let (path, current, _) = change(f);
        let at_path = raw.pointer(path).expect("the hint's path exists");
        let current: Value = serde_json::from_str(current.unwrap()).unwrap();
        assert_eq!(
            aiops_sdk::Quantity::parse(current.as_str().unwrap()).unwrap(),
            serde_json::from_value::<aiops_sdk::Quantity>(at_path.clone()).unwrap(),
        );
    }
}

#[test]
fn skips_namespaces_excluded_by_default_and_by_config() {
    let yaml = "kind: DaemonSet
metadata: {name: proxy, namespace: kube-system}
spec: {template: {spec: {containers: [{name: proxy}]}}}
---
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {template: {spec: {containers: [{name: app}]}}}
";
    let by_default = run(yaml);
    assert!(by_default.findings.iter().all(|f| f.resource_id == WEB));
    assert_eq!(by_default.findings.len(), 4);

    let configured = run_with(r#"{"exclude_namespaces": ["shop"]}"#, yaml);
    assert!(
        configured
            .findings
            .iter()
            .all(|f| f.resource_id == "k8s/DaemonSet/kube-system/proxy")
    );
    assert_eq!(configured.findings.len(), 4);
}

#[test]
fn skips_a_resource_with_a_bad_quantity_with_a_warning_and_checks_the_rest() {
    let yaml = format!(
        "{}---
kind: Pod
metadata: {{name: broken, namespace: shop}}
spec:
  containers:
  - {{name: app, resources: {{requests: {{cpu: lots}}}}}}
",
        deployment("{requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}")
    );
    let run = run(&yaml);
    assert_eq!(run.summary(), vec![row("cpu-limit-missing", WEB, "app")]);
    assert_eq!(run.logs.len(), 1);
    let log = &run.logs[0];
    assert_eq!(log.level, LogLevel::Warn);
    assert!(
        log.fields
            .contains(&("resource".to_string(), "k8s/Pod/shop/broken".to_string())),
        "{log:?}"
    );
    let error = &log.fields.iter().find(|(k, _)| k == "error").unwrap().1;
    assert!(error.contains("lots"), "{error}");
}

#[test]
fn ignores_kinds_without_containers() {
    let run = run("kind: Service
metadata: {name: web, namespace: shop}
spec: {ports: [{port: 80}]}
---
kind: ConfigMap
metadata: {name: web, namespace: shop}
data: {A: b}
");
    assert!(run.findings.is_empty());
}

#[test]
fn survives_broken_input_and_never_judges_other_kinds() {
    let bare = k8s_resources_from_yaml(&deployment("{}"));
    aiops_sdk::testing::assert_robust::<k8s_resources::K8sResources>(&bare);
}
