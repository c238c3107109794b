//! Helpers shared by the integration tests: a clean instance to vary, metrics, assertions.
#![allow(dead_code)]

use aiops_sdk::testing::{DetectRun, Harness};
use aiops_sdk::{Metric, Platform, Resource};
use aws_rds_mysql::AwsRdsMysql;
use serde_json::{Value, json};

/// Resource id of [`instance`].
pub const DB: &str = "aws/rds/eu-west-1/shop-db";

/// Fourteen days, the usual CloudWatch window.
pub const WINDOW: u64 = 14 * 86_400;

/// One GiB.
pub const GIB: f64 = (1u64 << 30) as f64;

/// The raw object of an instance no rule flags: MySQL 8.4 on db.r5.2xlarge, Multi-AZ,
/// production, encrypted, private, 7-day backups, custom parameter group, autoscaling storage.
pub fn clean_raw() -> Value {
    json!({
        "DBInstanceIdentifier": "shop-db",
        "DBInstanceClass": "db.r5.2xlarge",
        "Engine": "mysql",
        "EngineVersion": "8.4.3",
        "MultiAZ": true,
        "BackupRetentionPeriod": 7,
        "PubliclyAccessible": false,
        "StorageEncrypted": true,
        "AllocatedStorage": 100,
        "MaxAllocatedStorage": 500,
        "DBParameterGroups": [{"DBParameterGroupName": "shop-mysql84", "ParameterApplyStatus": "in-sync"}],
        "TagList": [{"Key": "environment", "Value": "production"}]
    })
}

/// A metric summary over [`WINDOW`].
pub fn metric(name: &str, unit: &str, avg: f64, max: f64, p95: f64) -> Metric {
    Metric {
        name: name.to_string(),
        unit: unit.to_string(),
        window_seconds: WINDOW,
        avg: Some(avg),
        max: Some(max),
        p95: Some(p95),
        ..Default::default()
    }
}

/// CPU with `p95` percent.
pub fn cpu(p95: f64) -> Metric {
    metric(
        "CPUUtilization",
        "percent",
        p95 * 0.7,
        (p95 * 1.5).min(100.0),
        p95,
    )
}

/// Connections with `p95` open.
pub fn connections(p95: f64) -> Metric {
    metric("DatabaseConnections", "count", p95 * 0.8, p95 * 1.2, p95)
}

/// Free storage averaging `gib` GiB.
pub fn free_storage(gib: f64) -> Metric {
    metric("FreeStorageSpace", "bytes", gib * GIB, gib * GIB, gib * GIB)
}

/// Healthy metrics: CPU p95 40%, 100 connections, 60 GiB free.
pub fn healthy_metrics() -> Vec<Metric> {
    vec![cpu(40.0), connections(100.0), free_storage(60.0)]
}

/// Merges `changes` (top-level keys; `null` removes one) over `base`.
pub fn merged(mut base: Value, changes: Value) -> Value {
    let object = base.as_object_mut().unwrap();
    for (key, value) in changes.as_object().unwrap() {
        if value.is_null() {
            object.remove(key);
        } else {
            object.insert(key.clone(), value.clone());
        }
    }
    base
}

/// The envelope of an instance with `raw`, `metrics` and the `TagList` as labels.
pub fn resource(id: &str, raw: &Value, metrics: Vec<Metric>) -> Resource {
    let labels = raw["TagList"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .map(|t| {
                    (
                        t["Key"].as_str().unwrap().to_string(),
                        t["Value"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Resource {
        id: id.to_string(),
        kind: "aws.rds.db-instance".to_string(),
        platform: Platform::Aws,
        name: id.rsplit('/').next().unwrap().to_string(),
        namespace: Some("eu-west-1".to_string()),
        labels,
        metrics,
        raw: raw.to_string(),
    }
}

/// The clean instance with `changes` merged into its raw object, and `metrics`.
pub fn instance(changes: Value, metrics: Vec<Metric>) -> Resource {
    resource(DB, &merged(clean_raw(), changes), metrics)
}

/// Runs the detector with a config pinning `today` to 2026-11-25.
pub fn run(resources: Vec<Resource>) -> DetectRun {
    run_with(r#"{"today": "2026-11-25"}"#, resources)
}

/// Runs the detector with a config.
pub fn run_with(config: &str, resources: Vec<Resource>) -> DetectRun {
    Harness::<AwsRdsMysql>::new()
        .config(config)
        .detect(resources)
        .expect("detect succeeds")
}

/// Rule ids of the findings, sorted.
pub fn rules(run: &DetectRun) -> Vec<String> {
    run.summary().into_iter().map(|(rule, _, _)| rule).collect()
}
