//! Hygiene of metric alert rules: disabled, or without an action group.

use aiops_sdk::{Finding, RemediationHint, Resource};
use serde_json::json;

use super::{Checker, Rule, change};
use crate::arm::AlertRule;

impl Checker<'_> {
    /// `properties.enabled` false.
    pub(super) fn alert_disabled(&self, resource: &Resource, alert: &AlertRule) -> Option<Finding> {
        if alert.properties.enabled {
            return None;
        }
        let scopes = alert.properties.scopes.len();
        let plural = if scopes == 1 { "" } else { "s" };
        let message = format!(
            "Metric alert `{}` is disabled: it watches none of its {scopes} scope{plural}.",
            alert.name
        );
        Some(
            Finding::new(self.rule(Rule::AlertDisabled), resource, message)
                .evidence("enabled", false)
                .evidence("scopes", alert.properties.scopes.join(", "))
                .remediation(RemediationHint {
                    summary: "enabled: false → true".to_string(),
                    changes: vec![change(
                        "/properties/enabled",
                        Some(json!(false)),
                        json!(true),
                    )],
                }),
        )
    }

    /// `properties.actions` empty; the hint appends `default_action_group_id`.
    pub(super) fn alert_without_action_group(
        &self,
        resource: &Resource,
        alert: &AlertRule,
    ) -> Option<Finding> {
        if !alert.properties.actions.is_empty() {
            return None;
        }
        let message = format!(
            "Metric alert `{}` has no action group: when it fires nobody is notified.",
            alert.name
        );
        let mut finding = Finding::new(self.rule(Rule::AlertWithoutActionGroup), resource, message)
            .evidence("actions", 0)
            .evidence("enabled", alert.properties.enabled);
        if let Some(group) = &self.config.default_action_group_id {
            finding = finding.remediation(RemediationHint {
                summary: format!("action_group: none → {group}"),
                changes: vec![change(
                    "/properties/actions/-",
                    None,
                    json!({ "actionGroupId": group }),
                )],
            });
        }
        Some(finding)
    }
}
