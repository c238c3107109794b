//! The configuration rules: availability, backups, exposure, encryption, engine support and
//! parameter groups, through the SDK harness.

use crate::common;

use aiops_sdk::Severity;
use aiops_sdk::testing::{change, hint_summary};
use common::*;
use serde_json::json;

#[test]
fn single_az_production_instance_is_flagged_by_either_tag_key() {
    for (key, value) in [
        ("environment", "production"),
        ("env", "PROD"),
        ("env", " prod "),
    ] {
        let raw = json!({"MultiAZ": false, "TagList": [{"Key": key, "Value": value}]});
        let run = run(vec![instance(raw, healthy_metrics())]);
        let f = run.only("single-az-production");
        assert_eq!(f.severity, Severity::Medium);
        assert_eq!(
            f.evidence_value("tag"),
            Some(format!("{key}={value}").as_str())
        );
        assert_eq!(change(f), ("/MultiAZ", Some("false"), "true"));
    }
}

#[test]
fn single_az_outside_production_is_fine() {
    for tags in [
        json!([{"Key": "environment", "Value": "staging"}]),
        json!([{"Key": "stage", "Value": "production"}]),
        json!([]),
    ] {
        let run = run(vec![instance(
            json!({"MultiAZ": false, "TagList": tags}),
            vec![],
        )]);
        assert!(run.findings.is_empty(), "{tags}: {:#?}", run.findings);
    }
    let multi = run(vec![instance(json!({"MultiAZ": true}), vec![])]);
    assert!(multi.findings.is_empty());
}

#[test]
fn production_tag_keys_and_values_are_configurable() {
    let raw = json!({"MultiAZ": false, "TagList": [{"Key": "stage", "Value": "live"}]});
    let config = r#"{"production_tag_keys": ["stage"], "production_tag_values": ["live"], "today": "2026-11-25"}"#;
    let run = run_with(config, vec![instance(raw.clone(), vec![])]);
    assert_eq!(rules(&run), ["aws.rds.single-az-production"]);
    // The default keys no longer count.
    let env_prod = json!({"MultiAZ": false, "TagList": [{"Key": "env", "Value": "prod"}]});
    assert!(
        run_with(config, vec![instance(env_prod, vec![])])
            .findings
            .is_empty()
    );
}

#[test]
fn labels_count_as_tags_when_the_tag_list_is_absent() {
    let mut r = instance(json!({"MultiAZ": false, "TagList": null}), vec![]);
    r.labels = vec![("env".into(), "prod".into())];
    assert_eq!(rules(&run(vec![r])), ["aws.rds.single-az-production"]);
}

#[test]
fn backup_retention_below_policy_is_medium_and_zero_is_high() {
    let three = run(vec![instance(json!({"BackupRetentionPeriod": 3}), vec![])]);
    let f = three.only("backup-retention");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(change(f), ("/BackupRetentionPeriod", Some("3"), "7"));
    assert_eq!(hint_summary(f), "backup_retention_period: 3 → 7");

    let zero = run(vec![instance(json!({"BackupRetentionPeriod": 0}), vec![])]);
    let f = zero.only("backup-retention");
    assert_eq!(f.severity, Severity::High);
    assert!(f.message.contains("automated backups disabled"));

    // Absent reads as 0.
    let absent = run(vec![instance(
        json!({"BackupRetentionPeriod": null}),
        vec![],
    )]);
    assert_eq!(absent.only("backup-retention").severity, Severity::High);
}

#[test]
fn backup_retention_at_the_policy_is_fine_and_the_policy_is_configurable() {
    assert!(
        run(vec![instance(json!({"BackupRetentionPeriod": 7}), vec![])])
            .findings
            .is_empty()
    );
    let config = r#"{"min_backup_retention_days": 14, "today": "2026-11-25"}"#;
    let run = run_with(config, vec![instance(json!({}), vec![])]);
    assert_eq!(
        change(run.only("backup-retention")),
        ("/BackupRetentionPeriod", Some("7"), "14")
    );
}

#[test]
fn publicly_accessible_instance_is_flagged() {
    let run = run(vec![instance(json!({"PubliclyAccessible": true}), vec![])]);
    let f = run.only("publicly-accessible");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(change(f), ("/PubliclyAccessible", Some("true"), "false"));
    assert_eq!(hint_summary(f), "publicly_accessible: true → false");
}

#[test]
fn unencrypted_storage_is_flagged_as_a_replacement() {
    let run = run(vec![instance(json!({"StorageEncrypted": false}), vec![])]);
    let f = run.only("storage-not-encrypted");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(change(f), ("/StorageEncrypted", Some("false"), "true"));
    assert!(hint_summary(f).starts_with("storage_encrypted: false → true (replaces the instance"));
}

#[test]
fn engine_version_is_judged_against_today_inclusive() {
    let mysql80 = || vec![instance(json!({"EngineVersion": "8.0.39"}), vec![])];
    let before = run_with(r#"{"today": "2026-07-30"}"#, mysql80());
    assert!(before.findings.is_empty());
    let on = run_with(r#"{"today": "2026-07-31"}"#, mysql80());
    let f = on.only("engine-end-of-support");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(
        f.evidence_value("end_of_standard_support"),
        Some("2026-07-31")
    );
    assert_eq!(f.evidence_value("today"), Some("2026-07-31"));
    assert_eq!(change(f), ("/EngineVersion", Some("\"8.0.39\""), "\"8.4\""));
    assert_eq!(
        hint_summary(f),
        "engine_version: 8.0.39 → 8.4, MySQL 8.0 standard support ended 2026-07-31 (major upgrade)"
    );
}

#[test]
fn mysql_57_is_upgraded_through_80_to_the_first_supported_line() {
    let early = run_with(
        r#"{"today": "2025-01-01"}"#,
        vec![instance(json!({"EngineVersion": "5.7.44"}), vec![])],
    );
    assert_eq!(
        change(early.only("engine-end-of-support")),
        ("/EngineVersion", Some("\"5.7.44\""), "\"8.0\"")
    );
    let late = run(vec![instance(json!({"EngineVersion": "5.7.44"}), vec![])]);
    assert_eq!(
        hint_summary(late.only("engine-end-of-support")),
        "engine_version: 5.7.44 → 8.4, MySQL 5.7 standard support ended 2024-02-29 (major upgrade, upgrading through 8.0 first)"
    );
}

#[test]
fn aurora_2_is_flagged_without_a_hint_and_aurora_3_is_fine() {
    let aurora = |version: &str| {
        vec![instance(
            json!({"Engine": "aurora-mysql", "EngineVersion": version, "DBInstanceClass": "db.r6g.large"}),
            vec![],
        )]
    };
    let two = run(aurora("5.7.mysql_aurora.2.11.2"));
    let f = two.only("engine-end-of-support");
    assert!(f.remediation.is_none());
    assert!(f.message.contains("Aurora MySQL 2 (5.7-compatible)"));
    assert!(run(aurora("8.0.mysql_aurora.3.05.2")).findings.is_empty());
}

#[test]
fn unknown_engine_versions_are_not_judged() {
    let run = run(vec![instance(json!({"EngineVersion": "9.1.0"}), vec![])]);
    assert!(run.findings.is_empty());
}

#[test]
fn wall_clock_is_used_without_a_configured_day() {
    // MySQL 5.6 ended in 2022: past on any machine running this test.
    let run = run_with(
        "{}",
        vec![instance(json!({"EngineVersion": "5.6.51"}), vec![])],
    );
    let f = run.only("engine-end-of-support");
    assert!(f.evidence_value("today").unwrap() >= "2026-01-01");
}

#[test]
fn default_parameter_group_is_flagged_without_a_hint() {
    let raw = json!({"DBParameterGroups": [
        {"DBParameterGroupName": "default.mysql8.4", "ParameterApplyStatus": "in-sync"}
    ]});
    let run = run(vec![instance(raw, vec![])]);
    let f = run.only("default-parameter-group");
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(
        f.evidence_value("parameter_group"),
        Some("default.mysql8.4")
    );
    assert!(f.remediation.is_none());
    let custom = json!({"DBParameterGroups": [{"DBParameterGroupName": "defaults-tuned"}]});
    assert!(
        common::run(vec![instance(custom, vec![])])
            .findings
            .is_empty()
    );
}

#[test]
fn every_problem_of_one_instance_is_reported() {
    let raw = json!({
        "EngineVersion": "5.7.44", "MultiAZ": false, "BackupRetentionPeriod": 0,
        "PubliclyAccessible": true, "StorageEncrypted": false, "MaxAllocatedStorage": null,
        "DBParameterGroups": [{"DBParameterGroupName": "default.mysql5.7"}]
    });
    let run = run(vec![instance(raw, vec![cpu(5.0), free_storage(2.0)])]);
    assert_eq!(
        rules(&run),
        [
            "aws.rds.backup-retention",
            "aws.rds.default-parameter-group",
            "aws.rds.engine-end-of-support",
            "aws.rds.free-storage-low",
            "aws.rds.publicly-accessible",
            "aws.rds.single-az-production",
            "aws.rds.storage-not-encrypted",
            "aws.rds.under-used",
        ]
    );
    assert!(run.findings.iter().all(|f| f.resource_id == DB));
}
