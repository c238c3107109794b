//! Kinesis fixes on `aws_kinesis_stream`: shard count, retention, encryption, and the
//! capacity mode in the nested `stream_mode_details` block. Switching to ON_DEMAND removes
//! `shard_count`, which Terraform must not set for an on-demand stream.

use aiops_sdk::Resource;
use hcl_edit::Span;
use hcl_edit::expr::Expression;
use serde_json::{Value, json};

use crate::attribute::{Assignment, exactly};
use crate::fields;
use crate::hint::Change;
use crate::locate::{Wanted, target_block};
use crate::repo::{BlockRef, Repo};
use crate::value::{Setting, same, setting, show};
use crate::{edit, plan};

/// The pointer of the capacity mode.
pub const STREAM_MODE: &str = "/StreamModeDetails/StreamMode";
const ON_DEMAND: &str = "ON_DEMAND";
const PROVISIONED: &str = "PROVISIONED";

/// Applies the hint's changes to the stream's block.
pub fn fix(repo: &mut Repo, target: &Resource, changes: &[Change]) -> Result<(), String> {
    let raw: Value = target.object().map_err(|e| e.to_string())?;
    let name = raw["StreamName"].as_str().unwrap_or(&target.name);
    let stream = target_block(
        repo,
        target,
        Wanted {
            types: &["aws_kinesis_stream"],
            attribute: "name",
            value: name,
        },
    )?;
    let mut plan = Vec::new();
    let mut mode = None;
    for change in changes {
        if change.pointer == STREAM_MODE {
            mode = Some(change);
            continue;
        }
        let field = fields::find(fields::KINESIS, &change.pointer).ok_or_else(|| {
            format!(
                "{} has no Terraform attribute this remediator knows",
                change.pointer
            )
        })?;
        let fields::Place::Own(attribute) = field.place else {
            unreachable!("Kinesis fields live on the stream block")
        };
        if attribute == "shard_count" && file_mode(repo, stream)?.as_deref() == Some(ON_DEMAND) {
            return Err(format!(
                "`{}` ({}) is an ON_DEMAND stream in the file: shard_count does not apply",
                repo.address(stream),
                repo.site(stream)
            ));
        }
        plan.push((
            stream,
            Assignment {
                attribute,
                field,
                current: change.current.clone(),
                proposed: change.proposed.clone(),
            },
            exactly as crate::attribute::Matches,
        ));
    }
    let mode_edit = mode
        .map(|c| check_mode(repo, stream, c))
        .transpose()?
        .flatten();
    plan::run(repo, plan)?;
    if let Some(edit) = mode_edit {
        apply_mode(repo, stream, edit);
    }
    Ok(())
}

/// What to do to `stream_mode_details`.
enum ModeEdit {
    /// Change the literal `stream_mode` of the existing block.
    Set(String),
    /// Add the block.
    Add(String),
}

/// The file's capacity mode: the literal `stream_mode`, PROVISIONED when the block is
/// absent, an error when it is computed or dynamic.
fn file_mode(repo: &Repo, stream: BlockRef) -> Result<Option<String>, String> {
    let body = &repo.block(stream).body;
    if body
        .get_blocks("dynamic")
        .any(|d| d.has_labels(&["stream_mode_details"]))
    {
        return Err(format!(
            "`{}` ({}) builds stream_mode_details with a dynamic block: its mode is computed",
            repo.address(stream),
            repo.site(stream)
        ));
    }
    let Some(details) = body.get_blocks("stream_mode_details").next() else {
        return Ok(Some(PROVISIONED.to_string()));
    };
    let Some(attr) = details.body.get_attribute("stream_mode") else {
        return Ok(None);
    };
    match setting(&attr.value) {
        Setting::Literal(Value::String(s)) => Ok(Some(s)),
        Setting::Literal(other) => Ok(Some(other.to_string())),
        Setting::Computed(how) => Err(format!(
            "stream_mode of `{}` ({}) is set by {how}, not a literal: change it where that \
             value is defined",
            repo.address(stream),
            repo.site_at(stream, attr.span().map(|s| s.start))
        )),
    }
}

fn check_mode(repo: &Repo, stream: BlockRef, change: &Change) -> Result<Option<ModeEdit>, String> {
    let proposed = change
        .proposed
        .as_str()
        .filter(|m| [ON_DEMAND, PROVISIONED].contains(m))
        .ok_or_else(|| {
            format!(
                "{} must be ON_DEMAND or PROVISIONED, got {}",
                STREAM_MODE, change.proposed
            )
        })?;
    if proposed == PROVISIONED {
        return Err(
            "switching a stream to PROVISIONED needs a shard_count, which the hint does not give"
                .to_string(),
        );
    }
    let file = file_mode(repo, stream)?;
    if file.as_deref() == Some(proposed) {
        return Ok(None);
    }
    if let (Some(file), Some(live)) = (&file, &change.current)
        && !same(&json!(file), live)
    {
        return Err(format!(
            "stream_mode of `{}` ({}) is {file} in the file but {} on the live stream: the \
             source and the resource differ",
            repo.address(stream),
            repo.site(stream),
            show(live)
        ));
    }
    let has_block = repo
        .block(stream)
        .body
        .get_blocks("stream_mode_details")
        .next()
        .is_some();
    Ok(Some(if has_block {
        ModeEdit::Set(proposed.to_string())
    } else {
        ModeEdit::Add(proposed.to_string())
    }))
}

fn apply_mode(repo: &mut Repo, stream: BlockRef, edit: ModeEdit) {
    let body = &mut repo.block_mut(stream).body;
    let mode = match edit {
        ModeEdit::Set(mode) => {
            if let Some(details) = body.get_blocks_mut("stream_mode_details").next() {
                if details.body.has_attribute("stream_mode") {
                    edit::set_value(
                        &mut details.body,
                        "stream_mode",
                        Expression::from(mode.as_str()),
                    );
                } else {
                    edit::insert_attribute(
                        &mut details.body,
                        "stream_mode",
                        Expression::from(mode.as_str()),
                        &[],
                    );
                }
            }
            mode
        }
        ModeEdit::Add(mode) => {
            let indent = edit::body_indent(body, "  ");
            edit::append_block(
                body,
                "stream_mode_details",
                &[("stream_mode", Expression::from(mode.as_str()))],
                &indent,
            );
            mode
        }
    };
    if mode == ON_DEMAND {
        edit::remove_attribute(body, "shard_count");
    }
}
