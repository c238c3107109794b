//! The plugin's info and config: defaults, overrides and errors that name the key.

use crate::common;

use aiops_sdk::knobs::PluginConfig;
use aiops_sdk::testing::Harness;
use aiops_sdk::{Detector, Severity};
use aws_rds_mysql::AwsRdsMysql;
use aws_rds_mysql::config::Config;
use aws_rds_mysql::date::Day;
use common::*;
use serde_json::json;

#[test]
fn info_declares_the_kind_the_nine_rules_and_a_schema() {
    let info = AwsRdsMysql::info();
    assert_eq!(info.name, "aws-rds-mysql");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.kinds, ["aws.rds.db-instance"]);
    assert!(info.per_resource);
    let rules: Vec<_> = info
        .rules
        .iter()
        .map(|r| (r.id.as_str(), r.default_severity))
        .collect();
    assert_eq!(
        rules,
        [
            ("aws.rds.under-used", Severity::Medium),
            ("aws.rds.over-used", Severity::High),
            ("aws.rds.free-storage-low", Severity::High),
            ("aws.rds.single-az-production", Severity::Medium),
            ("aws.rds.backup-retention", Severity::Medium),
            ("aws.rds.publicly-accessible", Severity::High),
            ("aws.rds.storage-not-encrypted", Severity::Medium),
            ("aws.rds.engine-end-of-support", Severity::High),
            ("aws.rds.default-parameter-group", Severity::Low),
        ]
    );
    aiops_sdk::testing::assert_info_is_well_formed(&info);
    let keys = aiops_sdk::testing::schema_keys(&info);
    assert_eq!(
        keys,
        [
            "connections_ratio",
            "cpu_p95_high",
            "cpu_p95_low",
            "free_storage_ratio",
            "min_backup_retention_days",
            "production_tag_keys",
            "production_tag_values",
            "today"
        ]
    );
}

#[test]
fn empty_config_has_the_documented_defaults() {
    for text in ["", "{}", "  ", r#"{"today": null}"#] {
        let config = Config::parse(text).unwrap();
        assert_eq!(config, Config::default(), "{text:?}");
    }
    let d = Config::default();
    assert_eq!((d.cpu_p95_low, d.cpu_p95_high), (20.0, 80.0));
    assert_eq!((d.connections_ratio, d.free_storage_ratio), (0.8, 0.1));
    assert_eq!(d.min_backup_retention_days, 7);
    assert_eq!(d.production_tag_keys, ["environment", "env"]);
    assert_eq!(d.production_tag_values, ["production", "prod"]);
    assert_eq!(d.today, None);
}

#[test]
fn every_key_can_be_overridden() {
    let config = Config::parse(
        r#"{"cpu_p95_low": 10, "cpu_p95_high": 90, "connections_ratio": 0.5,
            "free_storage_ratio": 0.2, "min_backup_retention_days": 14,
            "production_tag_keys": ["stage"], "production_tag_values": ["live"],
            "today": "2030-01-01"}"#,
    )
    .unwrap();
    assert_eq!(
        config,
        Config {
            cpu_p95_low: 10.0,
            cpu_p95_high: 90.0,
            connections_ratio: 0.5,
            free_storage_ratio: 0.2,
            min_backup_retention_days: 14,
            production_tag_keys: vec!["stage".into()],
            production_tag_values: vec!["live".into()],
            today: Some(Day::ymd(2030, 1, 1)),
        }
    );
}

#[test]
fn invalid_config_is_an_error_naming_the_key() {
    let cases = [
        (r#"{"cpu_p95_low": "low"}"#, "`cpu_p95_low`"),
        (
            r#"{"cpu_p95_low": 120}"#,
            "`cpu_p95_low` must be between 0 and 100",
        ),
        (r#"{"cpu_p95_high": -1}"#, "`cpu_p95_high`"),
        (
            r#"{"cpu_p95_low": 50, "cpu_p95_high": 40}"#,
            "`cpu_p95_low` (50) must be below `cpu_p95_high` (40)",
        ),
        (
            r#"{"connections_ratio": 0}"#,
            "`connections_ratio` must be above 0",
        ),
        (r#"{"connections_ratio": 1.5}"#, "`connections_ratio`"),
        (r#"{"free_storage_ratio": "10%"}"#, "`free_storage_ratio`"),
        (
            r#"{"min_backup_retention_days": 0}"#,
            "`min_backup_retention_days`",
        ),
        (
            r#"{"min_backup_retention_days": 7.5}"#,
            "`min_backup_retention_days` must be a whole number",
        ),
        (r#"{"production_tag_keys": "env"}"#, "`production_tag_keys`"),
        (
            r#"{"production_tag_values": [1]}"#,
            "`production_tag_values`",
        ),
        (
            r#"{"today": "25/11/2026"}"#,
            "`today` must be a date as YYYY-MM-DD",
        ),
        (r#"{"today": "2026-02-30"}"#, "`today`"),
        (r#"{"cpu_low": 10}"#, "unknown key `cpu_low`"),
        (r#"[1, 2]"#, "expected a JSON object"),
        (r#"{"cpu_p95_low": "#, "invalid plugin config"),
    ];
    aiops_sdk::testing::assert_config_errors::<AwsRdsMysql>(&[instance(json!({}), vec![])], &cases);
}

#[test]
fn an_invalid_config_fails_even_an_empty_batch() {
    let err = Harness::<AwsRdsMysql>::new()
        .config(r#"{"today": "soon"}"#)
        .detect(vec![])
        .unwrap_err();
    assert!(err.contains("`today`"), "{err}");
}
