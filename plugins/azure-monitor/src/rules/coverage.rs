//! Coverage: every monitored resource should be scoped by an enabled metric alert.

use aiops_sdk::{Finding, RemediationHint, Resource};
use serde_json::json;

use super::{Checker, Rule, change, num};
use crate::arm::{AlertRule, Monitored};
use crate::{EVENTHUB, MYSQL, VM};

/// The metric, operator and threshold of the alert proposed for a kind, if any.
fn proposed_metric(kind: &str, cpu_p95_high: f64) -> Option<(&'static str, f64)> {
    match kind {
        VM => Some((super::VM_CPU, cpu_p95_high)),
        MYSQL => Some((super::MYSQL_CPU, cpu_p95_high)),
        EVENTHUB => Some(("ThrottledRequests", 0.0)),
        _ => None,
    }
}

impl Checker<'_> {
    /// No enabled alert scopes the resource, its resource group or its subscription.
    pub(super) fn no_metric_alert(
        &self,
        resource: &Resource,
        target: &Monitored,
        alerts: &[(&Resource, AlertRule)],
    ) -> Option<Finding> {
        if alerts.iter().any(|(_, alert)| alert.covers(&target.id)) {
            return None;
        }
        let disabled: Vec<&str> = alerts
            .iter()
            .filter(|(_, a)| {
                !a.properties.enabled
                    && a.properties
                        .scopes
                        .iter()
                        .any(|s| crate::arm::scope_covers(s, &target.id))
            })
            .map(|(_, a)| a.name.as_str())
            .collect();
        let mut message = format!(
            "`{}` ({}) is not scoped by any enabled metric alert rule",
            target.name, resource.kind
        );
        if disabled.is_empty() {
            message.push('.');
        } else {
            message.push_str(&format!(" (disabled: {}).", disabled.join(", ")));
        }
        let mut finding = Finding::new(self.rule(Rule::NoMetricAlert), resource, message)
            .evidence("arm_id", &target.id);
        if !disabled.is_empty() {
            finding = finding.evidence("disabled_alerts", disabled.join(", "));
        }
        let group = self.config.default_action_group_id.as_ref();
        let metric = proposed_metric(&resource.kind, self.config.cpu_p95_high);
        if let (Some(group), Some((metric, threshold))) = (group, metric) {
            let alert = json!({
                "name": format!("{}-{}", target.name, metric.to_ascii_lowercase().replace(' ', "-")),
                "scopes": [target.id],
                "metric": metric,
                "operator": "GreaterThan",
                "threshold": threshold,
                "actionGroupId": group,
            });
            finding = finding.remediation(RemediationHint {
                summary: format!(
                    "metric_alert: none → {metric} > {} on {}, notifying {group}",
                    num(threshold),
                    target.name
                ),
                changes: vec![change("/alerts/-", None, alert)],
            });
        }
        Some(finding)
    }
}
