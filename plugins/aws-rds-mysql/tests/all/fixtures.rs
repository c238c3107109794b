//! The detector on `local-dev/inventory/aws.json` yields exactly the list in its `EXPECTED.md`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use aiops_sdk::Detector;
use aiops_sdk::testing::{Harness, findings_table, resources_from_snapshot};
use aws_rds_mysql::AwsRdsMysql;

fn inventory_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../local-dev/inventory")
}

/// The plugin config `EXPECTED.md` documents for this detector.
const FIXTURE_CONFIG: &str = r#"{"today": "2026-11-25"}"#;

#[test]
fn fixture_inventory_yields_exactly_the_expected_findings() {
    let text = fs::read_to_string(inventory_dir().join("aws.json")).unwrap();
    let resources = resources_from_snapshot(&text);
    let expected_md = fs::read_to_string(inventory_dir().join("EXPECTED.md")).unwrap();
    assert!(expected_md.contains(FIXTURE_CONFIG));
    let expected = findings_table(&expected_md, "aws.rds.");

    let run = Harness::<AwsRdsMysql>::new()
        .config(FIXTURE_CONFIG)
        .detect(resources.clone())
        .unwrap();
    assert_eq!(run.table(), expected);
    assert!(
        run.logs.iter().all(|l| l.message.contains("not MySQL")),
        "{:?}",
        run.logs
    );

    let fired: BTreeSet<_> = run.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(
        fired.len(),
        AwsRdsMysql::info().rules.len(),
        "every rule fires"
    );
    for clean in [
        "aws/rds/us-east-1/inventory-db",
        "aws/rds/eu-west-1/catalog-aurora",
    ] {
        assert!(
            run.findings.iter().all(|f| f.resource_id != clean),
            "{clean}"
        );
    }
    assert!(run.findings.iter().all(|f| !f.evidence.is_empty()));

    // The wall clock gives the same list until MySQL 8.4 leaves standard support.
    let wall_clock = Harness::<AwsRdsMysql>::new().detect(resources).unwrap();
    assert_eq!(wall_clock.table(), expected);
}
