//! Typed views of the raw ARM objects the rules read, under ARM's own field names.

use aiops_sdk::Resource;
use serde::Deserialize;
use serde_json::Value;

/// A monitored resource (VM, SQL server, MySQL flexible server, Event Hubs namespace):
/// the ARM fields the rules read; `id` and `name` are required.
#[derive(Debug, Clone, Deserialize)]
pub struct Monitored {
    /// Full ARM resource id, e.g. `/subscriptions/…/resourceGroups/shop/providers/Microsoft.Compute/virtualMachines/web-1`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `type`, e.g. `Microsoft.Compute/virtualMachines`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// `location`.
    #[serde(default)]
    pub location: Option<String>,
    /// `sku`, on MySQL flexible servers and Event Hubs namespaces.
    #[serde(default)]
    pub sku: Option<Sku>,
    /// `properties` as given.
    #[serde(default)]
    pub properties: Value,
}

/// `sku`.
#[derive(Debug, Clone, Deserialize)]
pub struct Sku {
    /// `sku.name`, e.g. `Standard_D2ds_v4`.
    pub name: String,
}

impl Monitored {
    /// Reads the raw object of `resource`; an empty `id` is an error.
    pub fn from_resource(resource: &Resource) -> Result<Monitored, String> {
        let m: Monitored = resource.object().map_err(|e| e.to_string())?;
        if m.id.trim().is_empty() {
            return Err(format!(
                "raw object of resource `{}` has an empty `id`",
                resource.id
            ));
        }
        Ok(m)
    }

    /// `properties.hardwareProfile.vmSize` of a VM.
    pub fn vm_size(&self) -> Option<&str> {
        self.properties
            .pointer("/hardwareProfile/vmSize")
            .and_then(Value::as_str)
    }
}

/// A metric alert rule (`Microsoft.Insights/metricAlerts`).
#[derive(Debug, Clone, Deserialize)]
pub struct AlertRule {
    /// Full ARM id of the alert rule.
    #[serde(default)]
    pub id: Option<String>,
    /// `name`.
    pub name: String,
    /// `properties`.
    pub properties: AlertProperties,
}

/// `properties` of a metric alert.
#[derive(Debug, Clone, Deserialize)]
pub struct AlertProperties {
    /// `enabled`.
    pub enabled: bool,
    /// `scopes`: ARM ids of resources, resource groups or subscriptions.
    pub scopes: Vec<String>,
    /// `actions`; absent reads as none.
    #[serde(default)]
    pub actions: Vec<Action>,
    /// `severity`, 0 (critical) to 4 (verbose).
    #[serde(default)]
    pub severity: Option<u8>,
    /// `criteria` as given.
    #[serde(default)]
    pub criteria: Value,
}

/// One entry of `actions`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    /// `actionGroupId`.
    pub action_group_id: String,
}

impl AlertRule {
    /// Reads the raw object of `resource`.
    pub fn from_resource(resource: &Resource) -> Result<AlertRule, String> {
        resource.object().map_err(|e| e.to_string())
    }

    /// True when the alert is enabled and one of its scopes is `arm_id` or contains it
    /// (a resource group or subscription id that is a path prefix), ignoring case.
    pub fn covers(&self, arm_id: &str) -> bool {
        self.properties.enabled
            && self
                .properties
                .scopes
                .iter()
                .any(|s| scope_covers(s, arm_id))
    }
}

/// True when `scope` is `arm_id` or a path prefix of it (ending at a `/`), ignoring case
/// and trailing slashes.
pub fn scope_covers(scope: &str, arm_id: &str) -> bool {
    let scope = scope.trim().trim_end_matches('/').to_ascii_lowercase();
    let id = arm_id.trim().trim_end_matches('/').to_ascii_lowercase();
    if scope.is_empty() {
        return false;
    }
    id == scope
        || id
            .strip_prefix(&scope)
            .is_some_and(|rest| rest.starts_with('/'))
}
