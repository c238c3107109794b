//! Namespace guard rails: a LimitRange and a ResourceQuota where workloads run.

use aiops_sdk::{Finding, Resource};

use super::{Checker, Rule};
use crate::inventory::Inventory;

impl Checker<'_> {
    /// `namespace-without-limitrange` and `namespace-without-resourcequota` on one
    /// Namespace object.
    pub(super) fn namespace(
        &self,
        inventory: &Inventory<'_>,
        namespace: &Resource,
        out: &mut Vec<Finding>,
    ) {
        let name = namespace.name.as_str();
        let workloads = inventory.workloads_in(name);
        if workloads == 0 && !self.config.include_empty_namespaces {
            return;
        }
        let missing = [
            (
                Rule::NamespaceWithoutLimitRange,
                inventory.limit_ranges.contains(name),
                "LimitRange",
                "containers that set no requests or limits get none",
            ),
            (
                Rule::NamespaceWithoutResourceQuota,
                inventory.quotas.contains(name),
                "ResourceQuota",
                "nothing bounds what it can take from the cluster",
            ),
        ];
        for (rule, present, object, consequence) in missing {
            if present {
                continue;
            }
            let plural = if workloads == 1 { "" } else { "s" };
            let message = format!(
                "Namespace `{name}` runs {workloads} workload{plural} and has no {object}, so \
                 {consequence}."
            );
            out.push(
                Finding::new(self.rule(rule), namespace, message).evidence("workloads", workloads),
            );
        }
    }
}
