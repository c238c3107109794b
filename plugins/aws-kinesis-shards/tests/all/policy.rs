//! Consumer lag, retention and encryption rules, through the SDK harness.

use crate::common;

use aiops_sdk::Severity;
use aiops_sdk::testing::{changes, hint_summary};
use common::*;
use serde_json::json;

#[test]
fn high_iterator_age_is_flagged_strictly_above_the_limit() {
    let at = run(vec![stream(json!({}), vec![iterator_age(60_000.0, &[])])]);
    assert!(at.findings.is_empty());
    let above = run(vec![stream(json!({}), vec![iterator_age(60_001.0, &[])])]);
    let f = above.only("iterator-age-growing");
    assert_eq!(f.severity, Severity::Medium);
    assert!(f.remediation.is_none());
    assert_eq!(f.evidence_value("iterator_age_p95_ms"), Some("60001"));
    assert_eq!(f.evidence_value("rising"), Some("false"));
    let relaxed = run_with(
        r#"{"max_iterator_age_ms": 120000}"#,
        vec![stream(json!({}), vec![iterator_age(90_000.0, &[])])],
    );
    assert!(relaxed.findings.is_empty());
}

#[test]
fn rising_iterator_age_is_flagged_below_the_limit() {
    let points = [2_000.0, 3_000.0, 9_000.0, 20_000.0, 41_000.0, 60_000.0];
    let run = run(vec![stream(
        json!({}),
        vec![iterator_age(45_000.0, &points)],
    )]);
    let f = run.only("iterator-age-growing");
    assert_eq!(f.evidence_value("rising"), Some("true"));
    assert_eq!(f.evidence_value("iterator_age_last_ms"), Some("60000"));
    assert!(
        f.message
            .contains("an iterator age rising from 2 s to 60 s over 14 days"),
        "{}",
        f.message
    );
}

#[test]
fn flat_noisy_or_short_iterator_series_are_not_rising() {
    for points in [
        vec![5_000.0, 5_200.0, 4_900.0, 5_100.0],    // flat
        vec![0.0, 0.0, 100.0, 900.0],                // rising but under a second
        vec![1_000.0, 9_000.0, 30_000.0],            // too few points
        vec![40_000.0, 20_000.0, 10_000.0, 5_000.0], // falling
    ] {
        let run = run(vec![stream(
            json!({}),
            vec![iterator_age(10_000.0, &points)],
        )]);
        assert!(run.findings.is_empty(), "{points:?}: {:#?}", run.findings);
    }
}

#[test]
fn read_throttling_is_evidence_of_lag() {
    let read = metric("ReadProvisionedThroughputExceeded", "count", 1.0, 25.0, 4.0);
    let run = run(vec![stream(
        json!({}),
        vec![iterator_age(90_000.0, &[]), read],
    )]);
    assert_eq!(
        run.only("iterator-age-growing")
            .evidence_value("read_throttled_max"),
        Some("25")
    );
}

#[test]
fn retention_below_policy_is_raised_to_the_minimum() {
    let default = run(vec![stream(json!({"RetentionPeriodHours": 24}), vec![])]);
    assert!(
        default.findings.is_empty(),
        "24 hours meets the default policy"
    );
    let config = r#"{"min_retention_hours": 168}"#;
    let run = run_with(
        config,
        vec![stream(json!({"RetentionPeriodHours": 48}), vec![])],
    );
    let f = run.only("retention-below-policy");
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(changes(f), [("/RetentionPeriodHours", Some("48"), "168")]);
    assert_eq!(hint_summary(f), "retention_period: 48 → 168");
    let at = run_with(
        config,
        vec![stream(json!({"RetentionPeriodHours": 168}), vec![])],
    );
    assert!(at.findings.is_empty());
    let absent = run_with(
        config,
        vec![stream(json!({"RetentionPeriodHours": null}), vec![])],
    );
    assert!(
        absent.findings.is_empty(),
        "an unknown retention is not judged"
    );
}

#[test]
fn unencrypted_stream_gets_kms_with_the_configured_key() {
    let raw = json!({"EncryptionType": "NONE", "KeyId": null});
    let run = run(vec![stream(raw.clone(), vec![])]);
    let f = run.only("encryption-disabled");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(
        changes(f),
        [
            ("/EncryptionType", Some("\"NONE\""), "\"KMS\""),
            ("/KeyId", None, "\"alias/aws/kinesis\""),
        ]
    );
    assert_eq!(
        hint_summary(f),
        "encryption_type: NONE → KMS, kms_key_id: alias/aws/kinesis"
    );
    let custom = run_with(
        r#"{"kms_key_id": "alias/streams"}"#,
        vec![stream(raw, vec![])],
    );
    assert_eq!(
        changes(custom.only("encryption-disabled"))[1].2,
        "\"alias/streams\""
    );
    let absent = common::run(vec![stream(
        json!({"EncryptionType": null, "KeyId": null}),
        vec![],
    )]);
    assert_eq!(changes(absent.only("encryption-disabled"))[0].1, None);
}
