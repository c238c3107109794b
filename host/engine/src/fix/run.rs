//! Fixing every finding of a scan: each goes through the [`Fixer`] in report order, so
//! fixes to the same file add up; the outcome of each is kept next to it.

use super::apply::{FileChange, Fixer};
use super::repo::{IacRepo, RepoError};
use aiops_core::FixStatus;
use aiops_core::Inventory;
use aiops_core::ReportedFinding;
use aiops_runtime::PluginsConfig;
use aiops_runtime::RegistrySnapshot;

/// One finding and what fixing it gave.
#[derive(Debug, Clone)]
pub struct FixedFinding {
    /// Index of the finding in the list given to [`fix_findings`].
    pub index: usize,
    /// The outcome.
    pub status: FixStatus,
}

/// What a fix run produced: an outcome per finding, and the file changes (not yet
/// written).
pub struct FixRun<'a> {
    /// Outcome of each finding, in the order given.
    pub outcomes: Vec<FixedFinding>,
    fixer: Fixer<'a>,
}

impl FixRun<'_> {
    /// The changed files, sorted by path.
    pub fn changes(&self) -> Vec<FileChange> {
        self.fixer.changes()
    }

    /// The unified diff of every changed file.
    pub fn diff(&self) -> String {
        self.changes()
            .iter()
            .map(FileChange::unified_diff)
            .collect()
    }

    /// Writes the changes into the repository (atomically per file); the paths written.
    pub fn write(&self) -> Result<Vec<String>, RepoError> {
        self.fixer.write()
    }

    /// True when a remediator failed or its edits were refused.
    pub fn has_failures(&self) -> bool {
        self.outcomes.iter().any(|o| o.status.is_failure())
    }
}

/// Fixes `findings` (of a scan over `inventory`) in `repo` with the remediators of
/// `plugins`; nothing is written until [`FixRun::write`].
pub fn fix_findings<'a>(
    repo: &'a IacRepo,
    plugins: &'a RegistrySnapshot,
    inventory: &Inventory,
    findings: &[ReportedFinding],
    config: &'a PluginsConfig,
) -> FixRun<'a> {
    let mut fixer = Fixer::new(repo, plugins, config);
    let mut outcomes = Vec::with_capacity(findings.len());
    for (index, reported) in findings.iter().enumerate() {
        let status = match inventory.get(&reported.resource.id) {
            Some(resource) => fixer.fix(
                &reported.finding,
                resource,
                inventory.location(&resource.id),
            ),
            None => FixStatus::NotLocated {
                reason: format!("resource {} is not in the inventory", reported.resource.id),
            },
        };
        outcomes.push(FixedFinding { index, status });
    }
    FixRun { outcomes, fixer }
}
