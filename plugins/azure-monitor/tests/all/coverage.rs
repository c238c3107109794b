//! `azure.monitor.no-metric-alert`: which alerts count as covering a resource.

use crate::common;

use aiops_sdk::testing::{changes, hint_summary};
use common::*;
use serde_json::{Value, json};

const RULE: &str = "azure.monitor.no-metric-alert";

fn uncovered(run: &aiops_sdk::testing::DetectRun) -> Vec<String> {
    run.of_rule(RULE)
        .iter()
        .map(|f| f.resource_id.clone())
        .collect()
}

#[test]
fn every_monitored_kind_without_an_alert_is_flagged() {
    let run = run(vec![
        vm("shop", "web-1", "Standard_D4s_v5", vec![]),
        mysql("data", "db", "Standard_D2ds_v4", vec![]),
        eventhub("shop", "events"),
        sql_server("data", "sql-1"),
    ]);
    assert_eq!(
        uncovered(&run),
        [
            "azure/shop/vm/web-1",
            "azure/data/mysql/db",
            "azure/shop/eventhub/events",
            "azure/data/sql/sql-1"
        ]
    );
    let f = &run.of_rule(RULE)[0];
    assert_eq!(f.severity, aiops_sdk::Severity::Medium);
    assert!(
        f.remediation.is_none(),
        "no action group configured: no hint"
    );
    assert_eq!(
        f.evidence_value("arm_id"),
        Some(arm_id("shop", "Microsoft.Compute/virtualMachines", "web-1").as_str())
    );
}

#[test]
fn an_enabled_alert_on_the_resource_covers_it_whatever_the_case() {
    let web = vm("shop", "web-1", "Standard_D4s_v5", vec![]);
    let scope = raw_id(&web).to_uppercase();
    let run = run(vec![web, alert("cpu", true, &[scope], &[AG])]);
    assert!(run.findings.is_empty(), "{:#?}", run.findings);
}

#[test]
fn resource_group_and_subscription_scopes_cover_what_they_contain() {
    for scope in [
        format!("{SUB}/resourceGroups/shop"),
        format!("{SUB}/resourcegroups/SHOP/"),
        SUB.to_string(),
    ] {
        let run = run(vec![
            vm("shop", "web-1", "Standard_D4s_v5", vec![]),
            eventhub("shop", "events"),
            alert("rg", true, std::slice::from_ref(&scope), &[AG]),
        ]);
        assert!(run.findings.is_empty(), "{scope}: {:#?}", run.findings);
    }
}

#[test]
fn a_scope_that_is_only_a_string_prefix_does_not_cover() {
    // `.../resourceGroups/shop` is not the group `shop-staging`; `web-1` is not `web-10`.
    let run = run(vec![
        vm("shop-staging", "web-1", "Standard_D4s_v5", vec![]),
        vm("shop", "web-10", "Standard_D4s_v5", vec![]),
        alert(
            "partial",
            true,
            &[
                format!("{SUB}/resourceGroups/shop"),
                arm_id("shop", "Microsoft.Compute/virtualMachines", "web-1"),
            ],
            &[AG],
        ),
    ]);
    assert_eq!(uncovered(&run), ["azure/shop-staging/vm/web-1"]);
}

#[test]
fn a_disabled_alert_does_not_cover_and_is_named() {
    let web = vm("shop", "web-1", "Standard_D4s_v5", vec![]);
    let disabled = alert("off", false, &[raw_id(&web)], &[AG]);
    let run = run(vec![web, disabled]);
    let f = run.only("no-metric-alert");
    assert_eq!(f.evidence_value("disabled_alerts"), Some("off"));
    assert!(f.message.contains("(disabled: off)"), "{}", f.message);
}

#[test]
fn the_hint_proposes_a_new_alert_notifying_the_configured_action_group() {
    let web = vm("shop", "web-1", "Standard_D4s_v5", vec![]);
    let web_id = raw_id(&web);
    let run = run_with(
        &with_group(),
        vec![
            web,
            mysql("data", "db", "Standard_D2ds_v4", vec![]),
            eventhub("shop", "events"),
            sql_server("data", "sql-1"),
        ],
    );
    let findings = run.of_rule(RULE);
    let vm_hint = &changes(findings[0])[0];
    assert_eq!((vm_hint.0, vm_hint.1), ("/alerts/-", None));
    let proposed: Value = serde_json::from_str(vm_hint.2).unwrap();
    assert_eq!(
        proposed,
        json!({
            "name": "web-1-percentage-cpu",
            "scopes": [web_id],
            "metric": "Percentage CPU",
            "operator": "GreaterThan",
            "threshold": 85.0,
            "actionGroupId": AG,
        })
    );
    assert_eq!(
        hint_summary(findings[0]),
        format!("metric_alert: none → Percentage CPU > 85 on web-1, notifying {AG}")
    );
    let metric = |i: usize| -> Value {
        serde_json::from_str::<Value>(changes(findings[i])[0].2).unwrap()["metric"].clone()
    };
    assert_eq!(metric(1), "cpu_percent");
    assert_eq!(metric(2), "ThrottledRequests");
    assert!(findings[3].remediation.is_none(), "SQL servers get no hint");
}

#[test]
fn the_proposed_cpu_threshold_follows_cpu_p95_high() {
    let config = format!(r#"{{"default_action_group_id": "{AG}", "cpu_p95_high": 75}}"#);
    let run = run_with(
        &config,
        vec![vm("shop", "web-1", "Standard_D4s_v5", vec![])],
    );
    let proposed: Value = serde_json::from_str(changes(run.only("no-metric-alert"))[0].2).unwrap();
    assert_eq!(proposed["threshold"], 75.0);
}
