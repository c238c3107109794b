//! The fixture run: the detectors' findings on `local-dev/inventory/*.json` applied to
//! `local-dev/iac-repo/terraform`, natively or through the wasm component.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use aiops_sdk::testing::{Harness, resources_from_snapshot};
use aiops_sdk::{Finding, Outcome, Remediator, Resource, SourceFile};
use aws_kinesis_shards::AwsKinesisShards;
use aws_rds_mysql::AwsRdsMysql;
use azure_monitor::AzureMonitor;
use terraform::Terraform;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub const RDS_CONFIG: &str = r#"{"today": "2026-11-25"}"#;
pub const KINESIS_CONFIG: &str = r#"{"min_retention_hours": 48}"#;
pub const AZURE_CONFIG: &str = r#"{"default_action_group_id": "/subscriptions/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f/resourceGroups/monitoring/providers/microsoft.insights/actionGroups/ops-oncall"}"#;

/// The fixture findings with their target resources, in the detectors' order.
pub fn findings() -> Vec<(Finding, Resource)> {
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
        .filter(|f| fixes.fixes_rule(&f.rule).is_some())
        .map(|f| {
            let target = all.iter().find(|r| r.id == f.resource_id).unwrap().clone();
            (f, target)
        })
        .collect()
}

/// The fixture repository's `.tf` files, paths relative to `local-dev/iac-repo`.
pub fn repo_files() -> BTreeMap<String, String> {
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
pub fn apply_all(
    files: &mut BTreeMap<String, String>,
    findings: &[(Finding, Resource)],
    remediate: impl Fn(&Finding, &Resource, Vec<SourceFile>) -> Outcome,
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
        match remediate(finding, target, passed) {
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

/// The golden files under `tests/golden/terraform`, keyed like [`repo_files`].
pub fn golden_files() -> BTreeMap<String, String> {
    let mut golden = BTreeMap::new();
    for entry in fs::read_dir(root().join("tests/golden/terraform")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tf") {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            golden.insert(
                format!("terraform/{name}"),
                fs::read_to_string(&path).unwrap(),
            );
        }
    }
    golden
}

/// The fixture files as the golden files say they are after every fix.
pub fn fixed_repo() -> BTreeMap<String, String> {
    let mut files = repo_files();
    files.extend(golden_files());
    files
}
