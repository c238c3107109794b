//! The plugin's configuration: the template of the metric alerts it adds for
//! `azure.monitor.no-metric-alert`, with its defaults, validation and JSON Schema.

use std::collections::BTreeMap;

use aiops_sdk::knobs::{Knobs, PluginConfig, between, invalid};
use serde_json::json;

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

const AGGREGATIONS: &[&str] = &["Average", "Count", "Minimum", "Maximum", "Total"];

impl PluginConfig for Config {
    const TITLE: &'static str = "terraform";

    fn read(k: &mut Knobs) -> Result<Config, String> {
        let d = Config::default();
        let text = || json!({"type": "string", "minLength": 1});
        Ok(Config {
            alert_file: k
                .key(
                    "alert_file",
                    "Repository path of the .tf file new azurerm_monitor_metric_alert blocks go to, when the host passes it; otherwise a passed file that already holds metric alerts, else the file defining the watched resource.",
                )
                .schema(text())
                .get(d.alert_file)?,
            alert_resource_group_name: k
                .key(
                    "alert_resource_group_name",
                    "resource_group_name of new alerts, as a literal; by default the watched resource's own resource_group_name expression, else its resource group from the ARM id.",
                )
                .schema(text())
                .get(d.alert_resource_group_name)?,
            alert_action_group_id: k
                .key(
                    "alert_action_group_id",
                    "ARM id of the action group new alerts and alerts without one notify, instead of the one in the finding's hint.",
                )
                .schema(text())
                .get(d.alert_action_group_id)?,
            alert_severity: k
                .key(
                    "alert_severity",
                    "severity of new alerts (0 critical … 4 verbose).",
                )
                .whole(d.alert_severity.into(), between(0.0, 4.0))? as u8,
            alert_frequency: k
                .key(
                    "alert_frequency",
                    "frequency (ISO 8601 duration) of new alerts.",
                )
                .get(d.alert_frequency)?,
            alert_window_size: k
                .key(
                    "alert_window_size",
                    "window_size (ISO 8601 duration) of new alerts.",
                )
                .get(d.alert_window_size)?,
            alert_aggregation: k
                .key("alert_aggregation", "criteria aggregation of new alerts.")
                .schema(json!({"type": "string"}))
                .one_of(AGGREGATIONS)
                .get(d.alert_aggregation)?,
            alert_thresholds: k
                .key(
                    "alert_thresholds",
                    "Threshold per metric name (e.g. {\"Percentage CPU\": 90}) overriding the one in the finding's hint.",
                )
                .schema(json!({"additionalProperties": {"type": "number"}}))
                .get(d.alert_thresholds)?,
        })
    }

    fn check(&self) -> Result<(), String> {
        if let Some(id) = &self.alert_action_group_id
            && !id.to_ascii_lowercase().starts_with("/subscriptions/")
        {
            return Err(invalid(
                "alert_action_group_id",
                format!("must be the ARM id of an action group, got `{id}`"),
            ));
        }
        Ok(())
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
