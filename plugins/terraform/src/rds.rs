//! RDS fixes: `aws_db_instance` attributes, and for Aurora the `aws_rds_cluster_instance`
//! or its `aws_rds_cluster`. A major engine upgrade also sets
//! `allow_major_version_upgrade`; upgrades that skip a major version or keep a parameter
//! group of the old family are refused.

use aiops_sdk::{Context, LogLevel, Resource};
use serde_json::{Value, json};

use crate::attribute::{self, Assignment, exactly, version_prefix};
use crate::fields::{self, Field, Place};
use crate::hint::Change;
use crate::locate::{Wanted, related_block, target_block};
use crate::repo::{BlockRef, Repo};
use crate::{edit, plan};

/// MySQL major versions in upgrade order: RDS upgrades one step at a time.
const MYSQL_MAJORS: [&str; 3] = ["5.7", "8.0", "8.4"];

/// `allow_major_version_upgrade`, set with a major `engine_version` change.
const ALLOW_MAJOR: Field = Field {
    pointer: "",
    place: Place::Own("allow_major_version_upgrade"),
    aurora: Place::Cluster("allow_major_version_upgrade"),
    default: Some("false"),
    anchors: &["engine_version"],
    replaces: false,
};

/// Applies the hint's changes to the instance (or its cluster).
pub fn fix(
    ctx: &Context<'_>,
    repo: &mut Repo,
    target: &Resource,
    changes: &[Change],
) -> Result<(), String> {
    let raw: Value = target.object().map_err(|e| e.to_string())?;
    let engine = raw["Engine"].as_str().unwrap_or_default();
    let aurora = engine.starts_with("aurora");
    let identifier = raw["DBInstanceIdentifier"].as_str().unwrap_or(&target.name);
    let types: &[&str] = if aurora {
        &["aws_rds_cluster_instance"]
    } else {
        &["aws_db_instance"]
    };
    let instance = target_block(
        repo,
        target,
        Wanted {
            types,
            attribute: "identifier",
            value: identifier,
        },
    )?;
    let mut cluster: Option<BlockRef> = None;
    let mut plan = Vec::new();
    for change in changes {
        let field = fields::find(fields::RDS, &change.pointer).ok_or_else(|| {
            format!(
                "{} has no Terraform attribute this remediator knows",
                change.pointer
            )
        })?;
        let (block, attribute) = match if aurora { field.aurora } else { field.place } {
            Place::Own(attr) => (instance, attr),
            Place::Cluster(attr) => (cluster_of(repo, &raw, &mut cluster)?, attr),
            Place::Nowhere(reason) => return Err(format!("{}: {reason}", change.pointer)),
        };
        let assignment = Assignment {
            attribute,
            field,
            current: change.current.clone(),
            proposed: change.proposed.clone(),
        };
        if change.pointer == "/EngineVersion" {
            let needed = attribute::check(repo, block, &assignment, version_prefix)?;
            plan.push((block, assignment, version_prefix as attribute::Matches));
            if needed && major_upgrade(repo, instance, change)? {
                let allow = Assignment {
                    attribute: "allow_major_version_upgrade",
                    field: &ALLOW_MAJOR,
                    current: None,
                    proposed: json!(true),
                };
                plan.push((block, allow, exactly as attribute::Matches));
            }
        } else {
            plan.push((block, assignment, exactly as attribute::Matches));
        }
    }
    for (block, a) in plan::run(repo, plan)? {
        if a.field.replaces {
            let note = format!(
                "aiops: {} = {} forces replacement (destroy and recreate); migrate the data \
                 first, e.g. from an encrypted snapshot copy",
                a.attribute, a.proposed
            );
            edit::comment_above(&mut repo.block_mut(block).body, a.attribute, &note);
            ctx.log(
                LogLevel::Warn,
                &note,
                &[("resource", &target.id), ("block", &repo.address(block))],
            );
        }
    }
    Ok(())
}

/// The Aurora cluster block of the instance (`cluster_identifier` = `DBClusterIdentifier`).
fn cluster_of(repo: &Repo, raw: &Value, cached: &mut Option<BlockRef>) -> Result<BlockRef, String> {
    if let Some(c) = cached {
        return Ok(*c);
    }
    let id = raw["DBClusterIdentifier"].as_str().ok_or_else(|| {
        "the Aurora instance's raw object has no DBClusterIdentifier to find its cluster by"
            .to_string()
    })?;
    let found = related_block(
        repo,
        Wanted {
            types: &["aws_rds_cluster"],
            attribute: "cluster_identifier",
            value: id,
        },
    )?;
    *cached = Some(found);
    Ok(found)
}

/// The major version (`8.0`) of a MySQL version (`8.0.39`).
fn major(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// True when the change crosses a major version; an error when RDS cannot do it in one
/// step or the block pins a parameter group of the old family.
fn major_upgrade(repo: &Repo, instance: BlockRef, change: &Change) -> Result<bool, String> {
    let (Some(from), Some(to)) = (
        change.current.as_ref().and_then(Value::as_str),
        change.proposed.as_str(),
    ) else {
        return Ok(false);
    };
    let (from, to) = (major(from), major(to));
    if from == to {
        return Ok(false);
    }
    let step = |m: &str| MYSQL_MAJORS.iter().position(|x| *x == m);
    match (step(&from), step(&to)) {
        (Some(a), Some(b)) if b == a + 1 => {}
        (Some(a), Some(b)) if b > a + 1 => {
            return Err(format!(
                "engine_version {from} → {to} skips {}: RDS upgrades MySQL one major version \
                 at a time, so this needs an upgrade to {} first, by hand",
                MYSQL_MAJORS[a + 1..b].join(" and "),
                MYSQL_MAJORS[a + 1]
            ));
        }
        _ => {
            return Err(format!(
                "engine_version {from} → {to} is not a MySQL major upgrade this remediator knows"
            ));
        }
    }
    let body = &repo.block(instance).body;
    for group in ["parameter_group_name", "db_parameter_group_name"] {
        if let Some(attr) = body.get_attribute(group) {
            return Err(format!(
                "`{}` sets {group} = {}, a group of the MySQL {from} family: a major upgrade to \
                 {to} needs a parameter group of the new family, which this remediator cannot \
                 create",
                repo.address(instance),
                attr.value.to_string().trim()
            ));
        }
    }
    Ok(true)
}
