//! Helpers shared by the integration tests: ARM objects to vary, metrics, assertions.
#![allow(dead_code)]

use aiops_sdk::testing::{DetectRun, Harness};
use aiops_sdk::{Metric, Platform, Resource};
use azure_monitor::AzureMonitor;
use serde_json::{Value, json};

/// The subscription of every test object.
pub const SUB: &str = "/subscriptions/00000000-0000-0000-0000-000000000001";

/// An action group id.
pub const AG: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/monitoring/providers/microsoft.insights/actionGroups/oncall";

/// Fourteen days.
pub const WINDOW: u64 = 14 * 86_400;

/// The ARM id of a resource `provider_type` (e.g. `Microsoft.Compute/virtualMachines`).
pub fn arm_id(rg: &str, provider_type: &str, name: &str) -> String {
    format!("{SUB}/resourceGroups/{rg}/providers/{provider_type}/{name}")
}

/// A CPU metric summary over [`WINDOW`] with this p95.
pub fn cpu(name: &str, p95: f64) -> Metric {
    Metric {
        name: name.to_string(),
        unit: "percent".to_string(),
        window_seconds: WINDOW,
        avg: Some(p95 * 0.7),
        max: Some(p95.max(99.0)),
        p95: Some(p95),
        ..Default::default()
    }
}

/// An envelope of `kind` with id `azure/RG/SHORT/NAME`.
pub fn envelope(kind: &str, short: &str, rg: &str, name: &str, raw: &Value) -> Resource {
    Resource {
        id: format!("azure/{rg}/{short}/{name}"),
        kind: kind.to_string(),
        platform: Platform::Azure,
        name: name.to_string(),
        namespace: Some(rg.to_string()),
        labels: vec![],
        metrics: vec![],
        raw: raw.to_string(),
    }
}

/// A VM of `size` in `rg`.
pub fn vm(rg: &str, name: &str, size: &str, metrics: Vec<Metric>) -> Resource {
    let raw = json!({
        "id": arm_id(rg, "Microsoft.Compute/virtualMachines", name),
        "name": name,
        "type": "Microsoft.Compute/virtualMachines",
        "location": "westeurope",
        "tags": {},
        "properties": {"hardwareProfile": {"vmSize": size}}
    });
    let mut r = envelope("azure.compute.vm", "vm", rg, name, &raw);
    r.metrics = metrics;
    r
}

/// A MySQL flexible server with SKU `sku` in `rg`.
pub fn mysql(rg: &str, name: &str, sku: &str, metrics: Vec<Metric>) -> Resource {
    let raw = json!({
        "id": arm_id(rg, "Microsoft.DBforMySQL/flexibleServers", name),
        "name": name,
        "type": "Microsoft.DBforMySQL/flexibleServers",
        "location": "westeurope",
        "sku": {"name": sku, "tier": "GeneralPurpose"},
        "properties": {"version": "8.0.21"}
    });
    let mut r = envelope("azure.mysql.flexible-server", "mysql", rg, name, &raw);
    r.metrics = metrics;
    r
}

/// An Event Hubs namespace in `rg`.
pub fn eventhub(rg: &str, name: &str) -> Resource {
    let raw = json!({
        "id": arm_id(rg, "Microsoft.EventHub/namespaces", name),
        "name": name,
        "type": "Microsoft.EventHub/namespaces",
        "location": "westeurope",
        "sku": {"name": "Standard", "tier": "Standard", "capacity": 1},
        "properties": {"status": "Active"}
    });
    envelope("azure.eventhub.namespace", "eventhub", rg, name, &raw)
}

/// An Azure SQL logical server in `rg`.
pub fn sql_server(rg: &str, name: &str) -> Resource {
    let raw = json!({
        "id": arm_id(rg, "Microsoft.Sql/servers", name),
        "name": name,
        "type": "Microsoft.Sql/servers",
        "location": "westeurope",
        "properties": {"version": "12.0"}
    });
    envelope("azure.sql.server", "sql", rg, name, &raw)
}

/// A metric alert `name` with these scopes and action group ids.
pub fn alert(name: &str, enabled: bool, scopes: &[String], actions: &[&str]) -> Resource {
    let raw = json!({
        "id": arm_id("monitoring", "Microsoft.Insights/metricAlerts", name),
        "name": name,
        "type": "Microsoft.Insights/metricAlerts",
        "location": "global",
        "properties": {
            "severity": 2,
            "enabled": enabled,
            "scopes": scopes,
            "criteria": {"odata.type": "Microsoft.Azure.Monitor.MultipleResourceMultipleMetricCriteria", "allOf": []},
            "actions": actions.iter().map(|a| json!({"actionGroupId": a})).collect::<Vec<_>>()
        }
    });
    envelope(
        "azure.monitor.metric-alert",
        "metric-alert",
        "monitoring",
        name,
        &raw,
    )
}

/// The ARM id in a resource's raw object.
pub fn raw_id(resource: &Resource) -> String {
    let raw: Value = serde_json::from_str(&resource.raw).unwrap();
    raw["id"].as_str().unwrap().to_string()
}

/// An enabled alert with an action group scoping exactly `resources`.
pub fn watching(name: &str, resources: &[&Resource]) -> Resource {
    let scopes: Vec<String> = resources.iter().map(|r| raw_id(r)).collect();
    alert(name, true, &scopes, &[AG])
}

/// Runs the detector with the default config.
pub fn run(resources: Vec<Resource>) -> DetectRun {
    run_with("{}", resources)
}

/// Runs the detector with a config.
pub fn run_with(config: &str, resources: Vec<Resource>) -> DetectRun {
    Harness::<AzureMonitor>::new()
        .config(config)
        .detect(resources)
        .expect("detect succeeds")
}

/// A config with `default_action_group_id` set to [`AG`].
pub fn with_group() -> String {
    format!(r#"{{"default_action_group_id": "{AG}"}}"#)
}

/// `(rule, resource id)` of the findings, sorted.
pub fn hits(run: &DetectRun) -> Vec<(String, String)> {
    run.summary()
        .into_iter()
        .map(|(r, id, _)| (r, id))
        .collect()
}
