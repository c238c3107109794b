//! The four rules: their stable ids and documentation, and the checker that runs them.
//! Alert coverage is in [`coverage`], alert rule hygiene in [`alerts`], CPU in [`cpu`].

mod alerts;
mod coverage;
mod cpu;

use aiops_sdk::rules::RuleTable;
use aiops_sdk::{FieldChange, Finding, Resource, RuleInfo};
use serde_json::Value;

use crate::arm::{AlertRule, Monitored};
use crate::config::Config;

pub use cpu::{MYSQL_CPU, VM_CPU};

aiops_sdk::rules! {
    /// The rules, in the order of the plugin's info.
    pub enum Rule {
        /// Rule id: a monitored resource that no enabled metric alert scopes.
        NoMetricAlert / NO_METRIC_ALERT = "azure.monitor.no-metric-alert" {
            severity: Medium,
            title: "No metric alert",
            description: "A virtual machine, SQL server, MySQL flexible server or Event Hubs namespace that no \
                 enabled metric alert rule scopes fails silently: nobody is told when it runs out of \
                 CPU or throttles its clients. An alert counts when one of its scopes is the \
                 resource's ARM id or a resource group or subscription id containing it (compared \
                 without regard to case); disabled alerts do not count. When `default_action_group_id` \
                 is set the hint adds a new alert (path `/alerts/-`) scoped to the resource, on \
                 `Percentage CPU` (VMs) or `cpu_percent` (MySQL) above `cpu_p95_high` (85 by default) \
                 or on Event Hubs `ThrottledRequests` above 0, notifying that action group; SQL \
                 servers and configs without an action group get no hint.",
        },
        /// Rule id: a metric alert rule that is disabled.
        AlertDisabled / ALERT_DISABLED = "azure.monitor.alert-disabled" {
            severity: Low,
            title: "Metric alert disabled",
            description: "A metric alert rule with `enabled` false evaluates nothing and notifies nobody, while \
                 its presence suggests the resources it scopes are watched; the resources it alone \
                 covers are also reported by azure.monitor.no-metric-alert. Re-enable it, or delete \
                 it when it is no longer wanted. The hint sets `/properties/enabled` to true.",
        },
        /// Rule id: a metric alert rule without any action group.
        AlertWithoutActionGroup / ALERT_WITHOUT_ACTION_GROUP = "azure.monitor.alert-without-action-group" {
            severity: Medium,
            title: "Metric alert without action group",
            description: "A metric alert rule with an empty `actions` list fires only into the Azure portal's \
                 alert list: no e-mail, page, webhook or automation is triggered, so in practice \
                 nobody learns that it fired. Attach an action group that reaches the owning team. \
                 When `default_action_group_id` is set the hint appends it to `/properties/actions`; \
                 otherwise there is no hint.",
        },
        /// Rule id: CPU p95 of a VM or MySQL flexible server above `cpu_p95_high`.
        SustainedHighCpu / SUSTAINED_HIGH_CPU = "azure.monitor.sustained-high-cpu" {
            severity: High,
            title: "Sustained high CPU",
            description: "A virtual machine whose `Percentage CPU` p95, or a MySQL flexible server whose \
                 `cpu_percent` p95, is above `cpu_p95_high` (85 by default) over the collection \
                 window is saturated for long stretches, not just at a peak: latency grows and a \
                 traffic spike has no headroom. The hint proposes the next larger size in the same \
                 family when the plugin's small size table knows it (Dsv5 and B-series VMs; \
                 Ddsv4 and B-series MySQL SKUs); other sizes get no hint. Not judged without the \
                 metric's p95.",
        },
    }
}

/// Runs the rules with one config; build once per batch.
pub struct Checker<'a> {
    config: &'a Config,
    rules: RuleTable<Rule>,
}

/// A field change of the raw object (`path` a JSON pointer); values as JSON.
fn change(path: &str, current: Option<Value>, proposed: Value) -> FieldChange {
    FieldChange {
        path: path.to_string(),
        current: current.map(|v| v.to_string()),
        proposed: proposed.to_string(),
    }
}

/// Formats a number without a useless `.0`: `93`, `88.5`.
fn num(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded}")
    }
}

impl<'a> Checker<'a> {
    /// A checker for `config`.
    pub fn new(config: &'a Config) -> Self {
        Checker {
            config,
            rules: RuleTable::new(),
        }
    }

    fn rule(&self, rule: Rule) -> &RuleInfo {
        self.rules.get(rule)
    }

    /// Appends the findings about one monitored resource to `out`; `alerts` are all the
    /// readable alert rules of the batch.
    pub fn check_resource(
        &self,
        resource: &Resource,
        target: &Monitored,
        alerts: &[(&Resource, AlertRule)],
        out: &mut Vec<Finding>,
    ) {
        out.extend(self.no_metric_alert(resource, target, alerts));
        out.extend(self.sustained_high_cpu(resource, target));
    }

    /// Appends the findings about one alert rule to `out`.
    pub fn check_alert(&self, resource: &Resource, alert: &AlertRule, out: &mut Vec<Finding>) {
        out.extend(self.alert_disabled(resource, alert));
        out.extend(self.alert_without_action_group(resource, alert));
    }
}
