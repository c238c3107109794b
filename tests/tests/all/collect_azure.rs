//! The Azure collector against an ARM stand-in speaking the REST reference's paths and
//! JSON (tests/src/arm.rs), with the real azure_identity client-secret credential getting
//! its token from the stand-in's HTTPS Entra endpoint.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use aiops_collect::CollectProgress;
use aiops_collect::azure::{AzureCollector, AzureConfig, CredentialKind};
use aiops_collect::retry::RetryPolicy;
use aiops_core::Inventory;
use aiops_core::{CollectError, Collector};
use aiops_sdk::Resource;
use aiops_tests::arm::{ArmServer, Estate, Series};
use serde_json::{Value, json};

const SUB: &str = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const OTHER: &str = "0b5e4d3c-2a19-4f8e-9d7c-6b5a49382716";

fn fixture_estate(page_size: usize) -> Estate {
    Estate::from_snapshot(
        &aiops_tests::repo_root().join("local-dev/inventory/azure.json"),
        page_size,
    )
}

fn fixture_resources() -> Vec<Resource> {
    let text =
        std::fs::read_to_string(aiops_tests::repo_root().join("local-dev/inventory/azure.json"))
            .unwrap();
    let snapshot: Value = serde_json::from_str(&text).unwrap();
    serde_json::from_value(snapshot["resources"].clone()).unwrap()
}

/// A second subscription with `n` VMs (tags, sizes) in two resource groups and one
/// SQL server with two databases.
fn add_other_subscription(estate: &mut Estate, n: usize) {
    let mut objects = Vec::new();
    for i in 0..n {
        let group = if i % 2 == 0 { "fleet-a" } else { "fleet-b" };
        objects.push(json!({
            "id": format!("/subscriptions/{OTHER}/resourceGroups/{group}/providers/Microsoft.Compute/virtualMachines/node-{i:03}"),
            "name": format!("node-{i:03}"),
            "type": "Microsoft.Compute/virtualMachines",
            "location": "northeurope",
            "tags": {"index": i.to_string()},
            "properties": {"hardwareProfile": {"vmSize": "Standard_D2s_v5"}, "provisioningState": "Succeeded"}
        }));
    }
    let server = format!(
        "/subscriptions/{OTHER}/resourceGroups/data/providers/Microsoft.Sql/servers/ledger"
    );
    objects.push(json!({
        "id": server, "name": "ledger", "type": "Microsoft.Sql/servers", "location": "northeurope",
        "kind": "v12.0", "properties": {"version": "12.0", "state": "Ready", "publicNetworkAccess": "Disabled"}
    }));
    for db in ["master", "orders"] {
        objects.push(json!({
            "id": format!("{server}/databases/{db}"), "name": db,
            "type": "Microsoft.Sql/servers/databases", "location": "northeurope",
            "sku": {"name": "GP_S_Gen5", "tier": "GeneralPurpose", "family": "Gen5", "capacity": 2},
            "properties": {"status": "Online", "maxSizeBytes": 34359738368u64}
        }));
    }
    estate.metrics.insert(
        format!("{server}/databases/orders").to_ascii_lowercase(),
        vec![Series {
            name: "cpu_percent".into(),
            unit: "Percent".into(),
            points: vec![(10.0, 30.0), (50.0, 90.0), (30.0, 31.0), (20.0, 25.0)],
        }],
    );
    estate.subscriptions.push(OTHER.to_string());
    estate.resources.insert(OTHER.to_string(), objects);
}

struct Setup {
    server: ArmServer,
    dir: tempfile::TempDir,
    config: AzureConfig,
}

fn setup(estate: Estate) -> Setup {
    let server = ArmServer::start(estate);
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("client-secret");
    std::fs::write(&secret_file, format!("{}\n", server.identity.client_secret)).unwrap();
    let config = AzureConfig {
        credential: CredentialKind::ClientSecret,
        tenant_id: Some(server.identity.tenant.clone()),
        client_id: Some(server.identity.client_id.clone()),
        client_secret_file: Some(secret_file),
        authority_host: Some(server.authority.clone()),
        ca_file: Some(server.write_ca(dir.path())),
        endpoint: server.endpoint.clone(),
        timeout_seconds: 60,
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay_ms: 1,
            max_delay_ms: 5_000,
        },
        ..Default::default()
    };
    Setup {
        server,
        dir,
        config,
    }
}

/// Runs the collector on its own runtime; returns what it gave and its per-kind counts.
fn collect(
    config: &AzureConfig,
) -> (
    Result<Inventory, CollectError>,
    std::collections::BTreeMap<String, usize>,
) {
    let collector = AzureCollector::new(config.clone());
    let progress = CollectProgress::hidden().source("azure");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let result = runtime.block_on(async {
        tokio::time::timeout(collector.timeout(), collector.collect(&progress))
            .await
            .unwrap_or(Err(CollectError::Timeout(collector.timeout())))
    });
    (result, progress.counts())
}

fn ids(inventory: &Inventory) -> Vec<String> {
    let mut ids: Vec<String> = inventory.resources().iter().map(|r| r.id.clone()).collect();
    ids.sort();
    ids
}

fn problems(inventory: &Inventory) -> Vec<String> {
    inventory.problems.iter().map(ToString::to_string).collect()
}

#[test]
fn collects_the_fixture_estate_exactly_as_the_snapshot_has_it() {
    let s = setup(fixture_estate(2));
    let (result, counts) = collect(&s.config);
    let inventory = result.unwrap();
    assert_eq!(problems(&inventory), Vec::<String>::new());
    let expected = fixture_resources();
    assert_eq!(inventory.len(), expected.len());
    for want in &expected {
        let got = inventory
            .get(&want.id)
            .unwrap_or_else(|| panic!("{} not collected", want.id));
        assert_eq!(got.kind, want.kind, "{}", want.id);
        assert_eq!(got.platform, want.platform, "{}", want.id);
        assert_eq!(got.name, want.name, "{}", want.id);
        assert_eq!(got.namespace, want.namespace, "{}", want.id);
        assert_eq!(got.labels, want.labels, "{}", want.id);
        // Exact summaries: mean, nearest-rank p95 and max of the served 20-point series.
        assert_eq!(got.metrics, want.metrics, "{}", want.id);
        let got_raw: Value = serde_json::from_str(&got.raw).unwrap();
        let want_raw: Value = serde_json::from_str(&want.raw).unwrap();
        assert_eq!(got_raw, want_raw, "{}: raw is the ARM object", want.id);
    }
    assert_eq!(counts["azure.compute.vm"], 3);
    assert_eq!(counts["azure.monitor.metric-alert"], 3);
    assert_eq!(counts["azure.mysql.flexible-server"], 1);
    assert_eq!(counts["azure.eventhub.namespace"], 1);
    // The subscriptions were discovered, the VM list came in two pages, the token once.
    let requests = s.server.requests();
    assert!(requests.iter().any(|p| p == "/subscriptions"));
    let vm_lists = requests
        .iter()
        .filter(|p| p.ends_with("/providers/Microsoft.Compute/virtualMachines"))
        .count();
    assert_eq!(vm_lists, 2, "3 VMs at 2 a page: {requests:#?}");
    assert_eq!(s.server.faults.token_requests.load(Ordering::SeqCst), 1);
}

#[test]
fn every_item_of_every_page_arrives() {
    let mut estate = fixture_estate(7);
    add_other_subscription(&mut estate, 61);
    let s = setup(estate);
    let (result, counts) = collect(&s.config);
    let inventory = result.unwrap();
    assert_eq!(problems(&inventory), Vec::<String>::new());
    let got = ids(&inventory);
    for i in 0..61 {
        let group = if i % 2 == 0 { "fleet-a" } else { "fleet-b" };
        let id = format!("azure/{group}/vm/node-{i:03}");
        assert!(got.contains(&id), "{id} missing");
    }
    assert_eq!(counts["azure.compute.vm"], 64);
    assert_eq!(counts["azure.sql.server"], 1);
    assert_eq!(counts["azure.sql.database"], 2);
    assert_eq!(got.len(), 8 + 61 + 3);
    let node = inventory.get("azure/fleet-b/vm/node-059").unwrap();
    assert_eq!(node.labels, vec![("index".to_string(), "59".to_string())]);
    assert!(node.metrics.is_empty(), "no data points, no metric");
    let db = inventory
        .get("azure/data/sql-database/ledger/orders")
        .unwrap();
    assert_eq!(db.kind, "azure.sql.database");
    let cpu = db.metric("cpu_percent", None).unwrap();
    assert_eq!(
        (cpu.avg, cpu.max, cpu.p95),
        (Some(27.5), Some(90.0), Some(50.0))
    );
    assert_eq!(cpu.unit, "percent");
    assert_eq!(cpu.window_seconds, 14 * 24 * 3600);
    assert!(inventory.get("azure/data/sql/ledger").is_some());
}

#[test]
fn throttling_with_retry_after_is_retried_and_succeeds() {
    let s = setup(fixture_estate(2));
    s.server.faults.throttle_next.store(2, Ordering::SeqCst);
    let started = Instant::now();
    let (result, _) = collect(&s.config);
    let inventory = result.unwrap();
    assert_eq!(problems(&inventory), Vec::<String>::new());
    assert_eq!(inventory.len(), 8);
    assert_eq!(s.server.faults.throttled.load(Ordering::SeqCst), 2);
    // Retry-After: 1 was honoured (the backoff alone would wait milliseconds).
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_forbidden_subscription_is_a_problem_and_the_others_complete() {
    let mut estate = fixture_estate(3);
    add_other_subscription(&mut estate, 5);
    let s = setup(estate);
    s.server
        .faults
        .forbidden
        .lock()
        .unwrap()
        .push(OTHER.to_string());
    let (result, _) = collect(&s.config);
    let inventory = result.unwrap();
    let problems = problems(&inventory);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with(&format!(
            "azure: subscription {OTHER}: nothing could be read"
        )),
        "{}",
        problems[0]
    );
    assert!(
        problems[0].contains("HTTP 403 AuthorizationFailed"),
        "{}",
        problems[0]
    );
    let expected: Vec<String> = {
        let mut v: Vec<String> = fixture_resources().into_iter().map(|r| r.id).collect();
        v.sort();
        v
    };
    assert_eq!(ids(&inventory), expected);
}

#[test]
fn every_subscription_forbidden_fails_the_source() {
    let s = setup(fixture_estate(3));
    s.server
        .faults
        .forbidden
        .lock()
        .unwrap()
        .push(SUB.to_string());
    let (result, _) = collect(&s.config);
    let err = result.unwrap_err().to_string();
    assert!(err.starts_with("no subscription could be read"), "{err}");
    assert!(err.contains(SUB) && err.contains("403"), "{err}");
}

#[test]
fn malformed_json_is_a_problem_naming_the_call_and_the_rest_is_kept() {
    let s = setup(fixture_estate(3));
    *s.server.faults.malformed.lock().unwrap() = Some("Microsoft.DBforMySQL".into());
    let (result, _) = collect(&s.config);
    let inventory = result.unwrap();
    let problems = problems(&inventory);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with(&format!(
            "azure: subscription {SUB}: GET /subscriptions/{SUB}/providers/Microsoft.DBforMySQL/flexibleServers: malformed response"
        )),
        "{}",
        problems[0]
    );
    assert!(inventory.get("azure/data/mysql/orders-mysql").is_none());
    assert_eq!(inventory.len(), 7);
}

#[test]
fn malformed_subscription_list_fails_the_source_as_malformed() {
    let s = setup(fixture_estate(3));
    *s.server.faults.malformed.lock().unwrap() = Some("/subscriptions".into());
    let (result, _) = collect(&s.config);
    let err = result.unwrap_err();
    assert!(matches!(err, CollectError::Malformed(_)), "{err}");
    assert!(err.to_string().contains("GET /subscriptions"), "{err}");
}

#[test]
fn metric_queries_ask_for_the_window_interval_and_aggregations() {
    // The stand-in answers 400 unless metricnames, timespan (start/end), interval and
    // aggregation=Average,Maximum are given, so summaries only arrive when they are.
    let mut s = setup(fixture_estate(10));
    s.config.metrics.interval = "PT5M".into();
    s.config.metrics.window_hours = 24;
    let (result, _) = collect(&s.config);
    let inventory = result.unwrap();
    assert_eq!(problems(&inventory), Vec::<String>::new());
    let cpu = inventory
        .get("azure/shop/vm/web-1")
        .unwrap()
        .metric("Percentage CPU", None)
        .unwrap()
        .clone();
    assert_eq!(
        (cpu.avg, cpu.max, cpu.p95),
        (Some(71.0), Some(99.0), Some(93.0))
    );
    assert_eq!(cpu.window_seconds, 86_400);
    let metric_calls = s
        .server
        .requests()
        .iter()
        .filter(|p| p.ends_with("/providers/Microsoft.Insights/metrics"))
        .count();
    assert_eq!(
        metric_calls, 5,
        "one call per VM, MySQL server and namespace"
    );
}

#[test]
fn a_wrong_client_secret_fails_the_credential_without_showing_it() {
    let s = setup(fixture_estate(3));
    let wrong = "Wr0ng~secret.value-4242";
    std::fs::write(s.dir.path().join("client-secret"), wrong).unwrap();
    let (result, _) = collect(&s.config);
    let err = result.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, CollectError::Credentials(_)), "{text}");
    assert!(text.contains("client-secret"), "{text}");
    assert!(text.contains("AADSTS7000215"), "{text}");
    assert!(!text.contains(wrong), "{text}");
    assert!(!text.contains(&s.server.identity.client_secret), "{text}");
    assert!(
        s.server.requests().is_empty(),
        "no ARM call without a token"
    );
}

#[test]
fn an_untrusted_token_endpoint_is_refused() {
    let mut s = setup(fixture_estate(3));
    s.config.ca_file = None;
    let (result, _) = collect(&s.config);
    let err = result.unwrap_err();
    assert!(matches!(err, CollectError::Credentials(_)), "{err}");
    assert!(
        err.to_string().contains("invalid peer certificate"),
        "{err}"
    );
    assert_eq!(s.server.faults.token_requests.load(Ordering::SeqCst), 0);
}

#[test]
fn an_unreadable_ca_file_is_a_config_error_naming_it() {
    let mut s = setup(fixture_estate(3));
    s.config.ca_file = Some(Path::new("/no/such/ca.pem").to_path_buf());
    let (result, _) = collect(&s.config);
    let err = result.unwrap_err().to_string();
    assert!(
        err.contains("collectors.azure.ca_file /no/such/ca.pem"),
        "{err}"
    );
}

#[test]
fn workload_identity_exchanges_the_federated_token() {
    let mut s = setup(fixture_estate(3));
    let token_file = s.dir.path().join("azure-identity-token");
    std::fs::write(&token_file, aiops_tests::arm::FEDERATED_TOKEN).unwrap();
    s.config.credential = CredentialKind::WorkloadIdentity;
    s.config.client_secret_file = None;
    s.config.federated_token_file = Some(token_file.clone());
    let (result, _) = collect(&s.config);
    assert_eq!(result.unwrap().len(), 8);

    std::fs::write(&token_file, "eyJhbGciOiJSUzI1NiJ9.some-other-token.sig").unwrap();
    let (result, _) = collect(&s.config);
    let err = result.unwrap_err().to_string();
    assert!(err.starts_with("credentials: workload-identity"), "{err}");
}
