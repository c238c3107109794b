//! Applying several attribute assignments as one: every one is checked before any is
//! made, so a hint is applied whole or not at all.

use crate::attribute::{self, Assignment, Matches};
use crate::repo::{BlockRef, Repo};

/// Checks every assignment, then applies those that change something; returns them.
pub fn run<'a>(
    repo: &mut Repo,
    plan: Vec<(BlockRef, Assignment<'a>, Matches)>,
) -> Result<Vec<(BlockRef, Assignment<'a>)>, String> {
    let mut needed = Vec::new();
    for (block, a, matches) in plan {
        if attribute::check(repo, block, &a, matches)? {
            needed.push((block, a));
        }
    }
    for (block, a) in &needed {
        attribute::apply(repo, *block, a)?;
    }
    Ok(needed)
}
