//! Azure Monitor fixes: enable an alert, add an action group, add a new metric alert from
//! the config's template, byte for byte.

use crate::common;

use common::*;
use serde_json::json;

const MONITOR: &str = r#"# On-call action group.
resource "azurerm_monitor_action_group" "ops_oncall" {
  name                = "ops-oncall"
  resource_group_name = "monitoring"
  short_name          = "ops"
}

resource "azurerm_monitor_metric_alert" "batch_cpu" {
  name                = "batch-cpu"
  resource_group_name = "monitoring"
  scopes              = [azurerm_linux_virtual_machine.batch_1.id]
  enabled             = false # muted during the migration

  criteria {
    metric_namespace = "Microsoft.Compute/virtualMachines"
    metric_name      = "Percentage CPU"
    aggregation      = "Average"
    operator         = "GreaterThan"
    threshold        = 95
  }
}
"#;

const VMS: &str = r#"resource "azurerm_linux_virtual_machine" "batch_1" {
  name                = "batch-1"
  resource_group_name = azurerm_resource_group.batch.name
  size                = "Standard_F4s_v2"
}

resource "azurerm_linux_virtual_machine" "batch_2" {
  name                = "batch-2"
  resource_group_name = azurerm_resource_group.batch.name
  size                = "Standard_F4s_v2"
}
"#;

fn enable() -> aiops_sdk::Finding {
    finding(
        "azure.monitor.alert-disabled",
        &alert("batch-cpu"),
        &[("/properties/enabled", Some(json!(false)), json!(true))],
    )
}

fn add_action() -> aiops_sdk::Finding {
    finding(
        "azure.monitor.alert-without-action-group",
        &alert("batch-cpu"),
        &[(
            "/properties/actions/-",
            None,
            json!({"actionGroupId": ops_group()}),
        )],
    )
}

fn new_alert(vm_name: &str) -> aiops_sdk::Finding {
    finding(
        "azure.monitor.no-metric-alert",
        &vm(vm_name),
        &[(
            "/alerts/-",
            None,
            json!({
                "name": format!("{vm_name}-percentage-cpu"),
                "scopes": [vm_id(vm_name)],
                "metric": "Percentage CPU",
                "operator": "GreaterThan",
                "threshold": 85.0,
                "actionGroupId": ops_group(),
            }),
        )],
    )
}

#[test]
fn a_disabled_alert_is_enabled_keeping_its_comment() {
    assert_eq!(
        fixed(&enable(), &alert("batch-cpu"), "monitor.tf", MONITOR),
        MONITOR.replace("= false # muted", "= true # muted")
    );
}

#[test]
fn an_alert_without_enabled_is_already_enabled() {
    let text = MONITOR.replace(
        "  enabled             = false # muted during the migration\n",
        "",
    );
    unchanged(&enable(), &alert("batch-cpu"), &[("monitor.tf", &text)]);
}

#[test]
fn an_action_referencing_the_group_block_is_appended() {
    assert_eq!(
        fixed(&add_action(), &alert("batch-cpu"), "monitor.tf", MONITOR),
        MONITOR.replace(
            "    threshold        = 95\n  }\n}\n",
            "    threshold        = 95\n  }\n\n  action {\n    action_group_id = azurerm_monitor_action_group.ops_oncall.id\n  }\n}\n"
        )
    );
}

#[test]
fn without_the_group_block_the_action_names_the_arm_id() {
    let text = &MONITOR[MONITOR
        .find("resource \"azurerm_monitor_metric_alert\"")
        .unwrap()..];
    let out = fixed(&add_action(), &alert("batch-cpu"), "monitor.tf", text);
    assert_eq!(
        out,
        text.replace(
            "  }\n}\n",
            &format!(
                "  }}\n\n  action {{\n    action_group_id = \"{}\"\n  }}\n}}\n",
                ops_group()
            )
        )
    );
}

#[test]
fn an_alert_notifying_another_group_cannot_be_fixed() {
    let text = MONITOR.replace(
        "    threshold        = 95\n  }\n}\n",
        "    threshold        = 95\n  }\n\n  action {\n    action_group_id = var.team_group\n  }\n}\n",
    );
    assert_eq!(
        cannot(&add_action(), &alert("batch-cpu"), &[("monitor.tf", &text)]),
        "`azurerm_monitor_metric_alert.batch_cpu` (monitor.tf:8) already notifies \
         var.team_group in the file, while the live alert has no action group: the source and \
         the resource differ"
    );
}

const NEW_ALERT: &str = r#"
resource "azurerm_monitor_metric_alert" "batch_2_percentage_cpu" {
  name                = "batch-2-percentage-cpu"
  resource_group_name = azurerm_resource_group.batch.name
  scopes              = [azurerm_linux_virtual_machine.batch_2.id]
  description         = "Percentage CPU above 85 on batch-2 (added by aiops)"
  severity            = 2
  frequency           = "PT5M"
  window_size         = "PT15M"

  criteria {
    metric_namespace = "Microsoft.Compute/virtualMachines"
    metric_name      = "Percentage CPU"
    aggregation      = "Average"
    operator         = "GreaterThan"
    threshold        = 85
  }

  action {
    action_group_id = azurerm_monitor_action_group.ops_oncall.id
  }
}
"#;

#[test]
fn a_new_alert_goes_next_to_the_other_alerts_referencing_the_vm() {
    let edits = fixed_with(
        "{}",
        &new_alert("batch-2"),
        &vm("batch-2"),
        &[("vms.tf", VMS), ("monitor.tf", MONITOR)],
    );
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0].path, "monitor.tf");
    assert_eq!(edits[0].content, format!("{MONITOR}{NEW_ALERT}"));
}

#[test]
fn the_config_template_shapes_the_new_alert() {
    let config = r#"{"alert_file": "alerts.tf", "alert_resource_group_name": "monitoring",
        "alert_severity": 1, "alert_frequency": "PT1M", "alert_window_size": "PT5M",
        "alert_aggregation": "Maximum", "alert_thresholds": {"Percentage CPU": 92.5}}"#;
    let edits = fixed_with(
        config,
        &new_alert("batch-2"),
        &vm("batch-2"),
        &[
            ("vms.tf", VMS),
            ("monitor.tf", MONITOR),
            ("alerts.tf", "# Alerts.\n"),
        ],
    );
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0].path, "alerts.tf");
    let expected = NEW_ALERT
        .replace("azurerm_resource_group.batch.name", "\"monitoring\"")
        .replace("above 85", "above 92.5")
        .replace("severity            = 2", "severity            = 1")
        .replace("\"PT5M\"", "\"PT1M\"")
        .replace("\"PT15M\"", "\"PT5M\"")
        .replace("\"Average\"", "\"Maximum\"")
        .replace("threshold        = 85", "threshold        = 92.5");
    assert_eq!(edits[0].content, format!("# Alerts.\n{expected}"));
}

#[test]
fn a_vm_not_in_the_files_is_scoped_by_its_arm_id() {
    let text = &MONITOR[..MONITOR
        .find("resource \"azurerm_monitor_metric_alert\"")
        .unwrap()];
    let edits = fixed_with(
        r#"{"alert_file": "./monitor.tf"}"#,
        &new_alert("batch-9"),
        &vm("batch-9"),
        &[("monitor.tf", text)],
    );
    let out = &edits[0].content;
    assert!(out.starts_with(text), "{out}");
    assert!(
        out.contains(&format!(
            "  scopes              = [\"{}\"]\n",
            vm_id("batch-9")
        )),
        "{out}"
    );
    assert!(out.contains("  resource_group_name = \"batch\"\n"), "{out}");
}

#[test]
fn a_disabled_alert_on_the_resource_is_the_fix_not_a_second_alert() {
    assert_eq!(
        cannot(
            &new_alert("batch-1"),
            &vm("batch-1"),
            &[("vms.tf", VMS), ("monitor.tf", MONITOR)]
        ),
        "`azurerm_monitor_metric_alert.batch_cpu` (monitor.tf:8) already watches this resource \
         but is disabled: enabling it (azure.monitor.alert-disabled) is the fix, not a second \
         alert"
    );
    let enabled = MONITOR.replace("= false # muted", "= true # muted");
    unchanged(
        &new_alert("batch-1"),
        &vm("batch-1"),
        &[("vms.tf", VMS), ("monitor.tf", &enabled)],
    );
}

#[test]
fn no_file_to_add_the_alert_to_cannot_be_fixed() {
    assert_eq!(
        cannot(&new_alert("batch-9"), &vm("batch-9"), &[("vms.tf", VMS)]),
        "no file to add the alert to: none of the files passed (vms.tf) defines the resource or \
         holds metric alerts, and alert_file is not among them"
    );
}
