//! The detector on `local-dev/inventory/aws.json` yields exactly the list in its `EXPECTED.md`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use aiops_sdk::Detector;
use aiops_sdk::testing::{Harness, findings_table, resources_from_snapshot};
use aws_kinesis_shards::AwsKinesisShards;

fn inventory_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../local-dev/inventory")
}

/// The plugin config `EXPECTED.md` documents for this detector.
const FIXTURE_CONFIG: &str = r#"{"min_retention_hours": 48}"#;

#[test]
fn fixture_inventory_yields_exactly_the_expected_findings() {
    let text = fs::read_to_string(inventory_dir().join("aws.json")).unwrap();
    let expected_md = fs::read_to_string(inventory_dir().join("EXPECTED.md")).unwrap();
    assert!(expected_md.contains(FIXTURE_CONFIG));

    let run = Harness::<AwsKinesisShards>::new()
        .config(FIXTURE_CONFIG)
        .detect(resources_from_snapshot(&text))
        .unwrap();
    assert_eq!(run.table(), findings_table(&expected_md, "aws.kinesis."));
    assert!(run.logs.is_empty(), "{:?}", run.logs);

    let fired: BTreeSet<_> = run.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(
        fired.len(),
        AwsKinesisShards::info().rules.len(),
        "every rule fires"
    );
    let clean = "aws/kinesis/us-east-1/orders-cdc";
    assert!(run.findings.iter().all(|f| f.resource_id != clean));
}
