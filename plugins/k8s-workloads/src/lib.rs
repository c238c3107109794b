//! # k8s-workloads
//!
//! A built-in aiops detector for how Kubernetes workloads are run: single replicas with no
//! PodDisruptionBudget, missing liveness and readiness probes, mutable image tags and
//! their pull policy, requests and limits judged against observed usage, namespaces
//! without a LimitRange or ResourceQuota, and HPAs that cannot scale. Several rules look
//! across resources (a PDB selecting a Deployment's pods, an HPA scaling it, the objects
//! of a namespace), so the plugin takes the whole batch (`per_resource: false`). See
//! [`rules`] for the rules and [`config::Config`] for the settings.

#![warn(missing_docs)]

pub mod config;
pub mod image;
pub mod inventory;
pub mod rules;
pub mod selector;

use aiops_sdk::k8s::WORKLOAD_KINDS;
use aiops_sdk::rules::RuleId;
use aiops_sdk::{Context, Detector, Finding, LogLevel, PluginInfo, Resource, kinds};

use aiops_sdk::knobs::PluginConfig;

use crate::config::Config;
use crate::inventory::Inventory;
use crate::rules::Checker;

/// Kinds read besides the workloads themselves.
pub const RELATED_KINDS: [&str; 5] = [
    kinds::POD_DISRUPTION_BUDGET,
    kinds::HORIZONTAL_POD_AUTOSCALER,
    kinds::NAMESPACE,
    kinds::LIMIT_RANGE,
    kinds::RESOURCE_QUOTA,
];

/// The `k8s-workloads` detector.
pub struct K8sWorkloads;

impl Detector for K8sWorkloads {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "k8s-workloads".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: "Availability, probes, image tags, usage-based sizing and namespace \
                          guard rails of Kubernetes workloads"
                .to_string(),
            kinds: WORKLOAD_KINDS
                .iter()
                .chain(RELATED_KINDS.iter())
                .map(|k| k.to_string())
                .collect(),
            rules: rules::Rule::infos(),
            config_schema: Config::schema(),
            per_resource: false,
            ..Default::default()
        }
    }

    /// Indexes the batch and runs every rule on it.
    ///
    /// A resource whose raw object cannot be read is skipped with a warning; only an
    /// invalid config fails the batch.
    fn detect(ctx: &Context<'_>, resources: Vec<Resource>) -> Result<Vec<Finding>, String> {
        let config = Config::from_context(ctx)?;
        let (inventory, unreadable) = Inventory::build(&resources);
        for skipped in &unreadable {
            ctx.log(
                LogLevel::Warn,
                "skipping a resource whose raw object cannot be read",
                &[("resource", &skipped.resource), ("error", &skipped.error)],
            );
        }
        Ok(Checker::new(&config).check(&inventory))
    }
}

aiops_sdk::export_detector!(K8sWorkloads);
