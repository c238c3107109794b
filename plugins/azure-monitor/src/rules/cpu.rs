//! Sustained high CPU on VMs and MySQL flexible servers.

use aiops_sdk::{Finding, RemediationHint, Resource};
use serde_json::json;

use super::{Checker, Rule, change, num};
use crate::arm::Monitored;
use crate::sizes::{next_mysql_sku, next_vm_size};
use crate::{MYSQL, VM};

/// CPU metric of a VM, in percent.
pub const VM_CPU: &str = "Percentage CPU";
/// CPU metric of a MySQL flexible server, in percent.
pub const MYSQL_CPU: &str = "cpu_percent";

impl Checker<'_> {
    /// CPU p95 above `cpu_p95_high`; the hint proposes the next size when the table has it.
    pub(super) fn sustained_high_cpu(
        &self,
        resource: &Resource,
        target: &Monitored,
    ) -> Option<Finding> {
        let (metric_name, size, path, field) = match resource.kind.as_str() {
            VM => (
                VM_CPU,
                target.vm_size(),
                "/properties/hardwareProfile/vmSize",
                "vm_size",
            ),
            MYSQL => (
                MYSQL_CPU,
                target.sku.as_ref().map(|s| s.name.as_str()),
                "/sku/name",
                "sku_name",
            ),
            _ => return None,
        };
        let metric = resource.metric(metric_name, None)?;
        let p95 = metric.p95?;
        let high = self.config.cpu_p95_high;
        if p95 <= high {
            return None;
        }
        let window = metric.window_text();
        let message = format!(
            "`{}` ran at {metric_name} p95 {}% over {window}, above {}%.",
            target.name,
            num(p95),
            num(high)
        );
        let mut finding = Finding::new(self.rule(Rule::SustainedHighCpu), resource, message)
            .evidence("cpu_p95_percent", num(p95))
            .evidence("cpu_p95_high", num(high))
            .evidence("window", &window);
        if let Some(size) = size {
            finding = finding.evidence(field, size);
        }
        let next = size.and_then(|s| match resource.kind.as_str() {
            VM => next_vm_size(s),
            _ => next_mysql_sku(s),
        });
        if let (Some(size), Some(next)) = (size, next) {
            finding = finding.remediation(RemediationHint {
                summary: format!(
                    "{field}: {size} → {next}, {metric_name} p95 {}% over {window}",
                    num(p95)
                ),
                changes: vec![change(path, Some(json!(size)), json!(next))],
            });
        }
        Some(finding)
    }
}
