//! The detector on `local-dev/inventory/azure.json` yields exactly the list in its
//! `AZURE-EXPECTED.md`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use aiops_sdk::Detector;
use aiops_sdk::testing::{Harness, findings_table, resources_from_snapshot};
use azure_monitor::AzureMonitor;

fn inventory_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../local-dev/inventory")
}

/// The plugin config `AZURE-EXPECTED.md` documents for this detector.
const FIXTURE_CONFIG: &str = r#"{"default_action_group_id": "/subscriptions/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f/resourceGroups/monitoring/providers/microsoft.insights/actionGroups/ops-oncall"}"#;

fn run(config: &str) -> aiops_sdk::testing::DetectRun {
    let text = fs::read_to_string(inventory_dir().join("azure.json")).unwrap();
    Harness::<AzureMonitor>::new()
        .config(config)
        .detect(resources_from_snapshot(&text))
        .unwrap()
}

#[test]
fn fixture_inventory_yields_exactly_the_expected_findings() {
    let expected_md = fs::read_to_string(inventory_dir().join("AZURE-EXPECTED.md")).unwrap();
    assert!(expected_md.contains(FIXTURE_CONFIG));

    let run = run(FIXTURE_CONFIG);
    assert_eq!(run.table(), findings_table(&expected_md, "azure.monitor."));
    assert!(run.logs.is_empty(), "{:?}", run.logs);

    let fired: BTreeSet<_> = run.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(
        fired.len(),
        AzureMonitor::info().rules.len(),
        "every rule fires"
    );
    for clean in [
        "azure/shop/vm/web-2",
        "azure/monitoring/metric-alert/web-cpu-high",
    ] {
        assert!(
            run.findings.iter().all(|f| f.resource_id != clean),
            "{clean}"
        );
    }
}

#[test]
fn fixture_hints_are_the_documented_ones() {
    let expected_md = fs::read_to_string(inventory_dir().join("AZURE-EXPECTED.md")).unwrap();
    let run = run(FIXTURE_CONFIG);
    for f in &run.findings {
        let hint = f
            .remediation
            .as_ref()
            .map_or("none", |h| h.summary.as_str());
        let cells = expected_md.lines().any(|l| {
            l.starts_with(&format!("| `{}` |", f.rule))
                && l.contains(&format!("| `{}` |", f.resource_id))
                && l.trim_end().ends_with(&format!("| {hint} |"))
        });
        assert!(
            cells,
            "no row `{}` on {} with hint {hint}",
            f.rule, f.resource_id
        );
    }
}

#[test]
fn without_an_action_group_only_the_action_group_hints_disappear() {
    let with = run(FIXTURE_CONFIG);
    let without = run("{}");
    assert_eq!(with.table(), without.table());
    let hinted = |r: &aiops_sdk::testing::DetectRun| {
        r.findings
            .iter()
            .filter(|f| f.remediation.is_some())
            .map(|f| (f.rule.clone(), f.resource_id.clone()))
            .collect::<BTreeSet<_>>()
    };
    let lost: Vec<_> = hinted(&with)
        .difference(&hinted(&without))
        .cloned()
        .collect();
    assert_eq!(
        lost.iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>(),
        [
            "azure.monitor.alert-without-action-group",
            "azure.monitor.no-metric-alert",
            "azure.monitor.no-metric-alert"
        ]
    );
}
