//! The plugin's info and config: defaults, overrides and errors that name the key.

use crate::common;

use aiops_sdk::knobs::PluginConfig;
use aiops_sdk::{Detector, Severity};
use azure_monitor::AzureMonitor;
use azure_monitor::config::Config;
use common::*;

#[test]
fn info_declares_the_kinds_the_four_rules_and_a_schema() {
    let info = AzureMonitor::info();
    assert_eq!(info.name, "azure-monitor");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(
        info.kinds,
        [
            "azure.compute.vm",
            "azure.sql.server",
            "azure.mysql.flexible-server",
            "azure.eventhub.namespace",
            "azure.monitor.metric-alert"
        ]
    );
    assert!(!info.per_resource, "rules look across resources");
    let rules: Vec<_> = info
        .rules
        .iter()
        .map(|r| (r.id.as_str(), r.default_severity))
        .collect();
    assert_eq!(
        rules,
        [
            ("azure.monitor.no-metric-alert", Severity::Medium),
            ("azure.monitor.alert-disabled", Severity::Low),
            ("azure.monitor.alert-without-action-group", Severity::Medium),
            ("azure.monitor.sustained-high-cpu", Severity::High),
        ]
    );
    aiops_sdk::testing::assert_info_is_well_formed(&info);
    let keys = aiops_sdk::testing::schema_keys(&info);
    assert_eq!(keys, ["cpu_p95_high", "default_action_group_id"]);
}

#[test]
fn empty_config_has_the_documented_defaults() {
    for text in [
        "",
        "{}",
        r#"{"cpu_p95_high": null, "default_action_group_id": null}"#,
    ] {
        assert_eq!(Config::parse(text).unwrap(), Config::default(), "{text:?}");
    }
    let d = Config::default();
    assert_eq!(d.cpu_p95_high, 85.0);
    assert_eq!(d.default_action_group_id, None);
}

#[test]
fn every_key_can_be_overridden() {
    let config = Config::parse(&format!(
        r#"{{"cpu_p95_high": 70.5, "default_action_group_id": "{AG}"}}"#
    ))
    .unwrap();
    assert_eq!(
        config,
        Config {
            cpu_p95_high: 70.5,
            default_action_group_id: Some(AG.to_string()),
        }
    );
}

#[test]
fn invalid_config_is_an_error_naming_the_key() {
    let cases = [
        (r#"{"cpu_p95_high": "high"}"#, "`cpu_p95_high`"),
        (r#"{"cpu_p95_high": 0}"#, "`cpu_p95_high` must be above 0"),
        (
            r#"{"cpu_p95_high": 120}"#,
            "`cpu_p95_high` must be between 0 and 100",
        ),
        (
            r#"{"default_action_group_id": 7}"#,
            "`default_action_group_id`",
        ),
        (
            r#"{"default_action_group_id": "ops-oncall"}"#,
            "`default_action_group_id` must be the ARM id of an action group",
        ),
        (r#"{"cpu_threshold": 80}"#, "unknown key `cpu_threshold`"),
        (r#"[1]"#, "expected a JSON object"),
    ];
    aiops_sdk::testing::assert_config_errors::<AzureMonitor>(
        &[vm("shop", "web-1", "Standard_D2s_v5", vec![])],
        &cases,
    );
}
