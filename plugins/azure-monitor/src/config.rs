//! The plugin's configuration: its keys, defaults, validation and JSON Schema.

use aiops_sdk::knobs::{Knobs, PluginConfig, above, invalid};
use serde_json::json;

/// Settings of the `azure-monitor` plugin; every key is optional.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// CPU p95 above this percentage is sustained high CPU (default 85).
    pub cpu_p95_high: f64,
    /// Action group the alert hints propose (default none: no hint).
    pub default_action_group_id: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            cpu_p95_high: 85.0,
            default_action_group_id: None,
        }
    }
}

impl PluginConfig for Config {
    const TITLE: &'static str = "azure-monitor";

    fn read(k: &mut Knobs) -> Result<Config, String> {
        let d = Config::default();
        let cpu_p95_high = k
            .key(
                "cpu_p95_high",
                "CPU p95 (percent) above which a VM (Percentage CPU) or MySQL flexible server (cpu_percent) runs hot (azure.monitor.sustained-high-cpu); also the threshold of the CPU alert the azure.monitor.no-metric-alert hint proposes.",
            )
            .number(d.cpu_p95_high, above(0.0).at_most(100.0))?;
        let default_action_group_id: Option<String> = k
            .key(
                "default_action_group_id",
                "ARM id of the action group the hints of azure.monitor.no-metric-alert and azure.monitor.alert-without-action-group propose; without it those findings carry no hint.",
            )
            .schema(json!({"type": "string", "minLength": 1}))
            .get(d.default_action_group_id)?;
        Ok(Config {
            cpu_p95_high,
            default_action_group_id,
        })
    }

    fn check(&self) -> Result<(), String> {
        match &self.default_action_group_id {
            Some(id) if !is_action_group_id(id) => Err(invalid(
                "default_action_group_id",
                format!(
                    "must be the ARM id of an action group \
                     (/subscriptions/…/providers/microsoft.insights/actionGroups/NAME), got `{id}`"
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// A plausible action group ARM id.
fn is_action_group_id(id: &str) -> bool {
    let lower = id.to_ascii_lowercase();
    lower.starts_with("/subscriptions/")
        && lower
            .rsplit_once("/providers/microsoft.insights/actiongroups/")
            .is_some_and(|(_, name)| !name.is_empty() && !name.contains('/'))
}
