//! The metric rules: under-used, over-used and free storage, through the SDK harness.

use crate::common;

use aiops_sdk::Severity;
use aiops_sdk::testing::{change, hint_summary};
use common::*;
use serde_json::json;

#[test]
fn clean_instance_has_no_findings() {
    let run = run(vec![instance(json!({}), healthy_metrics())]);
    assert!(run.findings.is_empty(), "{:#?}", run.findings);
    assert!(run.logs.is_empty());
}

#[test]
fn under_used_instance_gets_the_next_smaller_class() {
    let run = run(vec![instance(
        json!({}),
        vec![cpu(9.0), connections(100.0), free_storage(60.0)],
    )]);
    assert_eq!(rules(&run), ["aws.rds.under-used"]);
    let f = run.only("under-used");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.resource_id, DB);
    assert_eq!(
        f.message,
        "RDS instance `shop-db` (db.r5.2xlarge) has a CPU p95 of 9% over 14 days, below the 20% threshold."
    );
    assert_eq!(f.evidence_value("cpu_p95_percent"), Some("9"));
    assert_eq!(f.evidence_value("window"), Some("14 days"));
    assert_eq!(f.evidence_value("proposed_class"), Some("db.r5.xlarge"));
    assert_eq!(
        change(f),
        (
            "/DBInstanceClass",
            Some("\"db.r5.2xlarge\""),
            "\"db.r5.xlarge\""
        )
    );
    assert_eq!(
        hint_summary(f),
        "instance_class: db.r5.2xlarge → db.r5.xlarge, CPU p95 9% over 14 days"
    );
}

#[test]
fn under_used_threshold_is_strict() {
    let at = run(vec![instance(json!({}), vec![cpu(20.0)])]);
    assert!(at.findings.is_empty());
    let below = run(vec![instance(json!({}), vec![cpu(19.9)])]);
    assert_eq!(rules(&below), ["aws.rds.under-used"]);
}

#[test]
fn under_used_respects_a_configured_threshold() {
    let run = run_with(
        r#"{"cpu_p95_low": 35, "today": "2026-11-25"}"#,
        vec![instance(json!({}), vec![cpu(30.0)])],
    );
    assert_eq!(
        run.only("under-used").evidence_value("cpu_p95_low"),
        Some("35")
    );
}

#[test]
fn smallest_class_of_a_family_is_not_under_used() {
    let run = run(vec![instance(
        json!({"DBInstanceClass": "db.t3.micro"}),
        vec![cpu(2.0)],
    )]);
    assert!(run.findings.is_empty(), "{:#?}", run.findings);
}

#[test]
fn unknown_class_is_reported_without_a_hint() {
    let run = run(vec![instance(
        json!({"DBInstanceClass": "db.x2g.large"}),
        vec![cpu(5.0)],
    )]);
    let f = run.only("under-used");
    assert!(f.remediation.is_none());
    assert_eq!(f.evidence_value("proposed_class"), None);
}

#[test]
fn no_downsize_when_the_smaller_class_would_be_over_used() {
    // db.t3.xlarge → db.t3.large halves the vCPUs: a 19% p95 becomes 38%, over a high
    // threshold of 30, so the smaller class is not proposed.
    let config = r#"{"cpu_p95_high": 30, "today": "2026-11-25"}"#;
    let t3 = instance(json!({"DBInstanceClass": "db.t3.xlarge"}), vec![cpu(19.0)]);
    assert!(run_with(config, vec![t3.clone()]).findings.is_empty());
    assert_eq!(rules(&run(vec![t3])), ["aws.rds.under-used"]);
    // Connections: db.r5.large allows about 1365, db.r5.xlarge 2730; 1200 > 0.8 × 1365.
    let busy = instance(
        json!({"DBInstanceClass": "db.r5.xlarge"}),
        vec![cpu(5.0), connections(1200.0)],
    );
    assert!(run(vec![busy]).findings.is_empty());
}

#[test]
fn over_used_cpu_gets_the_next_larger_class() {
    let run = run(vec![instance(
        json!({"DBInstanceClass": "db.m5.large"}),
        vec![cpu(85.0), connections(100.0)],
    )]);
    let f = run.only("over-used");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(
        change(f),
        (
            "/DBInstanceClass",
            Some("\"db.m5.large\""),
            "\"db.m5.xlarge\""
        )
    );
    assert_eq!(
        hint_summary(f),
        "instance_class: db.m5.large → db.m5.xlarge, CPU p95 85% over 14 days"
    );
    assert_eq!(f.evidence_value("max_connections_estimate"), Some("682"));
}

#[test]
fn over_used_cpu_threshold_is_strict() {
    assert!(
        run(vec![instance(json!({}), vec![cpu(80.0)])])
            .findings
            .is_empty()
    );
    assert_eq!(
        rules(&run(vec![instance(json!({}), vec![cpu(80.1)])])),
        ["aws.rds.over-used"]
    );
}

#[test]
fn connections_near_the_class_maximum_are_over_use() {
    // db.m5.large: about 682 connections; 0.8 of that is 545.6.
    let class = json!({"DBInstanceClass": "db.m5.large"});
    let below = run(vec![instance(
        class.clone(),
        vec![cpu(40.0), connections(545.0)],
    )]);
    assert!(below.findings.is_empty(), "{:#?}", below.findings);
    let above = run(vec![instance(
        class.clone(),
        vec![cpu(40.0), connections(546.0)],
    )]);
    let f = above.only("over-used");
    assert_eq!(
        hint_summary(f),
        "instance_class: db.m5.large → db.m5.xlarge, connections p95 546 over 14 days"
    );
    assert!(
        f.message
            .contains("a connections p95 of 546 (above 0.8 of the estimated 682 maximum)")
    );
    let relaxed = run_with(
        r#"{"connections_ratio": 0.9, "today": "2026-11-25"}"#,
        vec![instance(class, vec![cpu(40.0), connections(546.0)])],
    );
    assert!(relaxed.findings.is_empty());
}

#[test]
fn largest_or_unknown_class_is_over_used_without_a_hint() {
    for class in ["db.r6g.16xlarge", "db.x2g.large"] {
        let run = run(vec![instance(
            json!({"DBInstanceClass": class}),
            vec![cpu(95.0)],
        )]);
        assert!(run.only("over-used").remediation.is_none(), "{class}");
    }
}

#[test]
fn free_storage_below_the_ratio_without_autoscaling_is_flagged() {
    let no_autoscaling = json!({"MaxAllocatedStorage": null});
    let run = run(vec![instance(
        no_autoscaling.clone(),
        vec![free_storage(8.0)],
    )]);
    let f = run.only("free-storage-low");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.evidence_value("free_percent"), Some("8"));
    assert_eq!(change(f), ("/MaxAllocatedStorage", None, "200"));
    assert_eq!(
        hint_summary(f),
        "max_allocated_storage: unset → 200, free storage 8 GiB of 100 GiB (8%)"
    );
    // Exactly 10% is fine; a configured 5% ratio accepts 8%.
    assert!(
        common::run(vec![instance(
            no_autoscaling.clone(),
            vec![free_storage(10.0)]
        )])
        .findings
        .is_empty()
    );
    let relaxed = run_with(
        r#"{"free_storage_ratio": 0.05, "today": "2026-11-25"}"#,
        vec![instance(no_autoscaling, vec![free_storage(8.0)])],
    );
    assert!(relaxed.findings.is_empty());
}

#[test]
fn free_storage_uses_the_latest_point_when_there_are_points() {
    let mut m = free_storage(50.0);
    m.points = vec![(1, 50.0 * GIB), (2, 20.0 * GIB), (3, 5.0 * GIB)];
    let run = run(vec![instance(
        json!({"MaxAllocatedStorage": null}),
        vec![m],
    )]);
    assert_eq!(
        run.only("free-storage-low")
            .evidence_value("free_storage_gib"),
        Some("5")
    );
}

#[test]
fn storage_autoscaling_silences_low_free_storage() {
    let on = instance(json!({}), vec![free_storage(1.0)]);
    assert!(run(vec![on]).findings.is_empty());
    // A maximum equal to the allocation scales nothing.
    let equal = instance(json!({"MaxAllocatedStorage": 100}), vec![free_storage(1.0)]);
    let f = run(vec![equal]);
    assert_eq!(
        change(f.only("free-storage-low")),
        ("/MaxAllocatedStorage", Some("100"), "200")
    );
}

#[test]
fn aurora_storage_is_not_judged() {
    let aurora = instance(
        json!({"Engine": "aurora-mysql", "EngineVersion": "8.0.mysql_aurora.3.05.2",
               "AllocatedStorage": 1, "MaxAllocatedStorage": null}),
        vec![free_storage(0.01)],
    );
    assert!(run(vec![aurora]).findings.is_empty());
}

#[test]
fn missing_metrics_give_no_sizing_findings() {
    let raw = json!({"MaxAllocatedStorage": null, "DBInstanceClass": "db.m5.large"});
    let none = run(vec![instance(raw.clone(), vec![])]);
    assert!(none.findings.is_empty(), "{:#?}", none.findings);
    // Summaries without a p95 or an average are not judged either.
    let mut bare = cpu(5.0);
    bare.p95 = None;
    let mut empty_storage = free_storage(1.0);
    empty_storage.avg = None;
    let partial = run(vec![instance(raw, vec![bare, empty_storage])]);
    assert!(partial.findings.is_empty(), "{:#?}", partial.findings);
}
