//! Hardening of the sandbox against plugins that stall, flood or subvert the host
//! (issue 21) and detectors that speak for other plugins (issue 13, item 5): each test
//! is the probe that found the hole, asserting what the host now does.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use aiops_core::Inventory;
use aiops_engine::fix::{IacRepo, fix_findings};
use aiops_engine::scan::run_scan;
use aiops_runtime::{
    CallSettings, CompileCache, HostOptions, LoadError, LoadedPlugin, Loader, PluginError,
    PluginHost, PluginLimits, PluginSettings, PluginsConfig, SandboxEngine,
};
use aiops_tests::{fixture, install_plugin};
use serde_json::json;

fn deployment_object(name: &str, cpu_limit: &str) -> serde_json::Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"replicas": 2, "template": {"spec": {"containers": [{
            "name": "app", "image": "shop/web:1.2.3",
            "resources": {"requests": {"cpu": "500m", "memory": "256Mi"},
                          "limits": {"cpu": cpu_limit, "memory": "256Mi"}}
        }]}}}
    })
}

fn inventory() -> Inventory {
    let mut inv = Inventory::default();
    for (i, cpu_limit) in ["100m", "4"].iter().enumerate() {
        let object = deployment_object(&format!("web-{i}"), cpu_limit);
        inv.push(aiops_sdk::k8s::resource_from_object(&object).unwrap(), None);
    }
    let service = json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "shop"}, "spec": {}});
    inv.push(
        aiops_sdk::k8s::resource_from_object(&service).unwrap(),
        None,
    );
    inv
}

fn loader() -> Loader {
    Loader::new(SandboxEngine::new().unwrap(), CompileCache::disabled()).unwrap()
}

fn load(name: &str) -> LoadedPlugin {
    loader().load_bytes(fixture(name), name).unwrap()
}

fn settings(config: serde_json::Value, limits: PluginLimits) -> CallSettings {
    CallSettings {
        config: Arc::from(config.to_string()),
        limits,
    }
}

fn limits(timeout_ms: u64) -> PluginLimits {
    PluginLimits {
        timeout_ms,
        ..PluginLimits::default()
    }
}

/// Runs hostile-wasi in `mode` (its other knobs in `knobs`) on the inventory.
fn hostile_wasi(
    knobs: serde_json::Value,
    limits: PluginLimits,
) -> Result<Vec<aiops_sdk::Finding>, PluginError> {
    let inventory = inventory();
    let resources: Vec<_> = inventory.resources().iter().collect();
    load("hostile-wasi").detect(&resources, &settings(knobs, limits))
}

fn outcome(findings: &[aiops_sdk::Finding]) -> &str {
    findings[0].evidence_value("outcome").unwrap()
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What the host logs while `f` runs on this thread.
fn host_log_of<R>(f: impl FnOnce() -> R) -> (R, String) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let result = tracing::subscriber::with_default(subscriber, f);
    let log = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    (result, log)
}

// Item 1: wall-clock deadlines through blocking WASI calls.

#[test]
fn a_detector_sleeping_in_wasi_ends_at_the_wall_clock_deadline() {
    let err = hostile_wasi(json!({"mode": "sleep", "seconds": 30}), limits(300)).unwrap_err();
    assert_eq!(err, PluginError::WallClockTimeout(300));
    assert!(err.to_string().contains("wall-clock deadline"), "{err}");
}

#[test]
fn a_detector_blocked_on_a_clock_subscription_ends_at_the_wall_clock_deadline() {
    let err = hostile_wasi(json!({"mode": "poll", "seconds": 30}), limits(300)).unwrap_err();
    assert_eq!(err, PluginError::WallClockTimeout(300));
}

#[test]
fn a_spinning_detector_is_stopped_by_the_cpu_deadline() {
    let inventory = inventory();
    let resources: Vec<_> = inventory.resources().iter().collect();
    let err = load("hostile-loop")
        .detect(&resources, &settings(json!({}), limits(300)))
        .unwrap_err();
    assert_eq!(err, PluginError::Timeout(300));
    assert!(err.to_string().contains("CPU deadline"), "{err}");
}

#[test]
fn a_short_wasi_sleep_within_the_deadline_completes() {
    let findings = hostile_wasi(json!({"mode": "sleep", "seconds": 0}), limits(5_000)).unwrap();
    assert_eq!(outcome(&findings), "slept");
}

// Item 3: `log` is charged against the output budget.

#[test]
fn log_flood_is_cut_to_the_output_budget_and_reported_once() {
    let limits = PluginLimits {
        output_bytes: 64 << 10,
        ..PluginLimits::default()
    };
    let (result, log) = host_log_of(|| {
        hostile_wasi(
            json!({"mode": "log", "count": 64, "bytes": 256 << 10}),
            limits,
        )
    });
    assert_eq!(outcome(&result.unwrap()), "logged 64");
    // 64 messages of 256 KiB and a field as large each: 32 MiB asked, 64 KiB granted.
    assert!(log.len() < 128 << 10, "{} bytes logged", log.len());
    assert_eq!(
        log.matches("plugin log truncated").count(),
        1,
        "{log:.2000}"
    );
}

#[test]
fn a_log_call_larger_than_the_hostcall_budget_fails_the_call_without_copying_it() {
    let (result, log) = host_log_of(|| {
        hostile_wasi(
            json!({"mode": "log", "count": 64, "bytes": 64 << 20}),
            PluginLimits::default(),
        )
    });
    let err = result.unwrap_err();
    assert!(
        err.to_string().contains("passed the host more than"),
        "{err}"
    );
    assert!(log.len() < 64 << 10, "{} bytes logged", log.len());
}

// Item 4: no sockets, a capped resource table.

#[test]
fn sockets_cannot_reach_a_listener_the_test_opens() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let findings = hostile_wasi(
        json!({"mode": "net", "count": 20, "port": port}),
        limits(5_000),
    )
    .unwrap();
    assert_eq!(outcome(&findings), "connected 0");
    assert!(
        listener.accept().is_err(),
        "the listener must see no connection"
    );
}

#[test]
fn a_detector_cannot_fill_the_resource_table() {
    let err = hostile_wasi(json!({"mode": "handles", "count": 5_000}), limits(10_000)).unwrap_err();
    assert!(matches!(err, PluginError::Trap(_)), "{err}");
}

// Item 6: `info()` runs under the configured limits.

#[test]
fn info_runs_under_the_configured_limits() {
    let err = loader()
        .with_limits(limits(300))
        .load_bytes(fixture("hostile-info"), "hostile-info.wasm")
        .unwrap_err();
    assert!(
        matches!(err, LoadError::Info(PluginError::Timeout(300))),
        "{err}"
    );
}

#[test]
fn a_result_larger_than_the_findings_budget_fails_while_lifting() {
    let inventory = inventory();
    let resources: Vec<_> = inventory.resources().iter().collect();
    let limits = PluginLimits {
        max_findings: 1_000,
        ..PluginLimits::default()
    };
    let err = load("hostile-flood")
        .detect(&resources, &settings(json!({}), limits))
        .unwrap_err();
    assert!(matches!(err, PluginError::ResultTooLarge(_)), "{err}");
}

// Item 2: a compile cache that cannot be planted.

fn cwasm_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    files.sort();
    files
}

fn cached_loader(dir: &Path) -> Loader {
    Loader::new(SandboxEngine::new().unwrap(), CompileCache::in_dir(dir)).unwrap()
}

#[test]
fn a_valid_foreign_artifact_planted_under_a_plugins_name_is_recompiled_not_run() {
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("cache");
    let loader = cached_loader(&cache);
    loader.load_bytes(fixture("tagger-v1"), "v1.wasm").unwrap();
    let v1_entry = cwasm_files(&cache).pop().unwrap();
    loader.load_bytes(fixture("tagger-v2"), "v2.wasm").unwrap();
    let v2_entry = cwasm_files(&cache)
        .into_iter()
        .find(|p| *p != v1_entry)
        .unwrap();
    // Another plugin's valid artifact copied over the first one's name.
    std::fs::copy(&v2_entry, &v1_entry).unwrap();

    let plugin = cached_loader(&cache)
        .load_bytes(fixture("tagger-v1"), "v1.wasm")
        .unwrap();
    assert_eq!(plugin.info.version, "1.0.0", "the planted artifact ran");
    assert_ne!(
        std::fs::read(&v1_entry).unwrap(),
        std::fs::read(&v2_entry).unwrap(),
        "the planted entry is replaced"
    );
}

#[test]
fn a_cache_directory_others_can_write_is_refused_and_plugins_still_load() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let shared = root.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    let (plugin, log) = host_log_of(|| {
        cached_loader(&shared)
            .load_bytes(fixture("tagger-v1"), "v1.wasm")
            .unwrap()
    });
    assert_eq!(plugin.info.version, "1.0.0");
    assert!(cwasm_files(&shared).is_empty(), "nothing written there");
    assert!(log.contains("writable by group or others"), "{log}");
}

#[test]
fn a_new_cache_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("new");
    cached_loader(&cache)
        .load_bytes(fixture("tagger-v1"), "v1.wasm")
        .unwrap();
    let mode = std::fs::metadata(&cache).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    assert_eq!(cwasm_files(&cache).len(), 1);
}

// Issue 13, item 5: a detector speaks only for its own rules and its own batch.

#[test]
fn findings_about_foreign_resources_or_undeclared_rules_are_dropped_and_reported() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    install_plugin(dir.path(), "impostor.wasm", fixture("hostile-impostor"));
    let inventory = inventory();
    let service = inventory
        .resources()
        .iter()
        .find(|r| r.kind == "Service")
        .unwrap()
        .id
        .clone();
    let mut config = PluginsConfig {
        cache_dir: Some(cache.path().to_path_buf()),
        ..PluginsConfig::default()
    };
    config.settings.insert(
        "hostile-impostor".into(),
        PluginSettings {
            config: json!({
                "foreign_rule": "k8s.resources.limit-below-request",
                "foreign_resource": service,
            }),
            ..Default::default()
        },
    );
    let host = PluginHost::start(
        &config,
        &HostOptions {
            plugin_dir: Some(dir.path().to_path_buf()),
            builtin: false,
            watch: false,
            builtins: &[],
            ..Default::default()
        },
    )
    .unwrap();
    let report = run_scan(&host.registry.snapshot(), &inventory, &config, &|_| {});

    let messages: Vec<&str> = report
        .findings
        .iter()
        .map(|f| f.finding.message.as_str())
        .collect();
    assert_eq!(messages, ["honest"]);
    assert!(report.is_incomplete());
    let failure = report
        .plugin_failures
        .iter()
        .find(|f| f.plugin == "hostile-impostor")
        .unwrap_or_else(|| panic!("{:?}", report.plugin_failures));
    assert!(
        failure
            .message
            .contains("1 about resources not in the batch it was given"),
        "{}",
        failure.message
    );
    assert!(failure.message.contains(&service), "{}", failure.message);
    assert!(
        failure.message.contains(
            "1 under rules it did not declare (e.g. `k8s.resources.limit-below-request`)"
        ),
        "{}",
        failure.message
    );
}

// Item 7: fix-mode writes.

#[test]
fn a_file_reached_through_an_in_repo_symlink_is_fixed_once_under_its_real_name() {
    let cache = tempfile::tempdir().unwrap();
    let repo_dir = tempfile::tempdir().unwrap();
    let k8s = repo_dir.path().join("k8s");
    std::fs::create_dir(&k8s).unwrap();
    let object = deployment_object("web-0", "100m");
    let yaml = serde_norway::to_string(&object).unwrap();
    std::fs::write(k8s.join("web.yaml"), &yaml).unwrap();
    std::os::unix::fs::symlink("web.yaml", k8s.join("alias.yaml")).unwrap();

    let mut inventory = Inventory::default();
    inventory.push(aiops_sdk::k8s::resource_from_object(&object).unwrap(), None);
    let config = PluginsConfig {
        cache_dir: Some(cache.path().to_path_buf()),
        ..PluginsConfig::default()
    };
    let host = PluginHost::start(
        &config,
        &HostOptions {
            plugin_dir: None,
            builtin: true,
            builtins: aiops::builtin::BUILTIN_PLUGINS,
            watch: false,
            ..Default::default()
        },
    )
    .unwrap();
    let snapshot = host.registry.snapshot();
    let report = run_scan(&snapshot, &inventory, &config, &|_| {});
    assert!(!report.findings.is_empty());
    let repo = IacRepo::open(repo_dir.path()).unwrap();
    let run = fix_findings(&repo, &snapshot, &inventory, &report.findings, &config);
    let changed: Vec<String> = run.changes().into_iter().map(|c| c.path).collect();
    assert_eq!(changed, ["k8s/web.yaml"], "{:?}", run.outcomes);
    assert_eq!(run.write().unwrap(), ["k8s/web.yaml"]);
    let link = std::fs::symlink_metadata(k8s.join("alias.yaml")).unwrap();
    assert!(link.file_type().is_symlink(), "the alias stays a link");
    assert_ne!(std::fs::read_to_string(k8s.join("web.yaml")).unwrap(), yaml);
}
