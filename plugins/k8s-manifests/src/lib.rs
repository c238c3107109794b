//! # k8s-manifests
//!
//! A built-in aiops remediator: applies a finding's remediation hint to the Kubernetes
//! YAML that defines the resource — requests and limits, replicas, probes (from
//! templates in its config) and `imagePullPolicy` — keeping every other byte of the
//! file: comments, key order, formatting and the other documents of a multi-document
//! file. Where a Kustomize patch sets the value the detector saw, the patch is edited.
//!
//! It says why instead of guessing when it cannot edit safely: JSON or templated
//! (Helm) files, anchors, aliases, tags or merge keys on the path, nested values in
//! flow style, values set by inline or JSON 6902 patches, and sources that disagree with
//! what the detector saw.

#![warn(missing_docs)]

pub mod config;
pub mod edit;
pub mod plan;
pub mod pointer;
pub mod sources;

use aiops_sdk::k8s::WORKLOAD_KINDS;
use aiops_sdk::kinds;
use aiops_sdk::knobs::PluginConfig;
use aiops_sdk::{Context, Finding, Outcome, PluginInfo, Remediator, Resource, SourceFile};

use crate::config::Config;
use crate::sources::Sources;

/// What this remediator fixes: the k8s-resources rules, and every k8s-workloads rule
/// (a prefix) — what it changes comes from each finding's hint.
pub const FIXES: [&str; 7] = [
    "k8s.resources.cpu-request-missing",
    "k8s.resources.memory-request-missing",
    "k8s.resources.cpu-limit-missing",
    "k8s.resources.memory-limit-missing",
    "k8s.resources.limit-below-request",
    "k8s.resources.limit-request-ratio",
    "k8s.workloads",
];

/// The `k8s-manifests` remediator.
pub struct K8sManifests;

impl Remediator for K8sManifests {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "k8s-manifests".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description:
                "Edits Kubernetes YAML manifests and Kustomize patches, keeping every other byte"
                    .to_string(),
            kinds: WORKLOAD_KINDS
                .iter()
                .chain(&[kinds::HORIZONTAL_POD_AUTOSCALER])
                .map(|k| k.to_string())
                .collect(),
            fixes: FIXES.iter().map(|id| id.to_string()).collect(),
            config_schema: Config::schema(),
            ..Default::default()
        }
    }

    fn remediate(
        ctx: &Context<'_>,
        finding: Finding,
        target: Resource,
        files: Vec<SourceFile>,
    ) -> Outcome {
        match remediate(ctx, &finding, &target, files) {
            Ok(edits) => Outcome::Edits(edits),
            Err(why) => Outcome::CannotFix(why),
        }
    }
}

fn remediate(
    ctx: &Context<'_>,
    finding: &Finding,
    target: &Resource,
    files: Vec<SourceFile>,
) -> Result<Vec<SourceFile>, String> {
    let config = Config::from_context(ctx)?;
    let raw: serde_json::Value = target.object().map_err(|e| e.to_string())?;
    let changes = plan::changes(finding, &raw, &config)?;
    let sources = Sources::read(files, target);
    for refused in &sources.refused {
        ctx.warn(&format!("patch ignored: {refused}"));
    }
    let who = match &target.namespace {
        Some(ns) => format!("{} {ns}/{}", target.kind, target.name),
        None => format!("{} {}", target.kind, target.name),
    };
    let base = match sources.bases.as_slice() {
        [one] => *one,
        [] => {
            let problems = sources.problems();
            return Err(if problems.is_empty() {
                format!("no document in the files handed over defines {who}")
            } else {
                format!("{who} cannot be edited: {}", problems.join("; "))
            });
        }
        many => {
            let places: Vec<String> = many.iter().map(|s| sources.describe(*s)).collect();
            return Err(format!(
                "{who} is defined more than once ({}): which one is deployed is unclear",
                places.join(", ")
            ));
        }
    };
    let mut changed = false;
    for change in &changes {
        changed |= plan::apply(&sources, base, change)?;
    }
    ctx.debug(if changed {
        "edited"
    } else {
        "already as proposed"
    });
    Ok(sources
        .files
        .iter()
        .filter_map(|f| {
            let text = f.yaml.as_ref()?.to_string();
            (text != f.original).then(|| SourceFile {
                path: f.path.clone(),
                content: text,
            })
        })
        .collect())
}

aiops_sdk::export_remediator!(K8sManifests);
