//! Every fixable finding of the AWS and Azure fixture inventories, applied to the fixture
//! Terraform repository, gives exactly the golden files; the findings that cannot be fixed
//! say why; and a second application over the fixed files changes nothing.
//!
//! The detectors run natively (their rlib through the SDK harness) on
//! `local-dev/inventory/*.json` with the configs their `EXPECTED.md` documents. Set
//! `UPDATE_GOLDEN=1` to rewrite the golden files after a deliberate change, then review
//! the diff.

use crate::common;

use std::collections::BTreeMap;
use std::fs;

use aiops_sdk::testing::Harness;
use aiops_sdk::{Detector, Finding, Outcome, Remediator, Resource, SourceFile};
use aws_kinesis_shards::AwsKinesisShards;
use aws_rds_mysql::AwsRdsMysql;
use azure_monitor::AzureMonitor;
use common::fixture::*;
use terraform::Terraform;

fn native(finding: &Finding, target: &Resource, files: Vec<SourceFile>) -> Outcome {
    Harness::<Terraform>::new().remediate(finding.clone(), target.clone(), files)
}

#[test]
fn fixture_findings_give_the_golden_files_and_a_second_run_changes_nothing() {
    let findings = findings();
    let original = repo_files();
    let mut files = original.clone();
    let (refused, edits) = apply_all(&mut files, &findings, native);

    let golden_dir = root().join("tests/golden/terraform");
    let changed: BTreeMap<_, _> = files
        .iter()
        .filter(|(path, content)| original[*path] != **content)
        .collect();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::create_dir_all(&golden_dir).unwrap();
        for (path, content) in &changed {
            let name = path.strip_prefix("terraform/").unwrap();
            fs::write(golden_dir.join(name), content).unwrap();
        }
    }
    let golden = golden_files();
    assert_eq!(
        changed.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
        golden.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
        "the files that change are the golden ones"
    );
    for (path, content) in &changed {
        assert_eq!(
            **content, golden[*path],
            "{path} differs from its golden file"
        );
    }
    assert_eq!(edits, 17, "one edit per fixable finding");

    let refused_ids: Vec<(&str, &str)> = refused
        .iter()
        .map(|(r, id, _)| (r.as_str(), id.as_str()))
        .collect();
    assert_eq!(
        refused_ids,
        [
            ("aws.rds.over-used", "aws/rds/eu-west-1/payments-db"),
            (
                "aws.rds.engine-end-of-support",
                "aws/rds/eu-west-1/payments-db"
            ),
            (
                "aws.rds.engine-end-of-support",
                "aws/rds/eu-west-1/legacy-reports"
            ),
            (
                "aws.rds.engine-end-of-support",
                "aws/rds/eu-west-1/analytics-aurora"
            ),
            ("azure.monitor.no-metric-alert", "azure/batch/vm/batch-1"),
            ("azure.monitor.sustained-high-cpu", "azure/batch/vm/batch-1"),
        ]
    );
    let reasons: Vec<&str> = refused.iter().map(|(_, _, r)| r.as_str()).collect();
    assert_eq!(
        reasons[0],
        "`instance_class` of `aws_db_instance.payments` (terraform/rds.tf:34) is set by the \
         variable `var.payments_instance_class`, not a literal: change it where that value is \
         defined (this remediator does not guess values behind expressions)"
    );
    assert_eq!(
        reasons[1],
        "`aws_db_instance.payments` sets parameter_group_name = \"payments-mysql80\", a group \
         of the MySQL 8.0 family: a major upgrade to 8.4 needs a parameter group of the new \
         family, which this remediator cannot create"
    );
    assert_eq!(
        reasons[2],
        "engine_version 5.7 → 8.4 skips 8.0: RDS upgrades MySQL one major version at a time, \
         so this needs an upgrade to 8.0 first, by hand"
    );
    assert!(
        reasons[5].starts_with("the finding carries no remediation hint"),
        "{}",
        reasons[5]
    );
    assert!(
        reasons[3].starts_with("the finding carries no remediation hint"),
        "{}",
        reasons[3]
    );
    assert_eq!(
        reasons[4],
        "`azurerm_monitor_metric_alert.batch_cpu` (terraform/monitor.tf:44) already watches \
         this resource but is disabled: enabling it (azure.monitor.alert-disabled) is the fix, \
         not a second alert"
    );

    // Idempotence: the same findings over the fixed files change nothing.
    let fixed = files.clone();
    let (again, edits) = apply_all(&mut files, &findings, native);
    assert_eq!(edits, 0);
    assert_eq!(files, fixed);
    let again_ids: Vec<(&str, &str)> = again
        .iter()
        .map(|(r, id, _)| (r.as_str(), id.as_str()))
        .collect();
    let mut expected_again = refused_ids[..4].to_vec();
    expected_again.push(refused_ids[5]);
    assert_eq!(
        again_ids, expected_again,
        "batch-1 is covered once batch-cpu is enabled"
    );
}

#[test]
fn what_it_fixes_are_the_detectors_rules() {
    let detectors: Vec<_> = [
        AwsRdsMysql::info(),
        AwsKinesisShards::info(),
        AzureMonitor::info(),
    ]
    .into_iter()
    .flat_map(|i| i.rules)
    .collect();
    let declared = Terraform::info().fixes;
    assert_eq!(declared.len(), 17);
    for rule in &declared {
        assert!(detectors.iter().any(|d| &d.id == rule), "{rule}");
    }
}
