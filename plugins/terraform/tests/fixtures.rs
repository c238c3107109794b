//! Every fixable finding of the AWS and Azure fixture inventories, applied to the fixture
//! Terraform repository, gives exactly the golden files; the findings that cannot be fixed
//! say why; and a second application over the fixed files changes nothing.
//!
//! The detectors run natively (their rlib through the SDK harness) on
//! `local-dev/inventory/*.json` with the configs their `EXPECTED.md` documents. Set
//! `UPDATE_GOLDEN=1` to rewrite the golden files after a deliberate change, then review
//! the diff.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use aiops_sdk::testing::{Harness, resources_from_snapshot};
use aiops_sdk::{Detector, Finding, Outcome, Remediator, Resource, SourceFile};
use aws_kinesis_shards::AwsKinesisShards;
use aws_rds_mysql::AwsRdsMysql;
use azure_monitor::AzureMonitor;
use terraform::Terraform;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const RDS_CONFIG: &str = r#"{"today": "2026-11-25"}"#;
const KINESIS_CONFIG: &str = r#"{"min_retention_hours": 48}"#;
const AZURE_CONFIG: &str = r#"{"default_action_group_id": "/subscriptions/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f/resourceGroups/monitoring/providers/microsoft.insights/actionGroups/ops-oncall"}"#;

/// The fixture findings with their target resources, in the detectors' order.
fn findings() -> Vec<(Finding, Resource)> {
    let inventory = root().join("local-dev/inventory");
    let aws = resources_from_snapshot(&fs::read_to_string(inventory.join("aws.json")).unwrap());
    let azure = resources_from_snapshot(&fs::read_to_string(inventory.join("azure.json")).unwrap());
    let mut found = Vec::new();
    found.extend(
        Harness::<AwsRdsMysql>::new()
            .config(RDS_CONFIG)
            .detect(aws.clone())
            .unwrap()
            .findings,
    );
    found.extend(
        Harness::<AwsKinesisShards>::new()
            .config(KINESIS_CONFIG)
            .detect(aws.clone())
            .unwrap()
            .findings,
    );
    found.extend(
        Harness::<AzureMonitor>::new()
            .config(AZURE_CONFIG)
            .detect(azure.clone())
            .unwrap()
            .findings,
    );
    let all: Vec<Resource> = aws.into_iter().chain(azure).collect();
    let fixes = Terraform::info();
    found
        .into_iter()
        .filter(|f| fixes.rule(&f.rule).is_some())
        .map(|f| {
            let target = all.iter().find(|r| r.id == f.resource_id).unwrap().clone();
            (f, target)
        })
        .collect()
}

/// The fixture repository's `.tf` files, paths relative to `local-dev/iac-repo`.
fn repo_files() -> BTreeMap<String, String> {
    let dir = root().join("local-dev/iac-repo/terraform");
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tf") {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            files.insert(
                format!("terraform/{name}"),
                fs::read_to_string(&path).unwrap(),
            );
        }
    }
    files
}

/// Applies every finding in turn, the way the host does with `--fix`: each sees the files
/// as the previous ones left them. Returns the cannot-fix reasons by (rule, resource).
fn apply_all(
    files: &mut BTreeMap<String, String>,
    findings: &[(Finding, Resource)],
) -> (Vec<(String, String, String)>, usize) {
    let mut refused = Vec::new();
    let mut edits = 0;
    for (finding, target) in findings {
        let passed = files
            .iter()
            .map(|(path, content)| SourceFile {
                path: path.clone(),
                content: content.clone(),
            })
            .collect();
        match Harness::<Terraform>::new().remediate(finding.clone(), target.clone(), passed) {
            Outcome::Edits(changed) => {
                for file in changed {
                    assert_ne!(
                        files[&file.path], file.content,
                        "an edit must change its file"
                    );
                    files.insert(file.path, file.content);
                    edits += 1;
                }
            }
            Outcome::CannotFix(reason) => {
                refused.push((finding.rule.clone(), finding.resource_id.clone(), reason))
            }
        }
    }
    (refused, edits)
}

#[test]
fn fixture_findings_give_the_golden_files_and_a_second_run_changes_nothing() {
    let findings = findings();
    let original = repo_files();
    let mut files = original.clone();
    let (refused, edits) = apply_all(&mut files, &findings);

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
    let mut golden = BTreeMap::new();
    for entry in fs::read_dir(&golden_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tf") {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            golden.insert(
                format!("terraform/{name}"),
                fs::read_to_string(&path).unwrap(),
            );
        }
    }
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
    assert_eq!(edits, 15, "one edit per fixable finding");

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
    let (again, edits) = apply_all(&mut files, &findings);
    assert_eq!(edits, 0);
    assert_eq!(files, fixed);
    let again_ids: Vec<(&str, &str)> = again
        .iter()
        .map(|(r, id, _)| (r.as_str(), id.as_str()))
        .collect();
    assert_eq!(
        again_ids,
        refused_ids[..4],
        "batch-1 is covered once batch-cpu is enabled"
    );
}

#[test]
fn declared_rules_are_the_detectors_rules_with_their_severities() {
    let detectors: Vec<_> = [
        AwsRdsMysql::info(),
        AwsKinesisShards::info(),
        AzureMonitor::info(),
    ]
    .into_iter()
    .flat_map(|i| i.rules)
    .collect();
    let declared = Terraform::info().rules;
    assert_eq!(declared.len(), 16);
    for rule in &declared {
        let detector = detectors.iter().find(|d| d.id == rule.id);
        assert_eq!(
            detector.map(|d| d.default_severity),
            Some(rule.default_severity),
            "{}",
            rule.id
        );
    }
}
