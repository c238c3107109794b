//! Helpers shared by the integration tests: a clean stream to vary, metrics, assertions.
#![allow(dead_code)]

use aiops_sdk::testing::{DetectRun, Harness};
use aiops_sdk::{Metric, Platform, Resource};
use aws_kinesis_shards::AwsKinesisShards;
use serde_json::{Value, json};

/// Resource id of [`stream`].
pub const STREAM: &str = "aws/kinesis/eu-west-1/events";

/// Fourteen days, the usual CloudWatch window.
pub const WINDOW: u64 = 14 * 86_400;

/// One MiB.
pub const MIB: f64 = 1_048_576.0;

/// The raw summary of a stream no rule flags: provisioned, 4 shards, 24 h, KMS.
pub fn clean_raw() -> Value {
    json!({
        "StreamName": "events",
        "StreamARN": "arn:aws:kinesis:eu-west-1:123456789012:stream/events",
        "StreamStatus": "ACTIVE",
        "StreamModeDetails": {"StreamMode": "PROVISIONED"},
        "OpenShardCount": 4,
        "RetentionPeriodHours": 24,
        "EncryptionType": "KMS",
        "KeyId": "alias/aws/kinesis",
        "ConsumerCount": 1
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

/// IncomingBytes with a `p95` in MiB/s (average 0.8 × p95, max 1.5 × p95).
pub fn bytes(p95_mib: f64) -> Metric {
    let p95 = p95_mib * MIB;
    metric("IncomingBytes", "bytes/s", p95 * 0.8, p95 * 1.5, p95)
}

/// IncomingRecords with a `p95` in records/s (average 0.8 × p95, max 1.5 × p95).
pub fn records(p95: f64) -> Metric {
    metric("IncomingRecords", "records/s", p95 * 0.8, p95 * 1.5, p95)
}

/// WriteProvisionedThroughputExceeded with this maximum (and 0 p95 and average).
pub fn write_throttled(max: f64) -> Metric {
    metric("WriteProvisionedThroughputExceeded", "count", 0.0, max, 0.0)
}

/// GetRecords.IteratorAgeMilliseconds with this p95 and points.
pub fn iterator_age(p95: f64, points: &[f64]) -> Metric {
    let mut m = metric(
        "GetRecords.IteratorAgeMilliseconds",
        "ms",
        p95 / 2.0,
        p95 * 2.0,
        p95,
    );
    m.points = points
        .iter()
        .enumerate()
        .map(|(i, &v)| (1_763_000_000_000 + i as i64 * 3_600_000, v))
        .collect();
    m
}

/// Metrics at about half the capacity of 4 shards, nothing spiky, consumers keeping up.
pub fn healthy_metrics() -> Vec<Metric> {
    vec![
        bytes(2.0),
        records(2000.0),
        write_throttled(0.0),
        iterator_age(500.0, &[]),
    ]
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

/// The envelope of a stream with `raw` and `metrics`.
pub fn resource(id: &str, raw: &Value, metrics: Vec<Metric>) -> Resource {
    Resource {
        id: id.to_string(),
        kind: "aws.kinesis.stream".to_string(),
        platform: Platform::Aws,
        name: id.rsplit('/').next().unwrap().to_string(),
        namespace: Some("eu-west-1".to_string()),
        labels: vec![],
        metrics,
        raw: raw.to_string(),
    }
}

/// The clean stream with `changes` merged into its raw object, and `metrics`.
pub fn stream(changes: Value, metrics: Vec<Metric>) -> Resource {
    resource(STREAM, &merged(clean_raw(), changes), metrics)
}

/// Runs the detector with the default config.
pub fn run(resources: Vec<Resource>) -> DetectRun {
    run_with("{}", resources)
}

/// Runs the detector with a config.
pub fn run_with(config: &str, resources: Vec<Resource>) -> DetectRun {
    Harness::<AwsKinesisShards>::new()
        .config(config)
        .detect(resources)
        .expect("detect succeeds")
}

/// Rule ids of the findings, sorted.
pub fn rules(run: &DetectRun) -> Vec<String> {
    run.summary().into_iter().map(|(rule, _, _)| rule).collect()
}
