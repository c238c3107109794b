//! Hostile plugins next to good ones: each is reported by name with its cause, and
//! the good plugins' findings are complete and identical to a run without them.

use std::path::Path;

use aiops_core::Inventory;
use aiops_core::ScanReport;
use aiops_engine::scan::run_scan;
use aiops_runtime::{HostOptions, PluginHost};
use aiops_runtime::{LimitOverrides, PluginSettings, PluginsConfig};
use aiops_tests::{
    COMPONENT_IMPORTING_WASI_HTTP, COMPONENT_OF_WRONG_WORLD, COMPONENT_WITH_MISTYPED_DETECT,
    fixture, install_plugin,
};
use serde_json::json;

fn inventory() -> Inventory {
    let mut inv = Inventory::default();
    for (i, cpu_limit) in ["100m", "4", "2"].iter().enumerate() {
        let object = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": format!("web-{i}"), "namespace": "shop"},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{
                "name": "app", "image": "shop/web:1.2.3",
                "resources": {"requests": {"cpu": "500m", "memory": "256Mi"},
                              "limits": {"cpu": cpu_limit, "memory": "256Mi"}}
            }]}}}
        });
        inv.push(aiops_sdk::k8s::resource_from_object(&object).unwrap(), None);
    }
    inv
}

/// Plugin settings for these tests: the compile cache in `cache`, tight limits.
pub(crate) fn config(cache: &Path) -> PluginsConfig {
    let mut config = PluginsConfig {
        cache_dir: Some(cache.to_path_buf()),
        ..PluginsConfig::default()
    };
    config.limits.timeout_ms = 500;
    config.limits.memory_bytes = 64 << 20;
    config.limits.max_findings = 1_000;
    config
}

fn scan(config: &PluginsConfig, dir: Option<&Path>) -> ScanReport {
    let host = PluginHost::start(
        config,
        &HostOptions {
            plugin_dir: dir.map(Path::to_path_buf),
            builtin: true,
            builtins: aiops::builtin::BUILTIN_PLUGINS,
            watch: false,
            ..Default::default()
        },
    )
    .unwrap();
    run_scan(&host.registry.snapshot(), &inventory(), config, &|_| {})
}

fn failure_of<'a>(report: &'a ScanReport, plugin_or_file: &str) -> &'a str {
    report
        .plugin_failures
        .iter()
        .find(|f| f.plugin.ends_with(plugin_or_file))
        .map(|f| f.message.as_str())
        .unwrap_or_else(|| {
            panic!(
                "no failure for {plugin_or_file}: {:#?}",
                report.plugin_failures
            )
        })
}

#[test]
fn hostile_plugins_are_reported_by_name_and_good_plugins_stay_complete() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = config(cache.path());
    let baseline = scan(&config, None);
    assert!(
        baseline.plugin_failures.is_empty(),
        "{:?}",
        baseline.plugin_failures
    );
    assert!(
        !baseline.findings.is_empty(),
        "k8s-resources should find the ratio problem"
    );

    for name in [
        "hostile-loop",
        "hostile-membomb",
        "hostile-panic",
        "hostile-flood",
        "tagger-v1",
    ] {
        install_plugin(dir.path(), &format!("{name}.wasm"), fixture(name));
    }
    install_plugin(
        dir.path(),
        "garbage.wasm",
        b"this is not webassembly at all",
    );
    install_plugin(
        dir.path(),
        "core-module.wasm",
        &wat::parse_str("(module)").unwrap(),
    );
    install_plugin(
        dir.path(),
        "wrong-world.wasm",
        &wat::parse_str(COMPONENT_OF_WRONG_WORLD).unwrap(),
    );
    install_plugin(
        dir.path(),
        "mistyped.wasm",
        &wat::parse_str(COMPONENT_WITH_MISTYPED_DETECT).unwrap(),
    );
    install_plugin(
        dir.path(),
        "wants-http.wasm",
        &wat::parse_str(COMPONENT_IMPORTING_WASI_HTTP).unwrap(),
    );

    let report = scan(&config, Some(dir.path()));

    assert!(failure_of(&report, "hostile-loop").contains("timed out after 500 ms"));
    assert!(
        failure_of(&report, "hostile-membomb")
            .contains("exceeded its memory limit of 67108864 bytes")
    );
    let panic = failure_of(&report, "hostile-panic");
    assert!(panic.contains("trapped"), "{panic}");
    assert!(
        panic.contains("the plugin last logged: panicked at")
            && panic.contains("hostile-panic refuses 3 resources"),
        "{panic}"
    );
    // 20,000 findings under a limit of 1,000: refused at the list's length, before
    // the host copies them.
    assert!(failure_of(&report, "hostile-flood").contains("bytes of results"));
    assert!(failure_of(&report, "garbage.wasm").contains("not a valid WebAssembly component"));
    assert!(failure_of(&report, "core-module.wasm").contains("not a valid WebAssembly component"));
    assert!(failure_of(&report, "wrong-world.wasm").contains("exports neither"));
    assert!(
        failure_of(&report, "mistyped.wasm").contains("`detect` does not have the contract's type")
    );
    assert!(
        failure_of(&report, "wants-http.wasm")
            .contains("imports `wasi:http/outgoing-handler@0.2.0`")
    );
    assert_eq!(
        report.plugin_failures.len(),
        9,
        "{:#?}",
        report.plugin_failures
    );

    let from = |plugin: &str| -> Vec<_> {
        report
            .findings
            .iter()
            .filter(|f| f.plugin == plugin)
            .map(|f| {
                (
                    f.finding.rule.clone(),
                    f.resource.id.clone(),
                    f.finding.message.clone(),
                )
            })
            .collect()
    };
    // Every built-in detector's findings are exactly what it found alone.
    let builtin_plugins: std::collections::BTreeSet<&str> = baseline
        .findings
        .iter()
        .map(|f| f.plugin.as_str())
        .collect();
    assert!(
        builtin_plugins.contains("k8s-resources"),
        "{builtin_plugins:?}"
    );
    for plugin in builtin_plugins {
        let expected: Vec<_> = baseline
            .findings
            .iter()
            .filter(|f| f.plugin == plugin)
            .map(|f| {
                (
                    f.finding.rule.clone(),
                    f.resource.id.clone(),
                    f.finding.message.clone(),
                )
            })
            .collect();
        assert_eq!(from(plugin), expected, "findings of {plugin}");
    }
    assert_eq!(
        from("tagger"),
        [
            "k8s/Deployment/shop/web-0",
            "k8s/Deployment/shop/web-1",
            "k8s/Deployment/shop/web-2"
        ]
        .map(|id| (
            "test.tagger".to_string(),
            id.to_string(),
            "tagged by 1.0.0".to_string()
        ))
        .to_vec()
    );
}

#[test]
fn per_plugin_limits_from_config_apply() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    install_plugin(dir.path(), "loop.wasm", fixture("hostile-loop"));
    let mut config = config(cache.path());
    config.settings.insert(
        "hostile-loop".into(),
        PluginSettings {
            limits: Some(LimitOverrides {
                timeout_ms: Some(50),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    let report = scan(&config, Some(dir.path()));
    assert!(failure_of(&report, "hostile-loop").contains("timed out after 50 ms"));
}

#[test]
fn disabled_plugin_does_not_run() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    install_plugin(dir.path(), "panic.wasm", fixture("hostile-panic"));
    let mut config = config(cache.path());
    config.settings.insert(
        "hostile-panic".into(),
        PluginSettings {
            enabled: false,
            ..Default::default()
        },
    );
    let report = scan(&config, Some(dir.path()));
    assert!(
        report.plugin_failures.is_empty(),
        "{:?}",
        report.plugin_failures
    );
}
