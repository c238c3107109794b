//! The remediator's logic natively (plain `cargo test`, no wasm); the built component
//! is tested on the fixtures by `aiops plugin test`, with the host's built-in detectors
//! finding what to fix.

use aiops_sdk::testing::{Harness, edited, k8s_resources_from_yaml, source_files};
use aiops_sdk::{FieldChange, Finding, RemediationHint, RuleInfo, Severity};
use {{crate}}::{{type}};

const YAML: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports: []\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  template: {}\n";

fn finding(target: &aiops_sdk::Resource) -> Finding {
    let rule = RuleInfo::new(
        "k8s.workloads.single-replica-without-pdb",
        Severity::Medium,
        "Single replica",
        "",
    );
    Finding::new(&rule, target, "one replica").remediation(RemediationHint {
        summary: "replicas: 1 -> 2".into(),
        changes: vec![FieldChange::json("/spec/replicas", Some(1.into()), 2.into())],
    })
}

#[test]
fn sets_replicas_in_the_document_of_the_workload_only() {
    let target = k8s_resources_from_yaml(YAML).remove(1);
    let outcome = Harness::<{{type}}>::new().remediate(
        finding(&target),
        target,
        source_files(&[("web.yaml", YAML)]),
    );
    assert_eq!(
        edited(&outcome, "web.yaml"),
        Some(YAML.replace("  replicas: 1\n", "  replicas: 2\n").as_str())
    );
}
