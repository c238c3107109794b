//! Shard sizing and capacity mode rules, through the SDK harness.

use crate::common;

use aiops_sdk::Severity;
use aiops_sdk::testing::{changes, hint_summary};
use common::*;
use serde_json::json;

#[test]
fn clean_stream_has_no_findings() {
    let run = run(vec![stream(json!({}), healthy_metrics())]);
    assert!(run.findings.is_empty(), "{:#?}", run.findings);
    assert!(run.logs.is_empty());
}

#[test]
fn over_provisioned_stream_gets_fewer_shards() {
    let run = run(vec![stream(
        json!({"OpenShardCount": 8}),
        vec![bytes(0.3), records(900.0)],
    )]);
    assert_eq!(rules(&run), ["aws.kinesis.over-provisioned"]);
    let f = run.only("over-provisioned");
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(f.resource_id, STREAM);
    assert_eq!(changes(f), [("/OpenShardCount", Some("8"), "2")]);
    assert_eq!(
        hint_summary(f),
        "shard_count: 8 → 2, IncomingBytes p95 0.3 MiB/s, IncomingRecords p95 900 records/s over 14 days"
    );
    assert_eq!(f.evidence_value("utilisation_percent"), Some("11.2"));
    assert_eq!(f.evidence_value("proposed_shard_count"), Some("2"));
}

#[test]
fn over_provisioning_needs_both_metrics_below_the_threshold() {
    // 4 shards: 30% is 1.2 MiB/s and 1200 records/s; exactly 30% is not below.
    let at = run(vec![stream(json!({}), vec![bytes(0.1), records(1200.0)])]);
    assert!(at.findings.is_empty(), "{:#?}", at.findings);
    let below = run(vec![stream(json!({}), vec![bytes(0.1), records(1199.0)])]);
    assert_eq!(
        changes(below.only("over-provisioned")),
        [("/OpenShardCount", Some("4"), "2")]
    );
    let bytes_busy = run(vec![stream(json!({}), vec![bytes(1.3), records(10.0)])]);
    assert!(bytes_busy.findings.is_empty());
}

#[test]
fn over_provisioning_never_proposes_fewer_than_one_shard() {
    let idle = run(vec![stream(
        json!({"OpenShardCount": 3}),
        vec![bytes(0.0), records(0.0)],
    )]);
    assert_eq!(
        changes(idle.only("over-provisioned")),
        [("/OpenShardCount", Some("3"), "1")]
    );
    let single = run(vec![stream(
        json!({"OpenShardCount": 1}),
        vec![bytes(0.0), records(0.0)],
    )]);
    assert!(single.findings.is_empty());
}

#[test]
fn over_provisioning_follows_the_configured_utilisations() {
    let config = r#"{"low_utilisation": 0.5, "target_utilisation": 0.9, "high_utilisation": 0.95}"#;
    // 4 shards at 1.6 MiB/s: 40% — fine by default, over-provisioned below 50%.
    let metrics = || vec![bytes(1.6), records(100.0)];
    assert!(run(vec![stream(json!({}), metrics())]).findings.is_empty());
    let run = run_with(config, vec![stream(json!({}), metrics())]);
    assert_eq!(
        changes(run.only("over-provisioned")),
        [("/OpenShardCount", Some("4"), "2")]
    );
}

#[test]
fn missing_incoming_metrics_give_no_sizing_findings() {
    let none = run(vec![stream(json!({"OpenShardCount": 16}), vec![])]);
    assert!(none.findings.is_empty());
    let half = run(vec![stream(
        json!({"OpenShardCount": 16}),
        vec![bytes(0.1)],
    )]);
    assert!(half.findings.is_empty(), "{:#?}", half.findings);
    let mut no_p95 = records(10.0);
    no_p95.p95 = None;
    let partial = run(vec![stream(
        json!({"OpenShardCount": 16}),
        vec![bytes(0.1), no_p95],
    )]);
    assert!(partial.findings.is_empty(), "{:#?}", partial.findings);
}

#[test]
fn hot_stream_is_under_provisioned() {
    // 2 shards: 80% is 1.6 MiB/s; 1.8 MiB/s at a 0.6 target needs 3 shards.
    let run = run(vec![stream(
        json!({"OpenShardCount": 2}),
        vec![bytes(1.8), records(500.0)],
    )]);
    let f = run.only("under-provisioned");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(changes(f), [("/OpenShardCount", Some("2"), "3")]);
    assert_eq!(
        hint_summary(f),
        "shard_count: 2 → 3, IncomingBytes p95 1.8 MiB/s, IncomingRecords p95 500 records/s over 14 days"
    );
    assert_eq!(f.evidence_value("utilisation_percent"), Some("90.0"));
}

#[test]
fn under_provisioning_threshold_is_strict() {
    let at = run(vec![stream(
        json!({"OpenShardCount": 2}),
        vec![bytes(0.1), records(1600.0)],
    )]);
    assert!(at.findings.is_empty(), "{:#?}", at.findings);
    let above = run(vec![stream(
        json!({"OpenShardCount": 2}),
        vec![bytes(0.1), records(1601.0)],
    )]);
    assert_eq!(rules(&above), ["aws.kinesis.under-provisioned"]);
}

#[test]
fn write_throttling_alone_means_under_provisioned_and_the_peak_must_fit() {
    // 4 shards, p95 50%: not hot. Throttled with a 6 MiB/s peak: 6 shards carry it.
    let mut peaky = bytes(2.0);
    peaky.max = Some(6.0 * MIB);
    let run = run(vec![stream(
        json!({}),
        vec![peaky, records(100.0), write_throttled(12.0)],
    )]);
    let f = run.only("under-provisioned");
    assert_eq!(changes(f), [("/OpenShardCount", Some("4"), "6")]);
    assert_eq!(f.evidence_value("write_throttled_max"), Some("12"));
    assert!(
        f.message.contains("throttled writes (up to 12 per period)"),
        "{}",
        f.message
    );
    // Throttling without incoming metrics still proposes one more shard.
    let blind = common::run(vec![stream(json!({}), vec![write_throttled(3.0)])]);
    assert_eq!(
        changes(blind.only("under-provisioned")),
        [("/OpenShardCount", Some("4"), "5")]
    );
}

#[test]
fn throttled_streams_are_never_over_provisioned() {
    let run = run(vec![stream(
        json!({"OpenShardCount": 8}),
        vec![bytes(0.1), records(10.0), write_throttled(1.0)],
    )]);
    assert_eq!(rules(&run), ["aws.kinesis.under-provisioned"]);
}

#[test]
fn spiky_provisioned_stream_is_told_to_consider_on_demand() {
    let mut spiky = bytes(1.0);
    spiky.avg = Some(0.2 * MIB);
    spiky.max = Some(3.0 * MIB);
    let run = run(vec![stream(json!({}), vec![spiky, records(1500.0)])]);
    let f = run.only("consider-on-demand");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.evidence_value("max_to_avg"), Some("15.0"));
    assert_eq!(
        changes(f),
        [(
            "/StreamModeDetails/StreamMode",
            Some("\"PROVISIONED\""),
            "\"ON_DEMAND\""
        )]
    );
    assert_eq!(
        hint_summary(f),
        "stream_mode: PROVISIONED → ON_DEMAND, IncomingBytes max 15.0× average over 14 days"
    );
}

#[test]
fn spikiness_threshold_is_strict_and_configurable() {
    let with_ratio = |ratio: f64| {
        let mut m = records(1500.0);
        m.avg = Some(500.0);
        m.max = Some(500.0 * ratio);
        stream(json!({}), vec![bytes(1.0), m])
    };
    assert!(run(vec![with_ratio(4.0)]).findings.is_empty());
    assert_eq!(
        rules(&run(vec![with_ratio(4.1)])),
        ["aws.kinesis.consider-on-demand"]
    );
    assert!(
        run_with(r#"{"spiky_ratio": 5}"#, vec![with_ratio(4.5)])
            .findings
            .is_empty()
    );
    // A zero average is not a ratio.
    let mut flat = records(0.0);
    flat.max = Some(10.0);
    assert!(
        run(vec![stream(json!({}), vec![bytes(2.0), flat])])
            .findings
            .is_empty()
    );
}

#[test]
fn on_demand_streams_get_no_shard_or_mode_findings() {
    let mut spiky = bytes(0.1);
    spiky.avg = Some(0.01 * MIB);
    spiky.max = Some(9.0 * MIB);
    let run = run(vec![stream(
        json!({"StreamModeDetails": {"StreamMode": "ON_DEMAND"}, "OpenShardCount": 8}),
        vec![spiky, records(5.0), write_throttled(40.0)],
    )]);
    assert!(run.findings.is_empty(), "{:#?}", run.findings);
}

#[test]
fn a_stream_without_mode_details_is_provisioned() {
    let run = run(vec![stream(
        json!({"StreamModeDetails": null, "OpenShardCount": 8}),
        vec![bytes(0.1), records(10.0)],
    )]);
    assert_eq!(rules(&run), ["aws.kinesis.over-provisioned"]);
}
