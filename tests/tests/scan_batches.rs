//! A large batch for a per-resource detector is split across cores; the findings are
//! exactly those of the same logic run natively on the whole batch.

use aiops::config::Config;
use aiops::inventory::Inventory;
use aiops::runtime::{HostOptions, PluginHost};
use aiops::scan::run_scan;
use aiops_sdk::{Context, Detector, LogLevel, LogSink};
use serde_json::json;

struct NoLog;
impl LogSink for NoLog {
    fn write(&self, _: LogLevel, _: &str, _: &[(&str, &str)]) {}
}

#[test]
fn split_batch_gives_the_same_findings_as_native_whole_batch() {
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
    let cache = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.plugins.cache_dir = Some(cache.path().to_path_buf());
    let host = PluginHost::start(
        &config,
        &HostOptions {
            builtin: true,
            ..Default::default()
        },
    )
    .unwrap();
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
