//! Kinesis fixes: shard count, capacity mode, retention and encryption, byte for byte.

use crate::common;

use common::*;
use serde_json::json;

const STREAMS: &str = r#"resource "aws_kinesis_stream" "audit_log" {
  name = "audit-log"
  # Four shards cover the nightly export.
  shard_count      = 4 # see runbook
  retention_period = 24
  encryption_type  = "NONE"

  tags = {
    team = "security"
  }
}

resource "aws_kinesis_stream" "clicks" {
  name             = "clicks"
  shard_count      = 8
  retention_period = 72

  stream_mode_details {
    stream_mode = "PROVISIONED"
  }
}
"#;

#[test]
fn shard_count_changes_in_place() {
    let f = finding(
        "aws.kinesis.over-provisioned",
        &stream("clicks"),
        &[("/OpenShardCount", Some(json!(8)), json!(2))],
    );
    assert_eq!(
        fixed(&f, &stream("clicks"), "kinesis.tf", STREAMS),
        STREAMS.replace("  shard_count      = 8\n", "  shard_count      = 2\n")
    );
}

#[test]
fn on_demand_adds_the_mode_block_and_removes_shard_count() {
    let f = finding(
        "aws.kinesis.consider-on-demand",
        &stream("audit-log"),
        &[(
            "/StreamModeDetails/StreamMode",
            Some(json!("PROVISIONED")),
            json!("ON_DEMAND"),
        )],
    );
    let expected = r#"resource "aws_kinesis_stream" "audit_log" {
  name = "audit-log"
  # Four shards cover the nightly export.
  retention_period = 24
  encryption_type  = "NONE"

  tags = {
    team = "security"
  }

  stream_mode_details {
    stream_mode = "ON_DEMAND"
  }
}
"#;
    let out = fixed(&f, &stream("audit-log"), "kinesis.tf", STREAMS);
    assert_eq!(
        out,
        STREAMS.replacen(&STREAMS[..STREAMS.find("\n}\n").unwrap() + 3], expected, 1)
    );
}

#[test]
fn on_demand_sets_an_existing_mode_block() {
    let f = finding(
        "aws.kinesis.consider-on-demand",
        &stream("clicks"),
        &[(
            "/StreamModeDetails/StreamMode",
            Some(json!("PROVISIONED")),
            json!("ON_DEMAND"),
        )],
    );
    assert_eq!(
        fixed(&f, &stream("clicks"), "kinesis.tf", STREAMS),
        STREAMS
            .replace("  shard_count      = 8\n", "")
            .replace("\"PROVISIONED\"", "\"ON_DEMAND\"")
    );
}

#[test]
fn retention_and_encryption_set_and_add_attributes() {
    let f = finding(
        "aws.kinesis.retention-below-policy",
        &stream("clicks"),
        &[("/RetentionPeriodHours", Some(json!(72)), json!(168))],
    );
    assert_eq!(
        fixed(&f, &stream("clicks"), "kinesis.tf", STREAMS),
        STREAMS.replace("retention_period = 72", "retention_period = 168")
    );
    let f = finding(
        "aws.kinesis.encryption-disabled",
        &stream("audit-log"),
        &[
            ("/EncryptionType", Some(json!("NONE")), json!("KMS")),
            ("/KeyId", None, json!("alias/aws/kinesis")),
        ],
    );
    assert_eq!(
        fixed(&f, &stream("audit-log"), "kinesis.tf", STREAMS),
        STREAMS.replace(
            "  encryption_type  = \"NONE\"\n",
            "  encryption_type  = \"KMS\"\n  kms_key_id       = \"alias/aws/kinesis\"\n"
        )
    );
}

#[test]
fn absent_retention_is_added_after_shard_count() {
    let text = STREAMS.replace("  retention_period = 72\n", "");
    let f = finding(
        "aws.kinesis.retention-below-policy",
        &stream("clicks"),
        &[("/RetentionPeriodHours", Some(json!(24)), json!(48))],
    );
    assert_eq!(
        fixed(&f, &stream("clicks"), "kinesis.tf", &text),
        STREAMS.replace("  retention_period = 72\n", "  retention_period = 48\n")
    );
}

#[test]
fn shard_count_of_an_on_demand_stream_in_the_file_cannot_be_fixed() {
    let text = STREAMS.replace("\"PROVISIONED\"", "\"ON_DEMAND\"");
    let f = finding(
        "aws.kinesis.under-provisioned",
        &stream("clicks"),
        &[("/OpenShardCount", Some(json!(8)), json!(10))],
    );
    assert_eq!(
        cannot(&f, &stream("clicks"), &[("kinesis.tf", &text)]),
        "`aws_kinesis_stream.clicks` (kinesis.tf:13) is an ON_DEMAND stream in the file: \
         shard_count does not apply"
    );
}

#[test]
fn computed_stream_mode_cannot_be_fixed() {
    let text = STREAMS.replace("\"PROVISIONED\"", "var.clicks_mode");
    let f = finding(
        "aws.kinesis.consider-on-demand",
        &stream("clicks"),
        &[(
            "/StreamModeDetails/StreamMode",
            Some(json!("PROVISIONED")),
            json!("ON_DEMAND"),
        )],
    );
    assert_eq!(
        cannot(&f, &stream("clicks"), &[("kinesis.tf", &text)]),
        "stream_mode of `aws_kinesis_stream.clicks` (kinesis.tf:19) is set by the variable \
         `var.clicks_mode`, not a literal: change it where that value is defined"
    );
}
