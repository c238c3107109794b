//! Per-plugin call statistics: each hostile plugin's calls are counted under the
//! outcome the runtime tells apart (timeout, memory, error), good plugins' calls as
//! ok, and the registry counts loads by plugin (or file name when the name is unknown).

use std::path::Path;

use aiops_core::Inventory;
use aiops_engine::scan::run_scan;
use aiops_runtime::{CallOutcome, HostOptions, LoadOutcome, PluginHost, PluginsConfig};
use aiops_tests::{fixture, install_plugin};
use serde_json::json;

fn inventory() -> Inventory {
    let mut inv = Inventory::default();
    for i in 0..3 {
        let object = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": format!("web-{i}"), "namespace": "shop"},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{
                "name": "app", "image": "shop/web:1.2.3",
                "resources": {"requests": {"cpu": "500m", "memory": "256Mi"},
                              "limits": {"cpu": "4", "memory": "256Mi"}}
            }]}}}
        });
        inv.push(aiops_sdk::k8s::resource_from_object(&object).unwrap(), None);
    }
    inv
}

fn start(cache: &Path, dir: &Path) -> (PluginsConfig, PluginHost) {
    let mut config = crate::hostile_plugins::config(cache);
    config.limits.timeout_ms = 300;
    let host = PluginHost::start(
        &config,
        &HostOptions {
            plugin_dir: Some(dir.to_path_buf()),
            builtin: true,
            builtins: aiops::builtin::BUILTIN_PLUGINS,
            watch: false,
            ..Default::default()
        },
    )
    .unwrap();
    (config, host)
}

#[test]
fn hostile_calls_are_counted_under_timeout_memory_and_error() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for name in ["hostile-loop", "hostile-membomb", "hostile-panic"] {
        install_plugin(dir.path(), &format!("{name}.wasm"), fixture(name));
    }
    install_plugin(dir.path(), "garbage.wasm", b"not webassembly");
    let (config, host) = start(cache.path(), dir.path());
    let snapshot = host.registry.snapshot();
    let stats = |name: &str| {
        snapshot
            .by_name(name)
            .unwrap_or_else(|| panic!("{name} is not loaded"))
            .stats()
            .snapshot()
    };
    assert_eq!(stats("hostile-loop").calls(), 0, "no call before a scan");

    let report = run_scan(&snapshot, &inventory(), &config, &|_| {});
    assert!(!report.findings.is_empty(), "k8s-resources finds the ratio");

    let only = |name: &str, outcome: CallOutcome| {
        let s = stats(name);
        assert!(s.count(outcome) >= 1, "{name}: {s:?}");
        assert_eq!(s.calls(), s.count(outcome), "{name}: {s:?}");
        s
    };
    let looped = only("hostile-loop", CallOutcome::Timeout);
    assert!(looped.max_ms() >= 300.0, "{looped:?}");
    only("hostile-membomb", CallOutcome::Memory);
    only("hostile-panic", CallOutcome::Error);
    let good = only("k8s-resources", CallOutcome::Ok);
    assert!(
        good.mean_ms() > 0.0 && good.mean_ms() <= good.max_ms(),
        "{good:?}"
    );
    let in_buckets: u64 = good.buckets().iter().map(|b| b.1).sum();
    assert_eq!(in_buckets, good.calls());

    let loads = host.registry.loads();
    assert!(
        loads.contains(&("hostile-loop".into(), LoadOutcome::Loaded, 1)),
        "{loads:?}"
    );
    assert!(
        loads.contains(&("garbage.wasm".into(), LoadOutcome::Failed, 1)),
        "{loads:?}"
    );
}
