//! The plugin's configuration: the template of the metric alerts it adds for
//! `azure.monitor.no-metric-alert`, with its defaults, validation and JSON Schema.

use std::collections::BTreeMap;

use aiops_sdk::Context;
use aiops_sdk::knobs::{Knobs, invalid};

/// JSON Schema of the config.
pub const CONFIG_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "terraform",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "alert_file": {
      "description": "Repository path of the .tf file new azurerm_monitor_metric_alert blocks go to, when the host passes it; otherwise a passed file that already holds metric alerts, else the file defining the watched resource.",
      "type": "string", "minLength": 1
    },
    "alert_resource_group_name": {
      "description": "resource_group_name of new alerts, as a literal; by default the watched resource's own resource_group_name expression, else its resource group from the ARM id.",
      "type": "string", "minLength": 1
    },
    "alert_action_group_id": {
      "description": "ARM id of the action group new alerts and alerts without one notify, instead of the one in the finding's hint.",
      "type": "string", "minLength": 1
    },
    "alert_severity": {
      "description": "severity of new alerts (0 critical … 4 verbose).",
      "type": "integer", "minimum": 0, "maximum": 4, "default": 2
    },
    "alert_frequency": {
      "description": "frequency (ISO 8601 duration) of new alerts.",
      "type": "string", "default": "PT5M"
    },
    "alert_window_size": {
      "description": "window_size (ISO 8601 duration) of new alerts.",
      "type": "string", "default": "PT15M"
    },
    "alert_aggregation": {
      "description": "criteria aggregation of new alerts.",
      "type": "string", "enum": ["Average", "Count", "Minimum", "Maximum", "Total"], "default": "Average"
    },
    "alert_thresholds": {
      "description": "Threshold per metric name (e.g. {\"Percentage CPU\": 90}) overriding the one in the finding's hint.",
      "type": "object", "additionalProperties": {"type": "number"}
    }
  }
}"#;

/// The settings of new metric alerts.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Where new alerts go, when passed.
    pub alert_file: Option<String>,
    /// A literal resource group for new alerts.
    pub alert_resource_group_name: Option<String>,
    /// Overrides the hint's action group.
    pub alert_action_group_id: Option<String>,
    /// Alert severity, 0–4.
    pub alert_severity: u8,
    /// Evaluation frequency.
    pub alert_frequency: String,
    /// Window size.
    pub alert_window_size: String,
    /// Criteria aggregation.
    pub alert_aggregation: String,
    /// Thresholds per metric name.
    pub alert_thresholds: BTreeMap<String, f64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            alert_file: None,
            alert_resource_group_name: None,
            alert_action_group_id: None,
            alert_severity: 2,
            alert_frequency: "PT5M".to_string(),
            alert_window_size: "PT15M".to_string(),
            alert_aggregation: "Average".to_string(),
            alert_thresholds: BTreeMap::new(),
        }
    }
}

const AGGREGATIONS: [&str; 5] = ["Average", "Count", "Minimum", "Maximum", "Total"];

impl Config {
    /// The config the host passed.
    pub fn from_context(ctx: &Context<'_>) -> Result<Config, String> {
        Config::parse(ctx.config_json())
    }

    /// Parses and validates a config document; unknown keys are an error.
    pub fn parse(json: &str) -> Result<Config, String> {
        let d = Config::default();
        let mut k = Knobs::parse(json)?;
        let alert_file = k.get("alert_file", d.alert_file)?;
        let alert_resource_group_name =
            k.get("alert_resource_group_name", d.alert_resource_group_name)?;
        let alert_action_group_id: Option<String> =
            k.get("alert_action_group_id", d.alert_action_group_id)?;
        let severity = k.number("alert_severity", f64::from(d.alert_severity), 0.0..=4.0)?;
        let alert_frequency = k.get("alert_frequency", d.alert_frequency)?;
        let alert_window_size = k.get("alert_window_size", d.alert_window_size)?;
        let alert_aggregation: String = k.get("alert_aggregation", d.alert_aggregation)?;
        let alert_thresholds = k.get("alert_thresholds", d.alert_thresholds)?;
        k.finish()?;
        if severity.fract() != 0.0 {
            return Err(invalid(
                "alert_severity",
                "must be a whole number from 0 to 4",
            ));
        }
        if !AGGREGATIONS.contains(&alert_aggregation.as_str()) {
            return Err(invalid(
                "alert_aggregation",
                format!("must be one of {}", AGGREGATIONS.join(", ")),
            ));
        }
        if let Some(id) = &alert_action_group_id
            && !id.to_ascii_lowercase().starts_with("/subscriptions/")
        {
            return Err(invalid(
                "alert_action_group_id",
                format!("must be the ARM id of an action group, got `{id}`"),
            ));
        }
        Ok(Config {
            alert_file,
            alert_resource_group_name,
            alert_action_group_id,
            alert_severity: severity as u8,
            alert_frequency,
            alert_window_size,
            alert_aggregation,
            alert_thresholds,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_gives_the_defaults() {
        assert_eq!(Config::parse("{}").unwrap(), Config::default());
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn bad_values_name_their_key() {
        assert!(
            Config::parse(r#"{"alert_severity": 5}"#)
                .unwrap_err()
                .contains("alert_severity")
        );
        assert!(
            Config::parse(r#"{"alert_aggregation": "Mean"}"#)
                .unwrap_err()
                .contains("alert_aggregation")
        );
        assert!(
            Config::parse(r#"{"alert_action_group_id": "ops"}"#)
                .unwrap_err()
                .contains("alert_action_group_id")
        );
        assert!(
            Config::parse(r#"{"alert_color": "red"}"#)
                .unwrap_err()
                .contains("alert_color")
        );
    }

    #[test]
    fn thresholds_are_read_per_metric() {
        let c = Config::parse(r#"{"alert_thresholds": {"Percentage CPU": 90}}"#).unwrap();
        assert_eq!(c.alert_thresholds["Percentage CPU"], 90.0);
    }
}
