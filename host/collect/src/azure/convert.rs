//! An ARM object as the REST API returns it → the inventory envelope the detectors read:
//! id `azure/RESOURCE-GROUP/SEGMENT/NAME`, the resource group as namespace, tags as
//! labels (sorted by key) and the ARM object itself as `raw`.

use std::collections::BTreeMap;

use aiops_sdk::{Platform, Resource};
use serde_json::Value;

use super::kinds::ResourceType;

/// Converts one ARM list item of type `rtype`; the error says which field is missing.
pub fn to_resource(rtype: &ResourceType, object: &Value) -> Result<Resource, String> {
    let arm_id = object
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("a {} item has no `id`", rtype.arm_type))?;
    let name = object
        .get("name")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("{arm_id}: no `name`"))?;
    let group = resource_group(arm_id).ok_or_else(|| format!("{arm_id}: no resource group"))?;
    let names = resource_names(arm_id);
    let path = if names.is_empty() {
        name.to_string()
    } else {
        names.join("/")
    };
    let labels: BTreeMap<String, String> = object
        .get("tags")
        .and_then(Value::as_object)
        .map(|tags| {
            tags.iter()
                .map(|(k, v)| {
                    let v = v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string());
                    (k.clone(), v)
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Resource {
        id: format!("azure/{group}/{}/{path}", rtype.segment),
        kind: rtype.kind.to_string(),
        platform: Platform::Azure,
        name: name.to_string(),
        namespace: Some(group.to_string()),
        labels: labels.into_iter().collect(),
        metrics: Vec::new(),
        raw: object.to_string(),
    })
}

/// The resource group of an ARM id (`/subscriptions/S/resourceGroups/RG/...`), as written.
pub fn resource_group(arm_id: &str) -> Option<&str> {
    let mut parts = arm_id.split('/');
    while let Some(part) = parts.next() {
        if part.eq_ignore_ascii_case("resourceGroups") {
            return parts.next().filter(|g| !g.is_empty());
        }
    }
    None
}

/// The resource names after `providers/NAMESPACE`: `[server, database]` for
/// `.../providers/Microsoft.Sql/servers/orders/databases/ledger`.
fn resource_names(arm_id: &str) -> Vec<&str> {
    let parts: Vec<&str> = arm_id.split('/').collect();
    let Some(at) = parts
        .iter()
        .rposition(|p| p.eq_ignore_ascii_case("providers"))
    else {
        return Vec::new();
    };
    // NAMESPACE, then TYPE/NAME pairs.
    parts[at + 2..]
        .chunks(2)
        .filter_map(|pair| pair.get(1).copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::kinds::{SQL_DATABASE, VM};
    use serde_json::json;

    #[test]
    fn a_vm_becomes_the_envelope_the_detector_reads() {
        let vm = json!({
            "id": "/subscriptions/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f/resourceGroups/shop/providers/Microsoft.Compute/virtualMachines/web-1",
            "name": "web-1",
            "type": "Microsoft.Compute/virtualMachines",
            "tags": {"team": "shop", "environment": "production"},
            "properties": {"hardwareProfile": {"vmSize": "Standard_D2s_v5"}}
        });
        let r = to_resource(&VM, &vm).unwrap();
        assert_eq!(r.id, "azure/shop/vm/web-1");
        assert_eq!(r.kind, "azure.compute.vm");
        assert_eq!(r.namespace.as_deref(), Some("shop"));
        assert_eq!(
            r.labels,
            vec![
                ("environment".to_string(), "production".to_string()),
                ("team".to_string(), "shop".to_string())
            ]
        );
        assert_eq!(serde_json::from_str::<Value>(&r.raw).unwrap(), vm);
    }

    #[test]
    fn a_database_is_named_by_server_and_database() {
        let db = json!({
            "id": "/subscriptions/s/resourceGroups/data/providers/Microsoft.Sql/servers/orders/databases/ledger",
            "name": "ledger"
        });
        let r = to_resource(&SQL_DATABASE, &db).unwrap();
        assert_eq!(r.id, "azure/data/sql-database/orders/ledger");
        assert_eq!(r.name, "ledger");
    }

    #[test]
    fn an_item_without_id_is_named_by_type() {
        let err = to_resource(&VM, &json!({"name": "x"})).unwrap_err();
        assert!(err.contains("Microsoft.Compute/virtualMachines"), "{err}");
    }
}
