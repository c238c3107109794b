//! Azure sizing fixes for `azure.monitor.sustained-high-cpu`: the `size` of an azurerm
//! VM (`vm_size` of the legacy `azurerm_virtual_machine`) and the `sku_name` of an
//! `azurerm_mysql_flexible_server`, whose tier prefix (`GP_`, `B_`, `MO_`) the ARM SKU name
//! lacks and the file keeps.

use aiops_sdk::Resource;
use serde_json::Value;

use crate::alerts::monitored_types;
use crate::attribute::{Assignment, Matches, exactly};
use crate::fields::{self, Place};
use crate::hint::Change;
use crate::locate::{Wanted, target_block};
use crate::plan;
use crate::repo::Repo;
use crate::value::{Setting, setting};

/// Applies a size hint to the VM's or MySQL server's block.
pub fn fix(repo: &mut Repo, target: &Resource, changes: &[Change]) -> Result<(), String> {
    let types = monitored_types(&target.kind).unwrap_or(&[]);
    let block = target_block(
        repo,
        target,
        Wanted {
            types,
            attribute: "name",
            value: &target.name,
        },
    )?;
    let mut planned = Vec::new();
    for change in changes {
        let field = fields::find(fields::AZURE_SIZES, &change.pointer).ok_or_else(|| {
            format!(
                "{} has no Terraform attribute this remediator knows",
                change.pointer
            )
        })?;
        let Place::Own(mut attribute) = field.place else {
            unreachable!("size fields live on the resource's block")
        };
        let ty = repo.address(block);
        if attribute == "size" && ty.starts_with("azurerm_virtual_machine.") {
            attribute = "vm_size";
        }
        if attribute == "size" && ty.starts_with("azurerm_mysql_flexible_server.") {
            return Err(format!("{} is not a field of `{ty}`", change.pointer));
        }
        let (current, proposed) = with_tier(repo, block, attribute, change);
        planned.push((
            block,
            Assignment {
                attribute,
                field,
                current,
                proposed,
            },
            exactly as Matches,
        ));
    }
    plan::run(repo, planned)?;
    Ok(())
}

/// For `sku_name = "GP_Standard_D2ds_v4"` and a hint `Standard_D2ds_v4 → Standard_D4ds_v4`:
/// the file's value as current and `GP_Standard_D4ds_v4` as proposed. Otherwise the hint's.
fn with_tier(
    repo: &Repo,
    block: crate::repo::BlockRef,
    attribute: &str,
    change: &Change,
) -> (Option<Value>, Value) {
    let unchanged = (change.current.clone(), change.proposed.clone());
    if attribute != "sku_name" {
        return unchanged;
    }
    let file = repo
        .block(block)
        .body
        .get_attribute(attribute)
        .map(|a| setting(&a.value));
    let (Some(Setting::Literal(Value::String(file))), Some(live), Some(proposed)) = (
        file,
        change.current.as_ref().and_then(Value::as_str),
        change.proposed.as_str(),
    ) else {
        return unchanged;
    };
    // Already moved: the file holds the tier and the proposed SKU.
    if let Some(tier) = file
        .strip_suffix(proposed)
        .and_then(|t| t.strip_suffix('_'))
        && !tier.is_empty()
        && !tier.contains('_')
    {
        return (
            Some(Value::String(format!("{tier}_{live}"))),
            Value::String(file),
        );
    }
    match file.strip_suffix(live).and_then(|t| t.strip_suffix('_')) {
        Some(tier) if !tier.is_empty() && !tier.contains('_') => (
            Some(Value::String(file.clone())),
            Value::String(format!("{tier}_{proposed}")),
        ),
        _ => unchanged,
    }
}
