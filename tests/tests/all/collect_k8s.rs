//! The Kubernetes collector against an in-test API server speaking the real paths and
//! List JSON (see `aiops_tests::k8s_api`): pagination, 410 restarts, forbidden kinds,
//! throttling, malformed answers, namespace filters and the metrics API.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aiops_collect::CollectProgress;
use aiops_collect::k8s::{K8sCollector, K8sConfig, NamespaceFilter};
use aiops_collect::{merge_outcomes, run_collectors};
use aiops_core::Inventory;
use aiops_core::{CollectError, Collector};
use aiops_sdk::Metric;
use aiops_tests::k8s_api::{ApiState, FakeApiServer, TOKEN, object};
use serde_json::{Value, json};

/// Runs the collector once; returns what it yielded and its per-kind counts.
fn collect(
    server_url_config: &K8sConfig,
) -> (Result<Inventory, CollectError>, BTreeMap<String, usize>) {
    let collector = K8sCollector::new(server_url_config.clone());
    let progress = CollectProgress::hidden().source("k8s");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let result = runtime.block_on(async {
        tokio::time::timeout(collector.timeout(), collector.collect(&progress))
            .await
            .expect("collector timed out")
    });
    (result, progress.counts())
}

/// A config pointing at `server` through a kubeconfig file written into `dir`.
fn config(server: &FakeApiServer, dir: &tempfile::TempDir) -> K8sConfig {
    K8sConfig {
        kubeconfig: Some(server.write_kubeconfig(dir.path())),
        timeout_seconds: 30,
        ..K8sConfig::default()
    }
}

fn problems(inventory: &Inventory) -> Vec<String> {
    let problems: Vec<String> = inventory.problems.iter().map(ToString::to_string).collect();
    for p in &problems {
        assert!(!p.contains(TOKEN), "token leaked: {p}");
    }
    problems
}

fn ids(inventory: &Inventory, kind: &str) -> Vec<String> {
    let mut ids: Vec<String> = inventory
        .resources()
        .iter()
        .filter(|r| r.kind == kind)
        .map(|r| r.id.clone())
        .collect();
    ids.sort();
    ids
}

fn pod(ns: &str, name: &str) -> Value {
    object(
        "Pod",
        Some(ns),
        name,
        json!({"spec": {"containers": [{"name": "app", "image": "shop/app:1.4",
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]},
            "status": {"phase": "Running"}}),
    )
}

fn deployment(ns: &str, name: &str) -> Value {
    object(
        "Deployment",
        Some(ns),
        name,
        json!({"metadata": {"labels": {"app": name}, "annotations": {
                "deployment.kubernetes.io/revision": "3",
                "kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\"}"}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [
                    {"name": name, "image": format!("shop/{name}:1"),
                     "resources": {"requests": {"cpu": "250m", "memory": "256Mi"},
                                   "limits": {"cpu": "500m", "memory": "256Mi"}}}]}}},
            "status": {"replicas": 2, "readyReplicas": 2}}),
    )
}

/// Namespaces shop, batch, kube-system, team-a, team-legacy; 23 pods; 7 deployments; one
/// of every other kind.
fn seed(state: &mut ApiState) {
    for ns in ["shop", "batch", "kube-system", "team-a", "team-legacy"] {
        state.add(object(
            "Namespace",
            None,
            ns,
            json!({"spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}),
        ));
    }
    let namespaces = ["shop", "batch", "kube-system", "team-a", "team-legacy"];
    for i in 0..23 {
        state.add(pod(namespaces[i % 5], &format!("pod-{i:02}")));
    }
    for i in 0..7 {
        state.add(deployment(namespaces[i % 5], &format!("web-{i}")));
    }
    let template = json!({"spec": {"containers": [{"name": "main", "image": "busybox:1.36"}]}});
    state.add(object(
        "StatefulSet",
        Some("shop"),
        "postgres",
        json!({"spec": {"serviceName": "postgres", "replicas": 1, "template": template}}),
    ));
    state.add(object(
        "DaemonSet",
        Some("kube-system"),
        "log-shipper",
        json!({"spec": {"template": template}}),
    ));
    state.add(object(
        "Job",
        Some("batch"),
        "reindex",
        json!({"spec": {"backoffLimit": 2, "template": template}}),
    ));
    state.add(object(
        "CronJob",
        Some("batch"),
        "nightly",
        json!({"spec": {"schedule": "0 2 * * *", "jobTemplate": {"spec": {"template": template}}}}),
    ));
    state.add(object(
        "LimitRange",
        Some("shop"),
        "defaults",
        json!({"spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}}]}}),
    ));
    state.add(object(
        "ResourceQuota",
        Some("team-a"),
        "compute",
        json!({"spec": {"hard": {"requests.cpu": "10"}}}),
    ));
    state.add(object(
        "PodDisruptionBudget",
        Some("shop"),
        "web-0",
        json!({"spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web-0"}}}}),
    ));
    state.add(object(
        "HorizontalPodAutoscaler",
        Some("shop"),
        "web-0",
        json!({"spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web-0"},
            "minReplicas": 2, "maxReplicas": 10, "metrics": [{"type": "Resource", "resource":
            {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}}),
    ));
}

fn expected_pods(namespaces: &[&str]) -> Vec<String> {
    let all = ["shop", "batch", "kube-system", "team-a", "team-legacy"];
    let mut ids: Vec<String> = (0..23)
        .filter(|i| namespaces.contains(&all[i % 5]))
        .map(|i| format!("k8s/Pod/{}/pod-{i:02}", all[i % 5]))
        .collect();
    ids.sort();
    ids
}

const ALL: [&str; 5] = ["shop", "batch", "kube-system", "team-a", "team-legacy"];

#[test]
fn every_kind_is_listed_page_by_page_with_the_limit_sent() {
    let server = FakeApiServer::start();
    seed(&mut server.state());
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&server, &dir);
    cfg.page_size = 5;
    let (result, counts) = collect(&cfg);
    let inventory = result.unwrap();
    assert_eq!(problems(&inventory), Vec::<String>::new());

    assert_eq!(ids(&inventory, "Pod"), expected_pods(&ALL));
    assert_eq!(ids(&inventory, "Deployment").len(), 7);
    assert_eq!(
        ids(&inventory, "Namespace"),
        [
            "k8s/Namespace/batch",
            "k8s/Namespace/kube-system",
            "k8s/Namespace/shop",
            "k8s/Namespace/team-a",
            "k8s/Namespace/team-legacy"
        ]
    );
    for (kind, id) in [
        ("StatefulSet", "k8s/StatefulSet/shop/postgres"),
        ("DaemonSet", "k8s/DaemonSet/kube-system/log-shipper"),
        ("Job", "k8s/Job/batch/reindex"),
        ("CronJob", "k8s/CronJob/batch/nightly"),
        ("LimitRange", "k8s/LimitRange/shop/defaults"),
        ("ResourceQuota", "k8s/ResourceQuota/team-a/compute"),
        ("PodDisruptionBudget", "k8s/PodDisruptionBudget/shop/web-0"),
        (
            "HorizontalPodAutoscaler",
            "k8s/HorizontalPodAutoscaler/shop/web-0",
        ),
    ] {
        assert_eq!(ids(&inventory, kind), [id], "{kind}");
    }
    assert_eq!(inventory.len(), 5 + 23 + 7 + 8);
    let expected_counts: BTreeMap<String, usize> = [
        ("Namespace", 5),
        ("Pod", 23),
        ("Deployment", 7),
        ("StatefulSet", 1),
        ("DaemonSet", 1),
        ("Job", 1),
        ("CronJob", 1),
        ("LimitRange", 1),
        ("ResourceQuota", 1),
        ("PodDisruptionBudget", 1),
        ("HorizontalPodAutoscaler", 1),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_string(), n))
    .collect();
    assert_eq!(counts, expected_counts);

    // The envelope is the manifests collector's; raw is the whole object, trimmed.
    let web = inventory.get("k8s/Deployment/shop/web-0").unwrap();
    assert_eq!(web.name, "web-0");
    assert_eq!(web.namespace.as_deref(), Some("shop"));
    assert_eq!(web.label("app"), Some("web-0"));
    let raw: Value = serde_json::from_str(&web.raw).unwrap();
    assert_eq!(raw["kind"], "Deployment");
    assert_eq!(raw["apiVersion"], "apps/v1");
    assert_eq!(raw["spec"]["replicas"], 2);
    assert!(raw["metadata"].get("managedFields").is_none());
    assert_eq!(
        raw["metadata"]["annotations"],
        json!({"deployment.kubernetes.io/revision": "3"})
    );
    let hpa: Value = serde_json::from_str(
        &inventory
            .get("k8s/HorizontalPodAutoscaler/shop/web-0")
            .unwrap()
            .raw,
    )
    .unwrap();
    assert_eq!(hpa["apiVersion"], "autoscaling/v2");

    // 23 pods in pages of 5: five calls, each with the limit, all but the first continuing.
    let state = server.state();
    let pods = state.requests_to("/api/v1/pods");
    assert_eq!(pods.len(), 5);
    for (i, request) in pods.iter().enumerate() {
        assert_eq!(request.query.get("limit").map(String::as_str), Some("5"));
        assert_eq!(request.query.contains_key("continue"), i > 0, "{request:?}");
    }
    assert_eq!(state.requests_to("/apis/apps/v1/deployments").len(), 2);
    assert!(
        state
            .requests
            .iter()
            .filter(|r| !r.path.starts_with("/apis/metrics.k8s.io"))
            .all(|r| r.query.contains_key("limit")),
        "every list is bounded"
    );
}

#[test]
fn an_expired_continue_token_restarts_the_list_once() {
    let server = FakeApiServer::start();
    seed(&mut server.state());
    server.state().expire_continue.insert("v1/pods".into(), 1);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&server, &dir);
    cfg.page_size = 10;
    let (result, counts) = collect(&cfg);
    let inventory = result.unwrap();
    assert_eq!(problems(&inventory), Vec::<String>::new());
    assert_eq!(ids(&inventory, "Pod"), expected_pods(&ALL));
    assert_eq!(counts["Pod"], 23, "a restart does not count pods twice");
    let continued: Vec<bool> = server
        .state()
        .requests_to("/api/v1/pods")
        .iter()
        .map(|r| r.query.contains_key("continue"))
        .collect();
    // page 1, page 2 → 410, restart: pages 1, 2, 3.
    assert_eq!(continued, [false, true, false, true, true]);
}

#[test]
fn a_continue_token_expiring_again_is_a_problem_and_the_rest_completes() {
    let server = FakeApiServer::start();
    seed(&mut server.state());
    server.state().expire_continue.insert("v1/pods".into(), 2);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&server, &dir);
    cfg.page_size = 10;
    let (result, _) = collect(&cfg);
    let inventory = result.unwrap();
    let problems = problems(&inventory);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .starts_with("k8s/Pod: HTTP 410 Expired: The provided continue parameter is too old"),
        "{}",
        problems[0]
    );
    assert!(problems[0].ends_with("(the list had already been restarted once)"));
    assert!(ids(&inventory, "Pod").is_empty());
    assert_eq!(ids(&inventory, "Deployment").len(), 7);
}

#[test]
fn a_forbidden_kind_is_a_problem_and_the_other_kinds_complete() {
    let server = FakeApiServer::start();
    seed(&mut server.state());
    server
        .state()
        .forbidden
        .insert("apps/v1/deployments".into());
    let dir = tempfile::tempdir().unwrap();
    let (result, _) = collect(&config(&server, &dir));
    let inventory = result.unwrap();
    assert_eq!(
        problems(&inventory),
        [
            "k8s/Deployment: forbidden: deployments.apps is forbidden: User \"system:serviceaccount:aiops:aiops\" cannot list resource \"deployments\" in API group \"apps\" at the cluster scope"
        ]
    );
    assert!(ids(&inventory, "Deployment").is_empty());
    assert_eq!(ids(&inventory, "Pod"), expected_pods(&ALL));
    assert_eq!(inventory.len(), 5 + 23 + 8);
}

#[test]
fn without_the_metrics_api_usage_is_skipped_quietly() {
    let server = FakeApiServer::start();
    seed(&mut server.state());
    let dir = tempfile::tempdir().unwrap();
    let (result, _) = collect(&config(&server, &dir));
    let inventory = result.unwrap();
    assert_eq!(problems(&inventory), Vec::<String>::new());
    assert!(inventory.resources().iter().all(|r| r.metrics.is_empty()));
    let state = server.state();
    assert_eq!(
        state.requests_to("/apis/metrics.k8s.io/v1beta1/pods").len(),
        1,
        "asked once, got 404"
    );
    assert_eq!(
        state.requests_to("/apis/apps/v1/replicasets").len(),
        1,
        "listed once, as a workload kind"
    );
}

#[test]
fn replication_controllers_bare_replica_sets_and_pod_templates_are_read_owned_replica_sets_are_not()
{
    let server = FakeApiServer::start();
    {
        let mut state = server.state();
        state.metrics_served = true;
        state.add(object("Namespace", None, "shop", json!({})));
        state.add(deployment("shop", "cart"));
        let template = json!({"metadata": {"labels": {"app": "x"}},
            "spec": {"containers": [{"name": "x", "image": "x:1"}]}});
        state.add(object(
            "ReplicaSet",
            Some("shop"),
            "cart-7d9f8c6b5",
            owned("Deployment", "cart"),
        ));
        state.add(object(
            "ReplicaSet",
            Some("shop"),
            "frontend",
            json!({"spec": {"replicas": 3, "template": template}}),
        ));
        state.add(object(
            "ReplicationController",
            Some("shop"),
            "redis-leader",
            json!({"spec": {"replicas": 1, "template": template}}),
        ));
        state.add(object(
            "PodTemplate",
            Some("shop"),
            "batch-runner",
            json!({"template": template}),
        ));
        state.add(object(
            "Pod",
            Some("shop"),
            "cart-7d9f8c6b5-x2kqp",
            owned("ReplicaSet", "cart-7d9f8c6b5"),
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let (result, _) = collect(&config(&server, &dir));
    let inventory = result.unwrap();
    assert_eq!(problems(&inventory), Vec::<String>::new());
    assert_eq!(
        ids(&inventory, "ReplicaSet"),
        ["k8s/ReplicaSet/shop/frontend"]
    );
    assert_eq!(
        ids(&inventory, "ReplicationController"),
        ["k8s/ReplicationController/shop/redis-leader"]
    );
    assert_eq!(
        ids(&inventory, "PodTemplate"),
        ["k8s/PodTemplate/shop/batch-runner"]
    );
    // The owned ReplicaSet still maps the pod to its Deployment, from the same list.
    let state = server.state();
    assert_eq!(state.requests_to("/apis/apps/v1/replicasets").len(), 1);
}

fn owned(kind: &str, name: &str) -> Value {
    json!({"metadata": {"ownerReferences": [{"apiVersion": "apps/v1", "kind": kind, "name": name,
        "uid": "0d9e5c1a-3f1b-4a51-8f0e-2b7c9a1d6e42", "controller": true, "blockOwnerDeletion": true}]},
        "spec": {"containers": [{"name": "cart", "image": "shop/cart:2"}, {"name": "istio-proxy", "image": "istio/proxyv2:1.24"}]}})
}

fn pod_metrics(ns: &str, pod: &str, window: &str, usage: &[(&str, &str, &str)]) -> Value {
    json!({
        "kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {"name": pod, "namespace": ns, "creationTimestamp": "2026-11-25T10:00:03Z",
            "labels": {"app": "cart"}},
        "timestamp": "2026-11-25T09:59:48Z", "window": window,
        "containers": usage.iter().map(|(name, cpu, memory)|
            json!({"name": name, "usage": {"cpu": cpu, "memory": memory}})).collect::<Vec<_>>()
    })
}

fn metric(name: &str, container: &str, window: u64, avg: f64, max: f64) -> Metric {
    let unit = if name == "container_cpu_usage" {
        "cores"
    } else {
        "bytes"
    };
    Metric {
        name: name.into(),
        unit: unit.into(),
        window_seconds: window,
        avg: Some(avg),
        max: Some(max),
        p95: None,
        points: Vec::new(),
        component: Some(container.into()),
    }
}

fn assert_metrics(got: &[Metric], expected: &[Metric]) {
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for (g, e) in got.iter().zip(expected) {
        let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * b.abs().max(1.0),
            (a, b) => a == b,
        };
        assert!(
            g.name == e.name
                && g.unit == e.unit
                && g.component == e.component
                && g.window_seconds == e.window_seconds
                && g.p95.is_none()
                && g.points.is_empty()
                && close(g.avg, e.avg)
                && close(g.max, e.max),
            "got {g:?}\nexpected {e:?}"
        );
    }
}

#[test]
fn metrics_land_on_pods_and_their_owning_deployment() {
    const MI: f64 = 1024.0 * 1024.0;
    let server = FakeApiServer::start();
    {
        let mut state = server.state();
        state.metrics_served = true;
        state.add(object("Namespace", None, "shop", json!({})));
        state.add(deployment("shop", "cart"));
        state.add(object(
            "ReplicaSet",
            Some("shop"),
            "cart-7d9f8c6b5",
            owned("Deployment", "cart"),
        ));
        state.add(object(
            "Pod",
            Some("shop"),
            "cart-7d9f8c6b5-x2kqp",
            owned("ReplicaSet", "cart-7d9f8c6b5"),
        ));
        state.add(object(
            "Pod",
            Some("shop"),
            "cart-7d9f8c6b5-m8zrt",
            owned("ReplicaSet", "cart-7d9f8c6b5"),
        ));
        state.add(object(
            "StatefulSet",
            Some("shop"),
            "postgres",
            json!({"spec": {}}),
        ));
        state.add(object(
            "Pod",
            Some("shop"),
            "postgres-0",
            owned("StatefulSet", "postgres"),
        ));
        state.add(pod_metrics(
            "shop",
            "cart-7d9f8c6b5-x2kqp",
            "30s",
            &[
                ("cart", "250m", "120Mi"),
                ("istio-proxy", "1234567n", "40Mi"),
            ],
        ));
        state.add(pod_metrics(
            "shop",
            "cart-7d9f8c6b5-m8zrt",
            "30s",
            &[
                ("cart", "350m", "130Mi"),
                ("istio-proxy", "2000000n", "44Mi"),
            ],
        ));
        state.add(pod_metrics(
            "shop",
            "postgres-0",
            "1m0s",
            &[("cart", "1", "1Gi")],
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let (result, _) = collect(&config(&server, &dir));
    let inventory = result.unwrap();
    assert_eq!(problems(&inventory), Vec::<String>::new());

    let cpu = "container_cpu_usage";
    let mem = "container_memory_usage";
    assert_metrics(
        &inventory
            .get("k8s/Pod/shop/cart-7d9f8c6b5-x2kqp")
            .unwrap()
            .metrics,
        &[
            metric(cpu, "cart", 30, 0.25, 0.25),
            metric(mem, "cart", 30, 120.0 * MI, 120.0 * MI),
            metric(cpu, "istio-proxy", 30, 0.001_234_567, 0.001_234_567),
            metric(mem, "istio-proxy", 30, 40.0 * MI, 40.0 * MI),
        ],
    );
    assert_metrics(
        &inventory.get("k8s/Deployment/shop/cart").unwrap().metrics,
        &[
            metric(cpu, "cart", 30, 0.3, 0.35),
            metric(mem, "cart", 30, 125.0 * MI, 130.0 * MI),
            metric(cpu, "istio-proxy", 30, 0.001_617_283_5, 0.002),
            metric(mem, "istio-proxy", 30, 42.0 * MI, 44.0 * MI),
        ],
    );
    assert_metrics(
        &inventory
            .get("k8s/StatefulSet/shop/postgres")
            .unwrap()
            .metrics,
        &[
            metric(cpu, "cart", 60, 1.0, 1.0),
            metric(mem, "cart", 60, 1024.0 * MI, 1024.0 * MI),
        ],
    );
    assert!(
        inventory
            .get("k8s/ReplicaSet/shop/cart-7d9f8c6b5")
            .is_none(),
        "ReplicaSets are read for ownership only"
    );
    assert!(
        inventory
            .get("k8s/Namespace/shop")
            .unwrap()
            .metrics
            .is_empty()
    );
}

#[test]
fn namespace_include_lists_namespace_by_namespace() {
    let server = FakeApiServer::start();
    seed(&mut server.state());
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&server, &dir);
    cfg.namespaces = NamespaceFilter {
        include: vec!["shop".into(), "team-*".into()],
        exclude: vec!["team-legacy".into()],
    };
    let (result, _) = collect(&cfg);
    let inventory = result.unwrap();
    assert_eq!(problems(&inventory), Vec::<String>::new());
    assert_eq!(ids(&inventory, "Pod"), expected_pods(&["shop", "team-a"]));
    assert_eq!(
        ids(&inventory, "Namespace"),
        ["k8s/Namespace/shop", "k8s/Namespace/team-a"]
    );
    assert!(
        inventory
            .resources()
            .iter()
            .filter_map(|r| r.namespace.as_deref())
            .all(|ns| ns == "shop" || ns == "team-a")
    );
    let state = server.state();
    assert_eq!(state.requests_to("/api/v1/namespaces/shop/pods").len(), 1);
    assert_eq!(state.requests_to("/api/v1/namespaces/team-a/pods").len(), 1);
    assert_eq!(
        state
            .requests_to("/apis/apps/v1/namespaces/shop/deployments")
            .len(),
        1
    );
    assert!(state.requests_to("/api/v1/pods").is_empty());
    assert!(
        !state
            .requests
            .iter()
            .any(|r| r.path.contains("/namespaces/team-legacy/")
                || r.path.contains("/namespaces/batch/")),
        "excluded namespaces are not read"
    );
}

#[test]
fn namespace_exclude_filters_a_cluster_wide_list() {
    let server = FakeApiServer::start();
    seed(&mut server.state());
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&server, &dir);
    cfg.namespaces.exclude = vec!["kube-*".into(), "team-legacy".into()];
    let (result, counts) = collect(&cfg);
    let inventory = result.unwrap();
    assert_eq!(problems(&inventory), Vec::<String>::new());
    assert_eq!(
        ids(&inventory, "Pod"),
        expected_pods(&["shop", "batch", "team-a"])
    );
    assert_eq!(
        counts["Pod"],
        expected_pods(&["shop", "batch", "team-a"]).len()
    );
    assert!(ids(&inventory, "DaemonSet").is_empty());
    assert_eq!(ids(&inventory, "Namespace").len(), 3);
    assert_eq!(server.state().requests_to("/api/v1/pods").len(), 1);
}

#[test]
fn throttling_is_retried_after_the_servers_retry_after() {
    let server = FakeApiServer::start();
    seed(&mut server.state());
    server.state().throttle.insert("v1/pods".into(), 2);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&server, &dir);
    cfg.retry.base_delay_ms = 1;
    let started = Instant::now();
    let (result, _) = collect(&cfg);
    let elapsed = started.elapsed();
    let inventory = result.unwrap();
    assert_eq!(problems(&inventory), Vec::<String>::new());
    assert_eq!(ids(&inventory, "Pod"), expected_pods(&ALL));
    assert_eq!(server.state().requests_to("/api/v1/pods").len(), 3);
    assert!(
        elapsed >= Duration::from_millis(1900),
        "Retry-After: 1 honoured twice, not the 1 ms backoff: {elapsed:?}"
    );
}

#[test]
fn malformed_json_is_a_problem_naming_k8s_and_the_kind() {
    let server = FakeApiServer::start();
    seed(&mut server.state());
    server.state().malformed = true;
    let dir = tempfile::tempdir().unwrap();
    let (result, _) = collect(&config(&server, &dir));
    let inventory = result.unwrap();
    assert!(inventory.is_empty());
    let problems = problems(&inventory);
    assert_eq!(
        problems.len(),
        14,
        "Namespace and the 13 kinds: {problems:#?}"
    );
    assert!(problems[0].starts_with("k8s/Namespace: malformed response: /api/v1/namespaces: "));
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("k8s/Pod: malformed response: /api/v1/pods: ")),
        "{problems:#?}"
    );
}

#[test]
fn an_unreachable_api_server_fails_the_source_by_name() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, aiops_tests::k8s_api::kubeconfig(&url)).unwrap();
    let collectors: Vec<Box<dyn Collector>> = vec![Box::new(K8sCollector::new(K8sConfig {
        kubeconfig: Some(kubeconfig),
        ..K8sConfig::default()
    }))];
    let mut inventory = Inventory::default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    merge_outcomes(
        runtime.block_on(run_collectors(&collectors, &CollectProgress::hidden())),
        &mut inventory,
    );
    // The connection error itself, not a wall-clock bound a slow machine can break.
    let problems = problems(&inventory);
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with(&format!("k8s: {url}/: cannot reach the API server: ")),
        "{}",
        problems[0]
    );
    assert!(
        problems[0].contains("Connection refused"),
        "{}",
        problems[0]
    );
}

#[test]
fn a_missing_kubeconfig_is_named() {
    let (result, _) = collect(&K8sConfig {
        kubeconfig: Some("/nonexistent/aiops/kubeconfig".into()),
        ..K8sConfig::default()
    });
    let err = result.unwrap_err().to_string();
    assert!(
        err.starts_with("config: kubeconfig /nonexistent/aiops/kubeconfig: "),
        "{err}"
    );
}

#[test]
fn include_without_the_namespace_list_reads_the_exact_names_and_says_so() {
    let server = FakeApiServer::start();
    seed(&mut server.state());
    server.state().forbidden.insert("v1/namespaces".into());
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&server, &dir);
    cfg.namespaces.include = vec!["shop".into(), "team-*".into()];
    let (result, _) = collect(&cfg);
    let inventory = result.unwrap();
    assert_eq!(
        problems(&inventory),
        [
            "k8s/Namespace: forbidden: namespaces is forbidden: User \"system:serviceaccount:aiops:aiops\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope",
            "k8s/Namespace: namespaces.include has patterns, which need the namespace list: only the exact names in it are read",
        ]
    );
    assert_eq!(ids(&inventory, "Pod"), expected_pods(&["shop"]));
    assert!(ids(&inventory, "Namespace").is_empty());
}

#[test]
fn the_configured_context_is_used_instead_of_the_current_one() {
    let server = FakeApiServer::start();
    seed(&mut server.state());
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: old\nclusters:\n\
             - name: old\n  cluster: {{server: \"{dead}\"}}\n\
             - name: live\n  cluster: {{server: \"{}\"}}\n\
             contexts:\n- name: old\n  context: {{cluster: old, user: tester}}\n\
             - name: live\n  context: {{cluster: live, user: tester}}\n\
             users:\n- name: tester\n  user: {{token: {TOKEN}}}\n",
            server.url
        ),
    )
    .unwrap();
    let mut cfg = K8sConfig {
        kubeconfig: Some(kubeconfig),
        ..K8sConfig::default()
    };
    let (current, _) = collect(&cfg);
    assert!(
        current.unwrap_err().to_string().contains(&dead),
        "the current context points at the closed port"
    );
    cfg.context = Some("live".into());
    let (result, _) = collect(&cfg);
    let inventory = result.unwrap();
    assert_eq!(problems(&inventory), Vec::<String>::new());
    assert_eq!(ids(&inventory, "Pod"), expected_pods(&ALL));
}
