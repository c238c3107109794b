//! # terraform
//!
//! A built-in aiops remediator for Terraform: it turns the remediation hints of the RDS
//! MySQL, Kinesis and Azure Monitor detectors (alerts and sizes) into edits of the `.tf` files that define
//! the resource, with `hcl-edit`, keeping every other byte (comments, attribute order,
//! alignment, other blocks).
//!
//! The block is found by the resource's `aiops.io/source` tag (`PATH#TYPE.NAME`) when it has
//! one, else by the attribute holding the cloud name (`identifier` of `aws_db_instance`,
//! `name` of `aws_kinesis_stream` and azurerm resources). The hint's JSON-pointer changes
//! on the API object map to attributes through [`fields`]. It never guesses: a value set
//! through a variable, a local or any expression, a block with `count`/`for_each`, a block
//! that is missing or ambiguous, or a file that disagrees with the live resource gives a
//! cannot-fix with the reason; a file already at the proposed value gives no edit.
//!
//! The host passes the `.tf` files to search (other files are ignored): at least the one
//! defining the resource; the whole module directory is best, so that references (the
//! action group's block, the watched VM's block) and the file holding the other metric
//! alerts can be found. Paths are relative to the repository root and come back unchanged
//! in the edits, which hold the whole new content of the changed files only.
//!
//! Changes that replace the resource (`storage_encrypted`) get a comment line above the
//! attribute saying so, and a warning in the host's log.

#![warn(missing_docs)]

pub mod alerts;
pub mod attribute;
pub mod config;
pub mod edit;
pub mod fields;
pub mod hint;
pub mod kinesis;
pub mod locate;
pub mod plan;
pub mod rds;
pub mod repo;
pub mod rules;
pub mod sizes;
pub mod value;

use aiops_sdk::knobs::PluginConfig;
use aiops_sdk::{
    Context, Finding, LogLevel, Outcome, PluginInfo, Remediator, Resource, SourceFile,
};

use crate::config::Config;
use crate::repo::Repo;

/// The `terraform` remediator.
pub struct Terraform;

impl Remediator for Terraform {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "terraform".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: "Fixes RDS, Kinesis and Azure Monitor findings in Terraform HCL, \
                          keeping every other byte of the files"
                .to_string(),
            fixes: rules::fixes(),
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
        match fix(ctx, &finding, &target, files) {
            Ok(edits) => {
                let paths: Vec<&str> = edits.iter().map(|e| e.path.as_str()).collect();
                ctx.log(
                    LogLevel::Debug,
                    if edits.is_empty() {
                        "the files already say the proposed values"
                    } else {
                        "edited"
                    },
                    &[
                        ("rule", &finding.rule),
                        ("resource", &target.id),
                        ("files", &paths.join(", ")),
                    ],
                );
                Outcome::Edits(edits)
            }
            Err(reason) => {
                ctx.log(
                    LogLevel::Info,
                    "cannot fix",
                    &[
                        ("rule", &finding.rule),
                        ("resource", &target.id),
                        ("reason", &reason),
                    ],
                );
                Outcome::CannotFix(reason)
            }
        }
    }
}

/// The edits for one finding, or why there are none.
fn fix(
    ctx: &Context<'_>,
    finding: &Finding,
    target: &Resource,
    files: Vec<SourceFile>,
) -> Result<Vec<SourceFile>, String> {
    if !rules::fixes_rule(&finding.rule) {
        return Err(format!(
            "rule `{}` is not one this remediator fixes",
            finding.rule
        ));
    }
    if finding.resource_id != target.id {
        return Err(format!(
            "the finding is about `{}` but the target resource is `{}`",
            finding.resource_id, target.id
        ));
    }
    let config = Config::from_context(ctx)?;
    let changes = hint::changes(finding)?;
    let mut repo = Repo::parse(files)?;
    match target.kind.as_str() {
        rules::RDS_KIND => rds::fix(ctx, &mut repo, target, &changes)?,
        rules::KINESIS_KIND => kinesis::fix(&mut repo, target, &changes)?,
        rules::ALERT_KIND => alerts::fix_alert(&mut repo, &config, target, &changes)?,
        kind if alerts::monitored_types(kind).is_some() => {
            if changes.iter().any(|c| c.pointer == alerts::NEW_ALERT) {
                alerts::add_alert(&mut repo, &config, target, &changes)?
            } else {
                sizes::fix(&mut repo, target, &changes)?
            }
        }
        kind => {
            return Err(format!(
                "resource kind `{kind}` has no Terraform mapping in this remediator"
            ));
        }
    }
    Ok(repo.edits())
}

aiops_sdk::export_remediator!(Terraform);
