//! Azure sizing fixes (azure.monitor.sustained-high-cpu): VM size and MySQL SKU, byte for
//! byte, keeping the tier prefix azurerm writes.

use crate::common;

use common::*;
use serde_json::json;

const VMS: &str = r#"resource "azurerm_linux_virtual_machine" "web_1" {
  name     = "web-1"
  location = "westeurope"
  size     = "Standard_D2s_v5" # doubled for the sale
}

resource "azurerm_virtual_machine" "legacy" {
  name    = "legacy-1"
  vm_size = "Standard_D2s_v5"
}
"#;

const MYSQL: &str = r#"resource "azurerm_mysql_flexible_server" "orders" {
  name     = "orders-mysql"
  version  = "8.0.21"
  sku_name = "GP_Standard_D2ds_v4"
}
"#;

fn bigger_vm(name: &str) -> aiops_sdk::Finding {
    finding(
        "azure.monitor.sustained-high-cpu",
        &vm(name),
        &[(
            "/properties/hardwareProfile/vmSize",
            Some(json!("Standard_D2s_v5")),
            json!("Standard_D4s_v5"),
        )],
    )
}

fn mysql() -> aiops_sdk::Resource {
    resource(
        "azure/data/mysql/orders-mysql",
        "azure.mysql.flexible-server",
        "orders-mysql",
        json!({"id": "x", "name": "orders-mysql", "sku": {"name": "Standard_D2ds_v4"}}),
    )
}

fn bigger_sku() -> aiops_sdk::Finding {
    finding(
        "azure.monitor.sustained-high-cpu",
        &mysql(),
        &[(
            "/sku/name",
            Some(json!("Standard_D2ds_v4")),
            json!("Standard_D4ds_v4"),
        )],
    )
}

#[test]
fn vm_size_changes_in_place_keeping_its_comment() {
    assert_eq!(
        fixed(&bigger_vm("web-1"), &vm("web-1"), "vms.tf", VMS),
        VMS.replacen("\"Standard_D2s_v5\" #", "\"Standard_D4s_v5\" #", 1)
    );
}

#[test]
fn the_legacy_vm_resource_uses_vm_size() {
    assert_eq!(
        fixed(&bigger_vm("legacy-1"), &vm("legacy-1"), "vms.tf", VMS),
        VMS.replace(
            "vm_size = \"Standard_D2s_v5\"",
            "vm_size = \"Standard_D4s_v5\""
        )
    );
}

#[test]
fn mysql_sku_keeps_the_tier_prefix() {
    assert_eq!(
        fixed(&bigger_sku(), &mysql(), "mysql.tf", MYSQL),
        MYSQL.replace("GP_Standard_D2ds_v4", "GP_Standard_D4ds_v4")
    );
}

#[test]
fn a_sku_of_another_size_is_drift() {
    let text = MYSQL.replace("GP_Standard_D2ds_v4", "GP_Standard_D8ds_v4");
    assert_eq!(
        cannot(&bigger_sku(), &mysql(), &[("mysql.tf", &text)]),
        "`sku_name` of `azurerm_mysql_flexible_server.orders` (mysql.tf:4) is \
         \"GP_Standard_D8ds_v4\" in the file but \"Standard_D2ds_v4\" on the live resource: the \
         source and the resource differ, so the finding may not apply to the file"
    );
}

#[test]
fn a_size_from_a_variable_cannot_be_fixed() {
    let text = VMS.replacen(
        "\"Standard_D2s_v5\" # doubled for the sale",
        "var.web_size",
        1,
    );
    assert_eq!(
        cannot(&bigger_vm("web-1"), &vm("web-1"), &[("vms.tf", &text)]),
        "`size` of `azurerm_linux_virtual_machine.web_1` (vms.tf:4) is set by the variable \
         `var.web_size`, not a literal: change it where that value is defined (this remediator \
         does not guess values behind expressions)"
    );
}
