//! The plugin's info and config: defaults, overrides and errors that name the key.

use crate::common;

use aiops_sdk::knobs::PluginConfig;
use aiops_sdk::{Detector, Severity};
use aws_kinesis_shards::AwsKinesisShards;
use aws_kinesis_shards::config::Config;
use common::*;
use serde_json::json;

#[test]
fn info_declares_the_kind_the_six_rules_and_a_schema() {
    let info = AwsKinesisShards::info();
    assert_eq!(info.name, "aws-kinesis-shards");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.kinds, ["aws.kinesis.stream"]);
    assert!(info.per_resource);
    let rules: Vec<_> = info
        .rules
        .iter()
        .map(|r| (r.id.as_str(), r.default_severity))
        .collect();
    assert_eq!(
        rules,
        [
            ("aws.kinesis.over-provisioned", Severity::Low),
            ("aws.kinesis.under-provisioned", Severity::High),
            ("aws.kinesis.iterator-age-growing", Severity::Medium),
            ("aws.kinesis.consider-on-demand", Severity::Medium),
            ("aws.kinesis.retention-below-policy", Severity::Low),
            ("aws.kinesis.encryption-disabled", Severity::Medium),
        ]
    );
    aiops_sdk::testing::assert_info_is_well_formed(&info);
    let keys = aiops_sdk::testing::schema_keys(&info);
    assert_eq!(
        keys,
        [
            "high_utilisation",
            "kms_key_id",
            "low_utilisation",
            "max_iterator_age_ms",
            "min_retention_hours",
            "spiky_ratio",
            "target_utilisation"
        ]
    );
}

#[test]
fn empty_config_has_the_documented_defaults() {
    for text in ["", "{}", r#"{"spiky_ratio": null}"#] {
        assert_eq!(Config::parse(text).unwrap(), Config::default(), "{text:?}");
    }
    let d = Config::default();
    assert_eq!(
        (d.low_utilisation, d.target_utilisation, d.high_utilisation),
        (0.3, 0.6, 0.8)
    );
    assert_eq!(d.max_iterator_age_ms, 60_000.0);
    assert_eq!(d.spiky_ratio, 4.0);
    assert_eq!(d.min_retention_hours, 24);
    assert_eq!(d.kms_key_id, "alias/aws/kinesis");
}

#[test]
fn every_key_can_be_overridden() {
    let config = Config::parse(
        r#"{"low_utilisation": 0.2, "target_utilisation": 0.5, "high_utilisation": 0.9,
            "max_iterator_age_ms": 30000, "spiky_ratio": 6, "min_retention_hours": 168,
            "kms_key_id": "alias/streams"}"#,
    )
    .unwrap();
    assert_eq!(
        config,
        Config {
            low_utilisation: 0.2,
            target_utilisation: 0.5,
            high_utilisation: 0.9,
            max_iterator_age_ms: 30_000.0,
            spiky_ratio: 6.0,
            min_retention_hours: 168,
            kms_key_id: "alias/streams".into(),
        }
    );
}

#[test]
fn invalid_config_is_an_error_naming_the_key() {
    let cases = [
        (r#"{"low_utilisation": "low"}"#, "`low_utilisation`"),
        (
            r#"{"low_utilisation": 0}"#,
            "`low_utilisation` must be above 0",
        ),
        (
            r#"{"high_utilisation": 1.2}"#,
            "`high_utilisation` must be between 0 and 1",
        ),
        (
            r#"{"target_utilisation": 0.2}"#,
            "`target_utilisation` (0.2) must be above `low_utilisation` (0.3)",
        ),
        (
            r#"{"target_utilisation": 0.9}"#,
            "at most `high_utilisation` (0.8)",
        ),
        (
            r#"{"max_iterator_age_ms": 0}"#,
            "`max_iterator_age_ms` must be above 0",
        ),
        (r#"{"max_iterator_age_ms": "1m"}"#, "`max_iterator_age_ms`"),
        (r#"{"spiky_ratio": 0.5}"#, "`spiky_ratio`"),
        (
            r#"{"min_retention_hours": 12}"#,
            "`min_retention_hours` must be between 24 and 8760",
        ),
        (
            r#"{"min_retention_hours": 36.5}"#,
            "`min_retention_hours` must be a whole number",
        ),
        (r#"{"kms_key_id": ""}"#, "`kms_key_id` must not be empty"),
        (r#"{"kms_key_id": 7}"#, "`kms_key_id`"),
        (r#"{"shards": 2}"#, "unknown key `shards`"),
        (r#""strict""#, "expected a JSON object"),
    ];
    aiops_sdk::testing::assert_config_errors::<AwsKinesisShards>(
        &[stream(json!({}), vec![])],
        &cases,
    );
}

#[test]
fn schema_matches_the_defaults() {
    aiops_sdk::testing::assert_schema_matches_defaults(&Config::schema(), Config::parse);
}
