//! Helpers for the remediator's harness tests: resources and findings as the detectors
//! build them, and runs that check the second application changes nothing.

#![allow(dead_code)]

pub mod fixture;

use aiops_sdk::testing::Harness;
use aiops_sdk::{
    FieldChange, Finding, Outcome, Platform, RemediationHint, Resource, Severity, SourceFile,
};
use serde_json::{Value, json};
use terraform::Terraform;

/// A resource of `kind` named `name` with `raw` as its API object.
pub fn resource(id: &str, kind: &str, name: &str, raw: Value) -> Resource {
    let platform = if kind.starts_with("aws.") {
        Platform::Aws
    } else {
        Platform::Azure
    };
    Resource {
        id: id.to_string(),
        kind: kind.to_string(),
        platform,
        name: name.to_string(),
        namespace: None,
        labels: Vec::new(),
        metrics: Vec::new(),
        raw: raw.to_string(),
    }
}

/// An RDS MySQL instance.
pub fn rds(identifier: &str) -> Resource {
    resource(
        &format!("aws/rds/eu-west-1/{identifier}"),
        "aws.rds.db-instance",
        identifier,
        json!({"DBInstanceIdentifier": identifier, "Engine": "mysql", "EngineVersion": "8.0.39", "DBInstanceClass": "db.m5.large"}),
    )
}

/// An Aurora MySQL instance of `cluster`.
pub fn aurora(identifier: &str, cluster: &str) -> Resource {
    resource(
        &format!("aws/rds/eu-west-1/{identifier}"),
        "aws.rds.db-instance",
        identifier,
        json!({"DBInstanceIdentifier": identifier, "Engine": "aurora-mysql", "DBClusterIdentifier": cluster}),
    )
}

/// A Kinesis stream.
pub fn stream(name: &str) -> Resource {
    resource(
        &format!("aws/kinesis/eu-west-1/{name}"),
        "aws.kinesis.stream",
        name,
        json!({"StreamName": name, "OpenShardCount": 4}),
    )
}

/// The subscription of the Azure examples.
pub const SUB: &str = "/subscriptions/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";

/// The action group of the Azure examples.
pub fn ops_group() -> String {
    format!("{SUB}/resourceGroups/monitoring/providers/microsoft.insights/actionGroups/ops-oncall")
}

/// An Azure metric alert.
pub fn alert(name: &str) -> Resource {
    resource(
        &format!("azure/monitoring/metric-alert/{name}"),
        "azure.monitor.metric-alert",
        name,
        json!({"id": format!("{SUB}/resourceGroups/monitoring/providers/Microsoft.Insights/metricAlerts/{name}"), "name": name, "properties": {"enabled": true, "scopes": []}}),
    )
}

/// An Azure VM in resource group `batch`.
pub fn vm(name: &str) -> Resource {
    resource(
        &format!("azure/batch/vm/{name}"),
        "azure.compute.vm",
        name,
        json!({"id": vm_id(name), "name": name, "type": "Microsoft.Compute/virtualMachines"}),
    )
}

/// The ARM id of VM `name`.
pub fn vm_id(name: &str) -> String {
    format!("{SUB}/resourceGroups/batch/providers/Microsoft.Compute/virtualMachines/{name}")
}

/// A finding of `rule` on `target` whose hint makes `changes` (pointer, current, proposed).
pub fn finding(rule: &str, target: &Resource, changes: &[(&str, Option<Value>, Value)]) -> Finding {
    Finding {
        rule: rule.to_string(),
        resource_id: target.id.clone(),
        component: None,
        severity: Severity::Medium,
        title: rule.to_string(),
        message: "test".to_string(),
        evidence: Vec::new(),
        remediation: Some(RemediationHint {
            summary: "test".to_string(),
            changes: changes
                .iter()
                .map(|(path, current, proposed)| FieldChange {
                    path: path.to_string(),
                    current: current.as_ref().map(Value::to_string),
                    proposed: proposed.to_string(),
                })
                .collect(),
        }),
    }
}

/// Files from (path, content) pairs.
pub fn files(list: &[(&str, &str)]) -> Vec<SourceFile> {
    list.iter()
        .map(|(path, content)| SourceFile {
            path: path.to_string(),
            content: content.to_string(),
        })
        .collect()
}

/// Runs the remediator with `config`.
pub fn run_with(
    config: &str,
    finding: &Finding,
    target: &Resource,
    files: Vec<SourceFile>,
) -> Outcome {
    Harness::<Terraform>::new()
        .config(config)
        .remediate(finding.clone(), target.clone(), files)
}

/// The edited files with `config`, after checking that applying the same finding to them
/// again changes nothing.
pub fn fixed_with(
    config: &str,
    finding: &Finding,
    target: &Resource,
    given: &[(&str, &str)],
) -> Vec<SourceFile> {
    let Outcome::Edits(edits) = run_with(config, finding, target, files(given)) else {
        panic!(
            "expected edits, got {:?}",
            run_with(config, finding, target, files(given))
        );
    };
    assert!(!edits.is_empty(), "expected at least one edited file");
    let mut after = files(given);
    for edit in &edits {
        let slot = after
            .iter_mut()
            .find(|f| f.path == edit.path)
            .expect("edits name passed files");
        assert_ne!(
            slot.content, edit.content,
            "{} listed but unchanged",
            edit.path
        );
        slot.content = edit.content.clone();
    }
    assert_eq!(
        run_with(config, finding, target, after),
        Outcome::Edits(Vec::new()),
        "a second application changes nothing"
    );
    edits
}

/// The new text of the single file `path`, checked for idempotence.
pub fn fixed(finding: &Finding, target: &Resource, path: &str, text: &str) -> String {
    let edits = fixed_with("{}", finding, target, &[(path, text)]);
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0].path, path);
    edits[0].content.clone()
}

/// The cannot-fix reason.
pub fn cannot_with(
    config: &str,
    finding: &Finding,
    target: &Resource,
    given: &[(&str, &str)],
) -> String {
    match run_with(config, finding, target, files(given)) {
        Outcome::CannotFix(reason) => reason,
        other => panic!("expected cannot-fix, got {other:?}"),
    }
}

/// The cannot-fix reason with the default config.
pub fn cannot(finding: &Finding, target: &Resource, given: &[(&str, &str)]) -> String {
    cannot_with("{}", finding, target, given)
}

/// Asserts the finding needs no edit.
pub fn unchanged(finding: &Finding, target: &Resource, given: &[(&str, &str)]) {
    assert_eq!(
        run_with("{}", finding, target, files(given)),
        Outcome::Edits(Vec::new())
    );
}
