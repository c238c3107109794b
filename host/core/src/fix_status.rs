//! What became of one finding's fix: the outcome `scan --fix` prints and GitOps records.

use serde::Serialize;

/// What happened to one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum FixStatus {
    /// The remediator edited these files.
    Fixed {
        /// The remediator.
        plugin: String,
        /// Repository-relative paths it changed.
        files: Vec<String>,
    },
    /// The source already has what the remediator would write: nothing to change.
    AlreadyFixed {
        /// The remediator.
        plugin: String,
    },
    /// The remediator said why it cannot fix this safely.
    CannotFix {
        /// The remediator.
        plugin: String,
        /// Its reason.
        reason: String,
    },
    /// No loaded, enabled remediator handles the finding's rule and resource kind.
    NoRemediator {
        /// Why, for people.
        reason: String,
    },
    /// The files defining the resource were not found in the repository.
    NotLocated {
        /// Why.
        reason: String,
    },
    /// The remediator's answer broke the rules (a file it was not given, too large...).
    Refused {
        /// The remediator.
        plugin: String,
        /// What was wrong.
        reason: String,
    },
    /// The remediator failed (trap, timeout, memory) or a file could not be read.
    Failed {
        /// The remediator, or `host`.
        plugin: String,
        /// What went wrong.
        reason: String,
    },
}

impl FixStatus {
    /// True when a plugin misbehaved or failed: the run is then incomplete.
    pub fn is_failure(&self) -> bool {
        matches!(self, FixStatus::Refused { .. } | FixStatus::Failed { .. })
    }

    /// One line for people: `fixed by k8s-manifests in a.yaml`, `not fixed: ...`.
    pub fn describe(&self) -> String {
        match self {
            FixStatus::Fixed { plugin, files } => {
                format!("fixed by {plugin} in {}", files.join(", "))
            }
            FixStatus::AlreadyFixed { plugin } => {
                format!("nothing to change ({plugin}: the source already has the fix)")
            }
            FixStatus::CannotFix { plugin, reason } => format!("not fixed ({plugin}): {reason}"),
            FixStatus::NoRemediator { reason } | FixStatus::NotLocated { reason } => {
                format!("not fixed: {reason}")
            }
            FixStatus::Refused { plugin, reason } => {
                format!("not fixed: the edits of {plugin} were refused: {reason}")
            }
            FixStatus::Failed { plugin, reason } => format!("not fixed: {plugin} failed: {reason}"),
        }
    }
}
