//! Finding the resource block a finding is about: by the `aiops.io/source` tag when the
//! resource has one, else by the attribute that holds the cloud name (`identifier`,
//! `name`…). A block with `count` or `for_each` is refused: one of its instances cannot be
//! changed without changing the others.

use aiops_sdk::Resource;

use crate::repo::{BlockRef, Repo};

/// The tag (label) a resource may carry to say where it is defined: `PATH#TYPE.NAME`,
/// e.g. `terraform/rds.tf#aws_db_instance.orders`.
pub const SOURCE_TAG: &str = "aiops.io/source";

/// What to look for: block types and the attribute holding the cloud name.
#[derive(Debug, Clone, Copy)]
pub struct Wanted<'a> {
    /// Resource types that may define it, e.g. `aws_db_instance`.
    pub types: &'a [&'a str],
    /// The attribute holding the cloud name, e.g. `identifier`.
    pub attribute: &'a str,
    /// The cloud name.
    pub value: &'a str,
}

/// The block defining `target`, by its source tag or else by `wanted`.
pub fn target_block(
    repo: &Repo,
    target: &Resource,
    wanted: Wanted<'_>,
) -> Result<BlockRef, String> {
    let found = match target.label(SOURCE_TAG) {
        Some(tag) => by_tag(repo, tag, wanted.types)?,
        None => repo.by_attribute(wanted.types, wanted.attribute, wanted.value)?,
    };
    single_instance(repo, found)?;
    Ok(found)
}

/// A related block (e.g. an Aurora instance's cluster), by attribute only.
pub fn related_block(repo: &Repo, wanted: Wanted<'_>) -> Result<BlockRef, String> {
    let found = repo.by_attribute(wanted.types, wanted.attribute, wanted.value)?;
    single_instance(repo, found)?;
    Ok(found)
}

fn by_tag(repo: &Repo, tag: &str, types: &[&str]) -> Result<BlockRef, String> {
    let Some((path, address)) = tag.rsplit_once('#') else {
        return Err(format!(
            "the {SOURCE_TAG} tag `{tag}` is not of the form PATH#TYPE.NAME"
        ));
    };
    let address = address.trim();
    if address.starts_with("module.") {
        return Err(format!(
            "the {SOURCE_TAG} tag names `{address}`, inside a module: the values come from \
             the module call's inputs, which this remediator does not edit"
        ));
    }
    let ty = address.split('.').next().unwrap_or_default();
    if !types.contains(&ty) {
        return Err(format!(
            "the {SOURCE_TAG} tag names `{address}`, but this resource is defined by {}",
            types.join(" or ")
        ));
    }
    repo.by_address(path, address)
}

/// Refuses blocks with `count` or `for_each`.
fn single_instance(repo: &Repo, found: BlockRef) -> Result<(), String> {
    let block = repo.block(found);
    for meta in ["count", "for_each"] {
        if block.body.has_attribute(meta) {
            return Err(format!(
                "`{}` ({}) uses `{meta}`: its instances share one block, so one instance cannot \
                 be changed without changing the others",
                repo.address(found),
                repo.site(found)
            ));
        }
    }
    Ok(())
}
