//! `azure.monitor.alert-disabled` and `azure.monitor.alert-without-action-group`.

use crate::common;

use aiops_sdk::Severity;
use aiops_sdk::testing::{changes, hint_summary};
use common::*;

fn web_scope() -> Vec<String> {
    vec![arm_id("shop", "Microsoft.Compute/virtualMachines", "web-1")]
}

#[test]
fn a_disabled_alert_is_flagged_with_a_hint_to_enable_it() {
    let run = run(vec![alert("off", false, &web_scope(), &[AG])]);
    assert_eq!(
        hits(&run),
        [(
            "azure.monitor.alert-disabled".to_string(),
            "azure/monitoring/metric-alert/off".to_string()
        )]
    );
    let f = run.only("alert-disabled");
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(hint_summary(f), "enabled: false → true");
    assert_eq!(changes(f), [("/properties/enabled", Some("false"), "true")]);
}

#[test]
fn an_enabled_alert_with_an_action_group_is_clean() {
    let run = run(vec![alert("on", true, &web_scope(), &[AG])]);
    assert!(run.findings.is_empty(), "{:#?}", run.findings);
}

#[test]
fn an_alert_without_actions_is_flagged_without_a_hint_by_default() {
    let run = run(vec![alert("mute", true, &web_scope(), &[])]);
    let f = run.only("alert-without-action-group");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.resource_id, "azure/monitoring/metric-alert/mute");
    assert!(f.remediation.is_none());
    assert_eq!(run.findings.len(), 1);
}

#[test]
fn an_alert_without_actions_gets_the_configured_action_group() {
    let run = run_with(&with_group(), vec![alert("mute", true, &web_scope(), &[])]);
    let f = run.only("alert-without-action-group");
    assert_eq!(
        changes(f),
        [(
            "/properties/actions/-",
            None,
            format!(r#"{{"actionGroupId":"{AG}"}}"#).as_str()
        )]
    );
    assert_eq!(hint_summary(f), format!("action_group: none → {AG}"));
}

#[test]
fn an_alert_without_actions_key_counts_as_without_action_group() {
    let mut a = alert("bare", false, &web_scope(), &[]);
    let mut raw: serde_json::Value = serde_json::from_str(&a.raw).unwrap();
    raw["properties"].as_object_mut().unwrap().remove("actions");
    a.raw = raw.to_string();
    let run = run(vec![a]);
    assert_eq!(run.findings.len(), 2);
    run.only("alert-disabled");
    run.only("alert-without-action-group");
}
