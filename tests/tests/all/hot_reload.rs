//! Hot reload of the plugin directory: new versions go live without a restart, broken
//! files leave the previous version serving with the error visible, deleted files
//! unload, and rewriting identical bytes reloads nothing.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aiops_core::Inventory;
use aiops_engine::scan::run_scan;
use aiops_runtime::PluginsConfig;
use aiops_runtime::{HostOptions, LoadOutcome, PluginHost, RegistrySnapshot};
use aiops_tests::{fixture, install_plugin, wait_until};

const WAIT: Duration = Duration::from_secs(20);

fn start(dir: &Path, cache: &Path) -> (PluginHost, PluginsConfig) {
    let config = PluginsConfig {
        cache_dir: Some(cache.to_path_buf()),
        ..PluginsConfig::default()
    };
    let host = PluginHost::start(
        &config,
        &HostOptions {
            plugin_dir: Some(dir.to_path_buf()),
            builtin: false,
            watch: true,
            builtins: &[],
            ..Default::default()
        },
    )
    .unwrap();
    (host, config)
}

fn tagger_version(snapshot: &RegistrySnapshot) -> Option<String> {
    snapshot.by_name("tagger").map(|p| p.info.version.clone())
}

fn scan_messages(snapshot: &Arc<RegistrySnapshot>, config: &PluginsConfig) -> Vec<String> {
    let mut inventory = Inventory::default();
    let object =
        serde_json::json!({"kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}});
    inventory.push(aiops_sdk::k8s::resource_from_object(&object).unwrap(), None);
    run_scan(snapshot, &inventory, config, &|_| {})
        .findings
        .into_iter()
        .map(|f| f.finding.message)
        .collect()
}

#[test]
fn replaced_plugin_serves_new_version_broken_file_keeps_old_deleted_file_unloads() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let file = dir.path().join("tagger.wasm");
    install_plugin(dir.path(), "tagger.wasm", fixture("tagger-v1"));
    let (host, config) = start(dir.path(), cache.path());
    let registry = host.registry.clone();
    assert_eq!(
        tagger_version(&registry.snapshot()).as_deref(),
        Some("1.0.0"),
        "loaded at start"
    );
    assert_eq!(
        scan_messages(&registry.snapshot(), &config),
        ["tagged by 1.0.0"]
    );

    install_plugin(dir.path(), "tagger.wasm", fixture("tagger-v2"));
    assert!(wait_until(WAIT, || tagger_version(&registry.snapshot())
        .as_deref()
        == Some("2.0.0")));
    assert_eq!(
        scan_messages(&registry.snapshot(), &config),
        ["tagged by 2.0.0"]
    );
    // The new version counts on from the old one's calls.
    let calls = |snapshot: &RegistrySnapshot| {
        snapshot
            .by_name("tagger")
            .unwrap()
            .stats()
            .snapshot()
            .calls()
    };
    assert_eq!(calls(&registry.snapshot()), 2, "one scan per version");

    std::fs::write(&file, b"\0asm garbage").unwrap();
    let origin = file.display().to_string();
    assert!(wait_until(WAIT, || registry.snapshot().entries[&origin]
        .error
        .is_some()));
    let snapshot = registry.snapshot();
    assert!(
        snapshot.entries[&origin]
            .error
            .as_deref()
            .unwrap()
            .contains("not a valid WebAssembly component")
    );
    assert_eq!(
        tagger_version(&snapshot).as_deref(),
        Some("2.0.0"),
        "old version keeps serving"
    );
    assert_eq!(scan_messages(&snapshot, &config), ["tagged by 2.0.0"]);
    assert_eq!(calls(&snapshot), 3);
    // The failed load counts under the name of the plugin the slot serves.
    assert_eq!(
        registry.loads(),
        [
            ("tagger".to_string(), LoadOutcome::Loaded, 2),
            ("tagger".to_string(), LoadOutcome::Failed, 1)
        ]
    );

    std::fs::remove_file(&file).unwrap();
    assert!(wait_until(WAIT, || registry.snapshot().entries.is_empty()));
    assert!(scan_messages(&registry.snapshot(), &config).is_empty());
}

#[test]
fn new_file_goes_live_and_identical_rewrite_reloads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (host, _config) = start(dir.path(), cache.path());
    let registry = host.registry.clone();
    assert!(registry.snapshot().entries.is_empty());

    install_plugin(dir.path(), "tagger.wasm", fixture("tagger-v1"));
    assert!(wait_until(WAIT, || tagger_version(&registry.snapshot()).is_some()));
    let generation = registry.snapshot().generation;

    // Same bytes written again (a redeploy of the same build): nothing reloads.
    std::fs::write(dir.path().join("tagger.wasm"), fixture("tagger-v1")).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(registry.snapshot().generation, generation);
}

#[test]
fn second_file_with_same_plugin_name_is_refused_and_first_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    install_plugin(dir.path(), "a.wasm", fixture("tagger-v1"));
    install_plugin(dir.path(), "b.wasm", fixture("tagger-v2"));
    let (host, _config) = start(dir.path(), cache.path());
    let snapshot = host.registry.snapshot();
    assert_eq!(tagger_version(&snapshot).as_deref(), Some("1.0.0"));
    let b = dir.path().join("b.wasm").display().to_string();
    assert!(
        snapshot.entries[&b]
            .error
            .as_deref()
            .unwrap()
            .contains("already served by")
    );
    assert_eq!(
        host.registry.loads(),
        [
            ("tagger".to_string(), LoadOutcome::Loaded, 1),
            ("tagger".to_string(), LoadOutcome::Failed, 1)
        ]
    );
}
