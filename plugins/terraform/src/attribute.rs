//! Setting one attribute of a block to a hint's proposed value, safely: only a literal is
//! changed, a value that is neither the live one nor the proposed one (drift) is left
//! alone, an attribute Terraform ignores (`lifecycle.ignore_changes`) is refused, and an
//! attribute already at the proposed value (or absent with that default) is not touched.

use hcl_edit::Span;
use hcl_edit::structure::Body;
use serde_json::Value;

use crate::edit;
use crate::fields::Field;
use crate::repo::{BlockRef, Repo};
use crate::value::{Setting, literal, same, setting, show};

/// One attribute to set on one block.
#[derive(Debug, Clone)]
pub struct Assignment<'a> {
    /// The Terraform attribute.
    pub attribute: &'a str,
    /// Its table entry (default, anchors).
    pub field: &'a Field,
    /// The live value from the hint, when the hint gives one.
    pub current: Option<Value>,
    /// The proposed value.
    pub proposed: Value,
}

/// How a file value is compared with the live value: exactly, or as a version prefix
/// (`engine_version = "8.0"` runs 8.0.39).
pub type Matches = fn(file: &Value, live: &Value) -> bool;

/// Checks what setting `a` on block `r` would do: `Ok(true)` when a change is needed,
/// `Ok(false)` when the file already says the proposed value, an error when it cannot be
/// changed safely.
pub fn check(
    repo: &Repo,
    r: BlockRef,
    a: &Assignment<'_>,
    matches: Matches,
) -> Result<bool, String> {
    let block = repo.block(r);
    let address = repo.address(r);
    if let Some(how) = ignored(&block.body, a.attribute) {
        return Err(format!(
            "`{}` of `{address}` ({}) is in lifecycle.ignore_changes ({how}): editing it would \
             have no effect",
            a.attribute,
            repo.site(r)
        ));
    }
    let Some(attr) = block.body.get_attribute(a.attribute) else {
        let default = a.field.default.and_then(|d| serde_json::from_str(d).ok());
        return Ok(!default.is_some_and(|d: Value| same(&d, &a.proposed)));
    };
    let site = repo.site_at(r, attr.span().map(|s| s.start));
    match setting(&attr.value) {
        Setting::Computed(how) => Err(format!(
            "`{}` of `{address}` ({site}) is set by {how}, not a literal: change it where that \
             value is defined (this remediator does not guess values behind expressions)",
            a.attribute
        )),
        Setting::Literal(v) if same(&v, &a.proposed) => Ok(false),
        Setting::Literal(v) => match &a.current {
            Some(live) if !matches(&v, live) => Err(format!(
                "`{}` of `{address}` ({site}) is {} in the file but {} on the live resource: \
                 the source and the resource differ, so the finding may not apply to the file",
                a.attribute,
                show(&v),
                show(live)
            )),
            _ => Ok(true),
        },
    }
}

/// Sets `a` on block `r` (after [`check`] said a change is needed).
pub fn apply(repo: &mut Repo, r: BlockRef, a: &Assignment<'_>) -> Result<(), String> {
    let value = literal(&a.proposed)
        .map_err(|e| format!("the proposed value of `{}`: {e}", a.attribute))?;
    let body = &mut repo.block_mut(r).body;
    if body.has_attribute(a.attribute) {
        edit::set_value(body, a.attribute, value);
    } else {
        edit::insert_attribute(body, a.attribute, value, a.field.anchors);
    }
    Ok(())
}

/// Exact comparison (allowing Terraform's string/number/bool conversions).
pub fn exactly(file: &Value, live: &Value) -> bool {
    same(file, live)
}

/// Version comparison: the file may pin a prefix of the live version (`8.0` of `8.0.39`).
pub fn version_prefix(file: &Value, live: &Value) -> bool {
    match (file.as_str(), live.as_str()) {
        (Some(f), Some(l)) => f == l || l.starts_with(&format!("{f}.")),
        _ => same(file, live),
    }
}

/// `ignore_changes = [...]` in a `lifecycle` block naming `attribute` (or `all`).
fn ignored(body: &Body, attribute: &str) -> Option<String> {
    let lifecycle = body.get_blocks("lifecycle").next()?;
    let list = lifecycle.body.get_attribute("ignore_changes")?;
    let text = list.value.to_string();
    let names = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty());
    names
        .into_iter()
        .any(|w| w == attribute || w == "all")
        .then(|| text.trim().to_string())
}
