//! `azure.monitor.sustained-high-cpu`: thresholds, metrics per kind, the size table.

use crate::common;

use aiops_sdk::Severity;
use aiops_sdk::testing::{changes, hint_summary};
use common::*;

const VM_CPU: &str = "Percentage CPU";

/// Resources and an alert covering them, so only CPU findings remain.
fn judged(config: &str, resources: Vec<aiops_sdk::Resource>) -> aiops_sdk::testing::DetectRun {
    let refs: Vec<&aiops_sdk::Resource> = resources.iter().collect();
    let cover = watching("cover", &refs);
    let mut all = resources.clone();
    all.push(cover);
    run_with(config, all)
}

#[test]
fn a_hot_dsv5_vm_gets_the_next_size() {
    let run = judged(
        "{}",
        vec![vm(
            "shop",
            "web-1",
            "Standard_D2s_v5",
            vec![cpu(VM_CPU, 93.0)],
        )],
    );
    let f = run.only("sustained-high-cpu");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.resource_id, "azure/shop/vm/web-1");
    assert_eq!(
        hint_summary(f),
        "vm_size: Standard_D2s_v5 → Standard_D4s_v5, Percentage CPU p95 93% over 14 days"
    );
    assert_eq!(
        changes(f),
        [(
            "/properties/hardwareProfile/vmSize",
            Some("\"Standard_D2s_v5\""),
            "\"Standard_D4s_v5\""
        )]
    );
    assert_eq!(f.evidence_value("cpu_p95_percent"), Some("93"));
    assert_eq!(f.evidence_value("window"), Some("14 days"));
    assert_eq!(run.findings.len(), 1);
}

#[test]
fn b_series_vms_step_up_too() {
    let run = judged(
        "{}",
        vec![vm("shop", "small", "Standard_B2s", vec![cpu(VM_CPU, 90.0)])],
    );
    assert_eq!(
        changes(run.only("sustained-high-cpu"))[0].2,
        "\"Standard_B2ms\""
    );
}

#[test]
fn a_size_outside_the_table_or_at_its_top_gets_no_hint() {
    for size in ["Standard_F4s_v2", "Standard_D96s_v5"] {
        let run = judged("{}", vec![vm("shop", "x", size, vec![cpu(VM_CPU, 99.0)])]);
        let f = run.only("sustained-high-cpu");
        assert!(f.remediation.is_none(), "{size}");
        assert_eq!(f.evidence_value("vm_size"), Some(size));
    }
}

#[test]
fn a_hot_mysql_flexible_server_gets_the_next_sku() {
    let run = judged(
        "{}",
        vec![mysql(
            "data",
            "db",
            "Standard_D2ds_v4",
            vec![cpu("cpu_percent", 88.5)],
        )],
    );
    let f = run.only("sustained-high-cpu");
    assert_eq!(
        hint_summary(f),
        "sku_name: Standard_D2ds_v4 → Standard_D4ds_v4, cpu_percent p95 88.5% over 14 days"
    );
    assert_eq!(
        changes(f),
        [(
            "/sku/name",
            Some("\"Standard_D2ds_v4\""),
            "\"Standard_D4ds_v4\""
        )]
    );
}

#[test]
fn at_or_below_the_threshold_or_without_a_p95_is_not_flagged() {
    let mut no_p95 = cpu(VM_CPU, 99.0);
    no_p95.p95 = None;
    let run = judged(
        "{}",
        vec![
            vm("shop", "at", "Standard_D2s_v5", vec![cpu(VM_CPU, 85.0)]),
            vm("shop", "cool", "Standard_D2s_v5", vec![cpu(VM_CPU, 40.0)]),
            vm("shop", "blind", "Standard_D2s_v5", vec![no_p95]),
            vm("shop", "none", "Standard_D2s_v5", vec![]),
            // A VM's CPU is `Percentage CPU`, a MySQL server's is `cpu_percent`.
            vm(
                "shop",
                "wrong",
                "Standard_D2s_v5",
                vec![cpu("cpu_percent", 99.0)],
            ),
            mysql("data", "db", "Standard_D2ds_v4", vec![cpu(VM_CPU, 99.0)]),
        ],
    );
    assert!(run.findings.is_empty(), "{:#?}", run.findings);
}

#[test]
fn cpu_p95_high_overrides_the_threshold() {
    let resources = vec![vm(
        "shop",
        "web",
        "Standard_D4s_v5",
        vec![cpu(VM_CPU, 70.0)],
    )];
    assert!(judged("{}", resources.clone()).findings.is_empty());
    let run = judged(r#"{"cpu_p95_high": 60}"#, resources);
    let f = run.only("sustained-high-cpu");
    assert_eq!(f.evidence_value("cpu_p95_high"), Some("60"));
    assert!(f.message.contains("above 60%"), "{}", f.message);
}
