//! A large batch for a per-resource detector is split across cores; the findings are
//! exactly those of the same logic run natively on the whole batch.

use aiops_core::Inventory;
use aiops_engine::scan::run_scan;
use aiops_runtime::{HostOptions, PluginHost};
use aiops_runtime::{LimitOverrides, PluginSettings, PluginsConfig};
use aiops_sdk::{Context, Detector, LogLevel, LogSink};
use serde_json::json;

struct NoLog;
impl LogSink for NoLog {
    fn write(&self, _: LogLevel, _: &str, _: &[(&str, &str)]) {}
}

/// 1,500 Deployments, each with one container whose resources break one or two rules.
fn inventory() -> Inventory {
    let mut inventory = Inventory::default();
    for i in 0..1_500 {
        let limits = match i % 3 {
            0 => json!({"cpu": "4", "memory": "128Mi"}),
            1 => json!({"memory": "1Gi"}),
            _ => json!({"cpu": "500m", "memory": "512Mi"}),
        };
        let object = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": format!("svc-{i}"), "namespace": "shop"},
            "spec": {"template": {"spec": {"containers": [{"name": "app",
                "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": limits}}]}}}
        });
        inventory.push(aiops_sdk::k8s::resource_from_object(&object).unwrap(), None);
    }
    inventory
}

fn start_host(config: &PluginsConfig) -> PluginHost {
    PluginHost::start(
        config,
        &HostOptions {
            builtin: true,
            builtins: aiops::builtin::BUILTIN_PLUGINS,
            ..Default::default()
        },
    )
    .unwrap()
}

#[test]
fn split_batch_gives_the_same_findings_as_native_whole_batch() {
    let inventory = inventory();
    let cache = tempfile::tempdir().unwrap();
    let config = PluginsConfig {
        cache_dir: Some(cache.path().to_path_buf()),
        ..PluginsConfig::default()
    };
    let host = start_host(&config);
    let report = run_scan(&host.registry.snapshot(), &inventory, &config, &|_| {});
    assert!(
        report.plugin_failures.is_empty(),
        "{:?}",
        report.plugin_failures
    );

    // k8s-workloads runs too (built in); this compares k8s-resources with its native self.
    let mut via_host: Vec<_> = report
        .findings
        .into_iter()
        .filter(|f| f.plugin == "k8s-resources")
        .map(|f| f.finding)
        .collect();
    let ctx = Context::new("{}".into(), &NoLog);
    let mut native =
        k8s_resources::K8sResources::detect(&ctx, inventory.resources().to_vec()).unwrap();
    let key = |f: &aiops_sdk::Finding| (f.resource_id.clone(), f.rule.clone(), f.message.clone());
    via_host.sort_by_key(key);
    native.sort_by_key(key);
    // 500 × (cpu ratio 16 + memory below request) + 500 × cpu limit missing.
    assert_eq!(native.len(), 1_500);
    assert_eq!(via_host, native);
}

/// A scan where k8s-resources may return at most `limit` findings and has `disabled` off.
fn scan_with_limit(limit: usize, disabled: &[&str]) -> aiops_core::ScanReport {
    let inventory = inventory();
    let cache = tempfile::tempdir().unwrap();
    let mut config = PluginsConfig {
        cache_dir: Some(cache.path().to_path_buf()),
        ..PluginsConfig::default()
    };
    config.settings.insert(
        "k8s-resources".into(),
        PluginSettings {
            limits: Some(LimitOverrides {
                max_findings: Some(limit),
                ..Default::default()
            }),
            disabled_rules: disabled.iter().map(|r| r.to_string()).collect(),
            ..Default::default()
        },
    );
    let host = start_host(&config);
    run_scan(&host.registry.snapshot(), &inventory, &config, &|_| {})
}

fn failures(report: &aiops_core::ScanReport) -> Vec<(&str, &str)> {
    report
        .plugin_failures
        .iter()
        .map(|f| (f.plugin.as_str(), f.message.as_str()))
        .collect()
}

#[test]
fn the_findings_limit_holds_for_a_split_batch_as_a_whole() {
    // Each part of the split batch stays under the limit; the 1,500 findings together do not.
    let report = scan_with_limit(1_000, &[]);
    assert_eq!(
        failures(&report),
        vec![(
            "k8s-resources",
            "returned 1500 findings, more than the limit of 1000"
        )]
    );
    assert!(report.findings.iter().all(|f| f.plugin != "k8s-resources"));
    // The other detector's findings are all there (three per Deployment).
    assert_eq!(report.findings.len(), 4_500);
}

#[test]
fn the_findings_limit_counts_what_the_plugin_returned_before_disabled_rules_drop() {
    // 500 of the 1,500 are cpu-limit-missing: 1,000 would be reported, 1,500 were returned.
    let report = scan_with_limit(1_200, &["k8s.resources.cpu-limit-missing"]);
    assert_eq!(
        failures(&report),
        vec![(
            "k8s-resources",
            "returned 1500 findings, more than the limit of 1200"
        )]
    );
    let report = scan_with_limit(1_500, &["k8s.resources.cpu-limit-missing"]);
    assert!(report.plugin_failures.is_empty(), "{:?}", failures(&report));
    let k8s_resources = report
        .findings
        .iter()
        .filter(|f| f.plugin == "k8s-resources")
        .count();
    assert_eq!(k8s_resources, 1_000);
}
