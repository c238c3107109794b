//! # {{name}}
//!
//! An aiops detector: flags Deployments and StatefulSets that run fewer replicas than
//! `min_replicas` (2 by default). Start here: add rules to [`Rule`], check them in
//! [`{{type}}::detect`], add a fixture manifest and run `aiops plugin test`.

use aiops_sdk::k8s::Workload;
use aiops_sdk::knobs::{Knobs, PluginConfig, between};
use aiops_sdk::rules::RuleId;
use aiops_sdk::{Context, Detector, FieldChange, Finding, PluginInfo, RemediationHint, Resource};

aiops_sdk::rules! {
    /// The rules of this detector, in the order of its info.
    pub enum Rule {
        /// Rule id: a workload runs fewer replicas than `min_replicas`.
        TooFewReplicas / TOO_FEW_REPLICAS = "{{name}}.too-few-replicas" {
            severity: Medium,
            title: "Too few replicas",
            description: "A Deployment or StatefulSet with fewer replicas than `min_replicas` (2 by default; an unset `spec.replicas` counts as 1) stops serving whenever its one pod is rescheduled: a node drain, an eviction or a rolling update each take the service down for as long as the new pod needs to start. Run at least `min_replicas` replicas; the hint proposes that number.",
        },
    }
}

/// The detector's settings; every key is optional.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Fewer replicas than this are flagged (default 2).
    pub min_replicas: i64,
}

impl PluginConfig for Config {
    const TITLE: &'static str = "{{name}}";

    fn read(k: &mut Knobs) -> Result<Config, String> {
        Ok(Config {
            min_replicas: k
                .key("min_replicas", "Fewer replicas than this are flagged.")
                .whole(2, between(1.0, 100.0))?,
        })
    }
}

/// The `{{name}}` detector.
pub struct {{type}};

impl Detector for {{type}} {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "{{name}}".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: "Replicas of Deployments and StatefulSets".to_string(),
            kinds: vec!["Deployment".to_string(), "StatefulSet".to_string()],
            rules: Rule::infos(),
            config_schema: Config::schema(),
            per_resource: true,
            ..Default::default()
        }
    }

    fn detect(ctx: &Context<'_>, resources: Vec<Resource>) -> Result<Vec<Finding>, String> {
        let config = Config::from_context(ctx)?;
        let rule = Rule::TooFewReplicas.info();
        let mut findings = Vec::new();
        for resource in &resources {
            let Some(workload) = Workload::from_resource(resource).map_err(|e| e.to_string())?
            else {
                continue;
            };
            let replicas = workload.replicas.unwrap_or(1);
            if replicas >= config.min_replicas {
                continue;
            }
            let message = format!(
                "{} {} runs {replicas} replica(s), fewer than {}",
                resource.kind, resource.name, config.min_replicas
            );
            let current = workload.replicas.map(serde_json::Value::from);
            findings.push(
                Finding::new(&rule, resource, message)
                    .evidence("replicas", replicas)
                    .evidence("min_replicas", config.min_replicas)
                    .remediation(RemediationHint {
                        summary: format!("replicas: {replicas} -> {}", config.min_replicas),
                        changes: vec![FieldChange::json(
                            "/spec/replicas",
                            current,
                            config.min_replicas.into(),
                        )],
                    }),
            );
        }
        Ok(findings)
    }
}

aiops_sdk::export_detector!({{type}});
