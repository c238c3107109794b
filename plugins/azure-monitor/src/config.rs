//! The plugin's configuration: its keys, defaults, validation and JSON Schema.

use aiops_sdk::Context;
use aiops_sdk::knobs::{Knobs, invalid};

/// JSON Schema of [`Config`], published in the plugin's info.
pub const CONFIG_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "azure-monitor",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "cpu_p95_high": {
      "description": "CPU p95 (percent) above which a VM (Percentage CPU) or MySQL flexible server (cpu_percent) runs hot (azure.monitor.sustained-high-cpu); also the threshold of the CPU alert the azure.monitor.no-metric-alert hint proposes.",
      "type": "number", "exclusiveMinimum": 0, "maximum": 100, "default": 85
    },
    "default_action_group_id": {
      "description": "ARM id of the action group the hints of azure.monitor.no-metric-alert and azure.monitor.alert-without-action-group propose; without it those findings carry no hint.",
      "type": "string", "minLength": 1
    }
  }
}"#;

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

impl Config {
    /// Reads and validates the config the host passed; the error names the offending key.
    pub fn from_context(ctx: &Context<'_>) -> Result<Config, String> {
        Config::parse(ctx.config_json())
    }

    /// Reads and validates a config document (JSON, empty means all defaults).
    pub fn parse(json: &str) -> Result<Config, String> {
        let d = Config::default();
        let mut k = Knobs::parse(json)?;
        let cpu_p95_high = k.number("cpu_p95_high", d.cpu_p95_high, 0.0..=100.0)?;
        if cpu_p95_high <= 0.0 {
            return Err(invalid("cpu_p95_high", "must be above 0"));
        }
        let default_action_group_id: Option<String> =
            k.get("default_action_group_id", d.default_action_group_id)?;
        k.finish()?;
        if let Some(id) = &default_action_group_id
            && !is_action_group_id(id)
        {
            return Err(invalid(
                "default_action_group_id",
                format!(
                    "must be the ARM id of an action group \
                     (/subscriptions/…/providers/microsoft.insights/actionGroups/NAME), got `{id}`"
                ),
            ));
        }
        Ok(Config {
            cpu_p95_high,
            default_action_group_id,
        })
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
