//! # k8s-resources
//!
//! A built-in aiops detector: checks the CPU and memory requests and limits of every
//! container (init containers included) of Kubernetes workloads. See [`rules`] for the
//! six rules and [`config::Config`] for the settings.

#![warn(missing_docs)]

pub mod amount;
pub mod config;
pub mod rules;

use aiops_sdk::k8s::{WORKLOAD_KINDS, Workload};
use aiops_sdk::knobs::PluginConfig;
use aiops_sdk::rules::RuleId;
use aiops_sdk::{Context, Detector, Finding, LogLevel, PluginInfo, Resource, kinds};

use crate::config::Config;
use crate::rules::Checker;

/// The `k8s-resources` detector.
pub struct K8sResources;

impl Detector for K8sResources {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "k8s-resources".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: "CPU and memory requests and limits of Kubernetes workload containers"
                .to_string(),
            kinds: WORKLOAD_KINDS.iter().map(|k| k.to_string()).collect(),
            rules: rules::Rule::infos(),
            config_schema: Config::schema(),
            per_resource: true,
            ..Default::default()
        }
    }

    /// Checks every container of every workload outside the excluded namespaces.
    ///
    /// A resource whose raw object cannot be read (e.g. a quantity `lots`) is skipped
    /// with a warning; only an invalid config fails the batch.
    fn detect(ctx: &Context<'_>, resources: Vec<Resource>) -> Result<Vec<Finding>, String> {
        let config = Config::from_context(ctx)?;
        let checker = Checker::new(&config);
        let mut findings = Vec::new();
        for resource in &resources {
            if config.excludes(resource.namespace.as_deref()) {
                continue;
            }
            match Workload::from_resource(resource) {
                // A Deployment's ReplicaSet is judged through the Deployment.
                Ok(Some(workload))
                    if workload.kind == kinds::REPLICA_SET && workload.metadata.is_owned() => {}
                Ok(Some(workload)) => {
                    for container in workload.containers() {
                        checker.check(resource, &container, &mut findings);
                    }
                }
                Ok(None) => {}
                Err(error) => ctx.log(
                    LogLevel::Warn,
                    "skipping a resource whose raw object cannot be read",
                    &[("resource", &resource.id), ("error", &error.to_string())],
                ),
            }
        }
        Ok(findings)
    }
}

aiops_sdk::export_detector!(K8sResources);
