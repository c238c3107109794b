//! # azure-monitor
//!
//! A built-in aiops detector for Azure Monitor: virtual machines, SQL servers, MySQL
//! flexible servers and Event Hubs namespaces that no enabled metric alert watches,
//! disabled metric alerts, metric alerts without an action group, and sustained high CPU
//! on VMs and MySQL flexible servers. See [`rules`] for the four rules and
//! [`config::Config`] for the settings.
//!
//! Rules look across resources (an alert covers the resources its scopes name), so the
//! detector is not `per_resource`: the host sends it the whole batch. Alert scopes are
//! full ARM ids, matched case-insensitively against the raw objects' `id` fields, never
//! against the inventory's envelope ids.

#![warn(missing_docs)]

pub mod arm;
pub mod config;
pub mod rules;
pub mod sizes;

use aiops_sdk::rules::RuleId;
use aiops_sdk::{Context, Detector, Finding, LogLevel, PluginInfo, Resource, kinds};

use crate::arm::{AlertRule, Monitored};
use aiops_sdk::knobs::PluginConfig;

use crate::config::Config;
use crate::rules::Checker;

/// Kind of virtual machines (`Microsoft.Compute/virtualMachines`).
pub const VM: &str = kinds::AZURE_VM;
/// Kind of Azure SQL logical servers (`Microsoft.Sql/servers`).
pub const SQL_SERVER: &str = kinds::AZURE_SQL_SERVER;
/// Kind of MySQL flexible servers (`Microsoft.DBforMySQL/flexibleServers`).
pub const MYSQL: &str = kinds::AZURE_MYSQL_FLEXIBLE_SERVER;
/// Kind of Event Hubs namespaces (`Microsoft.EventHub/namespaces`).
pub const EVENTHUB: &str = kinds::AZURE_EVENTHUB_NAMESPACE;
/// Kind of metric alert rules (`Microsoft.Insights/metricAlerts`).
pub const METRIC_ALERT: &str = kinds::AZURE_METRIC_ALERT;

/// The kinds that should be watched by a metric alert.
pub const MONITORED_KINDS: [&str; 4] = [VM, SQL_SERVER, MYSQL, EVENTHUB];

/// The `azure-monitor` detector.
pub struct AzureMonitor;

impl Detector for AzureMonitor {
    fn info() -> PluginInfo {
        let mut kinds: Vec<String> = MONITORED_KINDS.iter().map(|k| k.to_string()).collect();
        kinds.push(METRIC_ALERT.to_string());
        PluginInfo {
            name: "azure-monitor".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: "Metric alert coverage and hygiene, and sustained high CPU, of Azure \
                          resources"
                .to_string(),
            kinds,
            rules: rules::Rule::infos(),
            config_schema: Config::schema(),
            per_resource: false,
            ..Default::default()
        }
    }

    /// Reads every alert and every monitored resource, then judges them.
    ///
    /// A resource whose raw object cannot be read is skipped with a warning (an alert that
    /// cannot be read covers nothing); only an invalid config fails the batch.
    fn detect(ctx: &Context<'_>, resources: Vec<Resource>) -> Result<Vec<Finding>, String> {
        let config = Config::from_context(ctx)?;
        let mut alerts = Vec::new();
        let mut monitored = Vec::new();
        for resource in &resources {
            let parsed = if resource.kind == METRIC_ALERT {
                AlertRule::from_resource(resource).map(|a| alerts.push((resource, a)))
            } else {
                Monitored::from_resource(resource).map(|m| monitored.push((resource, m)))
            };
            if let Err(error) = parsed {
                ctx.log(
                    LogLevel::Warn,
                    "skipping a resource whose raw object cannot be read",
                    &[("resource", &resource.id), ("error", &error)],
                );
            }
        }
        let checker = Checker::new(&config);
        let mut findings = Vec::new();
        for (resource, target) in &monitored {
            checker.check_resource(resource, target, &alerts, &mut findings);
        }
        for (resource, alert) in &alerts {
            checker.check_alert(resource, alert, &mut findings);
        }
        Ok(findings)
    }
}

aiops_sdk::export_detector!(AzureMonitor);
