//! Applying one finding's fix to a working copy: read the located files (with the
//! edits of earlier fixes), call the remediator in its sandbox, check its answer, and
//! keep the new contents. Nothing touches the disk until [`Fixer::write`].
//!
//! A remediator's edits are accepted only for files it was handed (no new files: a
//! created file is nowhere near the resource and could shadow others, so it needs a
//! person), each at most [`FixLimits::max_file_bytes`], each path once. Anything else
//! refuses the whole answer: a fix is applied completely or not at all.

use std::collections::BTreeMap;
use std::sync::Arc;

use aiops_core::FixStatus;
use aiops_sdk::{Finding, Outcome, Resource, SourceFile};

use super::choose::choose;
use super::diff;
use super::locate::Locator;
use super::repo::{IacRepo, RepoError};
use aiops_core::SourceLocation;
use aiops_runtime::PluginsConfig;
use aiops_runtime::{LoadedPlugin, RegistrySnapshot};

/// Size limits of a fix.
#[derive(Debug, Clone, Copy)]
pub struct FixLimits {
    /// Largest file handed to a remediator or accepted back, in bytes.
    pub max_file_bytes: usize,
    /// Most files handed to a remediator for one finding.
    pub max_files: usize,
}

impl Default for FixLimits {
    fn default() -> Self {
        FixLimits {
            max_file_bytes: 1 << 20,
            max_files: 64,
        }
    }
}

/// One file a run changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Repository-relative path.
    pub path: String,
    /// Content before the run.
    pub before: String,
    /// Content after every fix of the run.
    pub after: String,
}

impl FileChange {
    /// The unified diff of this change.
    pub fn unified_diff(&self) -> String {
        diff::unified(&self.path, &self.before, &self.after)
    }
}

/// Fixes findings one after the other in a working copy of a repository.
pub struct Fixer<'a> {
    repo: &'a IacRepo,
    locator: Locator<'a>,
    plugins: &'a RegistrySnapshot,
    config: &'a PluginsConfig,
    limits: FixLimits,
    /// Files read so far: (content on disk, content after the fixes so far).
    work: BTreeMap<String, (String, String)>,
}

impl<'a> Fixer<'a> {
    /// A fixer over `repo` using the remediators of `plugins`, with `config`'s
    /// per-plugin settings and limits.
    pub fn new(
        repo: &'a IacRepo,
        plugins: &'a RegistrySnapshot,
        config: &'a PluginsConfig,
    ) -> Self {
        Fixer {
            repo,
            locator: Locator::new(repo),
            plugins,
            config,
            limits: FixLimits::default(),
            work: BTreeMap::new(),
        }
    }

    /// Sets the size limits.
    pub fn with_limits(mut self, limits: FixLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Fixes one finding on `resource` (read from `location`, if from a file).
    pub fn fix(
        &mut self,
        finding: &Finding,
        resource: &Resource,
        location: Option<&SourceLocation>,
    ) -> FixStatus {
        let Some(plugin) = choose(self.plugins, self.config, &finding.rule, &resource.kind) else {
            return FixStatus::NoRemediator {
                reason: format!(
                    "no remediator handles rule {} on {}",
                    finding.rule, resource.kind
                ),
            };
        };
        let located = match self.locator.locate(resource, location) {
            Ok(l) => l,
            Err(reason) => return FixStatus::NotLocated { reason },
        };
        if located.files.len() > self.limits.max_files {
            return FixStatus::NotLocated {
                reason: format!(
                    "{} files define or patch {}, more than the {} handed to a remediator",
                    located.files.len(),
                    resource.id,
                    self.limits.max_files
                ),
            };
        }
        let mut files = Vec::with_capacity(located.files.len());
        let mut canonical_seen = std::collections::HashSet::new();
        for path in &located.files {
            // One file reached by two names (an in-repo symlink) is handed over once,
            // under its canonical name, so a fix cannot edit it twice or halfway.
            let path = match self.repo.canonical(path) {
                Ok(canonical) => canonical,
                Err(err) => {
                    return FixStatus::Failed {
                        plugin: "host".into(),
                        reason: err.to_string(),
                    };
                }
            };
            if !canonical_seen.insert(path.clone()) {
                continue;
            }
            match self.current(&path) {
                Ok(content) => files.push(SourceFile { path, content }),
                Err(err) => {
                    return FixStatus::Failed {
                        plugin: "host".into(),
                        reason: err.to_string(),
                    };
                }
            }
        }
        tracing::debug!(rule = %finding.rule, resource = %resource.id, plugin = plugin.name(), files = ?located.files, how = located.how, "remediating");
        let settings = self.config.call_settings(plugin.name());
        let outcome = match plugin.remediate(finding, resource, &files, &settings) {
            Ok(outcome) => outcome,
            Err(err) => {
                return FixStatus::Failed {
                    plugin: plugin.name().to_string(),
                    reason: err.to_string(),
                };
            }
        };
        self.accept(&plugin, &files, outcome)
    }

    /// Checks a remediator's answer and keeps its edits.
    fn accept(
        &mut self,
        plugin: &Arc<LoadedPlugin>,
        given: &[SourceFile],
        outcome: Outcome,
    ) -> FixStatus {
        let name = plugin.name().to_string();
        let edits = match outcome {
            Outcome::CannotFix(reason) => {
                return FixStatus::CannotFix {
                    plugin: name,
                    reason,
                };
            }
            Outcome::Edits(edits) => edits,
        };
        let refuse = |reason: String| FixStatus::Refused {
            plugin: name.clone(),
            reason,
        };
        let mut seen = std::collections::HashSet::new();
        for edit in &edits {
            if !given.iter().any(|g| g.path == edit.path) {
                return refuse(format!(
                    "it returned an edit for `{}`, a file it was not given",
                    edit.path.escape_debug()
                ));
            }
            if let Err(err) = self.repo.resolve(&edit.path) {
                return refuse(err.to_string());
            }
            if !seen.insert(edit.path.as_str()) {
                return refuse(format!("it returned `{}` twice", edit.path));
            }
            if edit.content.len() > self.limits.max_file_bytes {
                return refuse(format!(
                    "its new `{}` is {} bytes, more than the {} allowed",
                    edit.path,
                    edit.content.len(),
                    self.limits.max_file_bytes
                ));
            }
        }
        let mut changed = Vec::new();
        for edit in edits {
            let given = given
                .iter()
                .find(|g| g.path == edit.path)
                .expect("checked above");
            if given.content != edit.content {
                changed.push(edit.path.clone());
                if let Some(entry) = self.work.get_mut(&edit.path) {
                    entry.1 = edit.content;
                }
            }
        }
        if changed.is_empty() {
            FixStatus::AlreadyFixed { plugin: name }
        } else {
            FixStatus::Fixed {
                plugin: name,
                files: changed,
            }
        }
    }

    /// The working content of a file, read from the repository the first time.
    fn current(&mut self, path: &str) -> Result<String, RepoError> {
        if let Some((_, now)) = self.work.get(path) {
            return Ok(now.clone());
        }
        let content = self.repo.read(path, self.limits.max_file_bytes)?;
        self.work
            .insert(path.to_string(), (content.clone(), content.clone()));
        Ok(content)
    }

    /// The files changed so far, sorted by path.
    pub fn changes(&self) -> Vec<FileChange> {
        self.work
            .iter()
            .filter(|(_, (before, after))| before != after)
            .map(|(path, (before, after))| FileChange {
                path: path.clone(),
                before: before.clone(),
                after: after.clone(),
            })
            .collect()
    }

    /// Writes every changed file into the repository, each atomically. A file changed
    /// on disk since it was read (re-read within `max_file_bytes`) is not overwritten
    /// (error).
    pub fn write(&self) -> Result<Vec<String>, RepoError> {
        let mut written = Vec::new();
        for change in self.changes() {
            let now = self.repo.read(&change.path, self.limits.max_file_bytes)?;
            if now != change.before {
                return Err(RepoError::Io {
                    path: change.path.clone(),
                    source: std::io::Error::other("changed on disk while fixing; not overwritten"),
                });
            }
            self.repo.write_atomic(&change.path, &change.after)?;
            written.push(change.path);
        }
        Ok(written)
    }
}
