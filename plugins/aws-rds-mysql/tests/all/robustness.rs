//! Input the detector must survive: malformed raw objects, other engines, other kinds.

use crate::common;

use aiops_sdk::LogLevel;
use aws_rds_mysql::AwsRdsMysql;
use common::*;
use serde_json::json;

#[test]
fn malformed_raw_is_skipped_with_a_warning_and_the_others_are_judged() {
    let mut not_json = instance(json!({}), vec![]);
    not_json.id = "aws/rds/eu-west-1/broken".into();
    not_json.raw = "{not json".into();
    let wrong_type = resource(
        "aws/rds/eu-west-1/typed-wrong",
        &merged(clean_raw(), json!({"MultiAZ": "yes"})),
        vec![],
    );
    let missing_class = resource(
        "aws/rds/eu-west-1/no-class",
        &merged(clean_raw(), json!({"DBInstanceClass": null})),
        vec![],
    );
    let public = instance(json!({"PubliclyAccessible": true}), vec![]);
    let run = run(vec![not_json, wrong_type, missing_class, public]);

    assert_eq!(rules(&run), ["aws.rds.publicly-accessible"]);
    assert_eq!(run.findings[0].resource_id, DB);
    let warned: Vec<_> = run
        .logs
        .iter()
        .filter(|l| l.level == LogLevel::Warn)
        .map(|l| l.fields[0].1.as_str())
        .collect();
    assert_eq!(
        warned,
        [
            "aws/rds/eu-west-1/broken",
            "aws/rds/eu-west-1/typed-wrong",
            "aws/rds/eu-west-1/no-class"
        ]
    );
    let first = &run.logs[0];
    assert_eq!(
        first.message,
        "skipping a resource whose raw object cannot be read"
    );
    assert_eq!(first.fields[1].0, "error");
    assert!(
        first.fields[1].1.contains("aws/rds/eu-west-1/broken"),
        "{:?}",
        first.fields
    );
}

#[test]
fn other_engines_are_skipped_with_a_debug_line() {
    let postgres = instance(
        json!({"Engine": "postgres", "EngineVersion": "11.22", "PubliclyAccessible": true}),
        vec![cpu(2.0)],
    );
    let run = run(vec![postgres]);
    assert!(run.findings.is_empty());
    assert_eq!(run.logs.len(), 1);
    assert_eq!(run.logs[0].level, LogLevel::Debug);
    assert_eq!(
        run.logs[0].fields[1],
        ("engine".to_string(), "postgres".to_string())
    );
}

#[test]
fn survives_broken_input_and_never_judges_other_kinds() {
    let busy = instance(json!({"PubliclyAccessible": true}), vec![cpu(95.0)]);
    aiops_sdk::testing::assert_robust::<AwsRdsMysql>(&[busy]);
}

#[test]
fn minimal_raw_object_is_judged_with_aws_defaults() {
    let raw = json!({
        "DBInstanceIdentifier": "bare", "DBInstanceClass": "db.t4g.small",
        "Engine": "mysql", "EngineVersion": "8.4.2"
    });
    let run = run(vec![resource("aws/rds/eu-west-1/bare", &raw, vec![])]);
    // Absent booleans read false and the retention 0; no tags, so Multi-AZ is not required.
    assert_eq!(
        rules(&run),
        ["aws.rds.backup-retention", "aws.rds.storage-not-encrypted"]
    );
}
