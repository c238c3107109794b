//! Input the detector must survive: malformed raw objects, transient streams, other kinds.

use crate::common;

use aiops_sdk::LogLevel;
use aws_kinesis_shards::AwsKinesisShards;
use common::*;
use serde_json::json;

#[test]
fn malformed_raw_is_skipped_with_a_warning_and_the_others_are_judged() {
    let mut not_json = stream(json!({}), vec![]);
    not_json.id = "aws/kinesis/eu-west-1/broken".into();
    not_json.raw = "[]".into();
    let no_shards = resource(
        "aws/kinesis/eu-west-1/no-shards",
        &merged(clean_raw(), json!({"OpenShardCount": null})),
        vec![bytes(0.0), records(0.0)],
    );
    let negative = resource(
        "aws/kinesis/eu-west-1/negative",
        &merged(clean_raw(), json!({"OpenShardCount": -2})),
        vec![],
    );
    let plain = stream(json!({"EncryptionType": "NONE"}), vec![]);
    let run = run(vec![not_json, no_shards, negative, plain]);

    assert_eq!(rules(&run), ["aws.kinesis.encryption-disabled"]);
    assert_eq!(run.findings[0].resource_id, STREAM);
    let warned: Vec<_> = run
        .logs
        .iter()
        .filter(|l| l.level == LogLevel::Warn)
        .map(|l| l.fields[0].1.as_str())
        .collect();
    assert_eq!(
        warned,
        [
            "aws/kinesis/eu-west-1/broken",
            "aws/kinesis/eu-west-1/no-shards",
            "aws/kinesis/eu-west-1/negative"
        ]
    );
    assert!(
        run.logs[1].fields[1].1.contains("OpenShardCount"),
        "{:?}",
        run.logs[1]
    );
}

#[test]
fn streams_being_created_or_deleted_are_skipped() {
    for status in ["CREATING", "DELETING"] {
        let run = run(vec![stream(
            json!({"StreamStatus": status, "EncryptionType": "NONE"}),
            vec![],
        )]);
        assert!(run.findings.is_empty(), "{status}");
        assert_eq!(run.logs[0].level, LogLevel::Debug);
    }
    let updating = run(vec![stream(
        json!({"StreamStatus": "UPDATING", "EncryptionType": "NONE"}),
        vec![],
    )]);
    assert_eq!(rules(&updating), ["aws.kinesis.encryption-disabled"]);
}

#[test]
fn survives_broken_input_and_never_judges_other_kinds() {
    let hot = stream(
        json!({"EncryptionType": "NONE"}),
        vec![bytes(0.0), records(0.0)],
    );
    aiops_sdk::testing::assert_robust::<AwsKinesisShards>(&[hot]);
}

#[test]
fn minimal_raw_object_is_judged() {
    let raw = json!({"StreamName": "bare", "OpenShardCount": 2});
    let run = run(vec![resource("aws/kinesis/eu-west-1/bare", &raw, vec![])]);
    // No EncryptionType reads as unencrypted; no retention is not judged.
    assert_eq!(rules(&run), ["aws.kinesis.encryption-disabled"]);
}
