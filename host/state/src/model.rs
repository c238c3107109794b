//! What a cycle hands the store: the findings it observed, and what it covered.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use aiops_sdk::Severity;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

/// Where a finding stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FindingState {
    /// Reported by the last cycle that covered it (or not covered since: then stale).
    Open,
    /// No longer reported by a cycle that covered it.
    Resolved,
}

impl FindingState {
    /// The name the store and the command line use.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingState::Open => "open",
            FindingState::Resolved => "resolved",
        }
    }

    pub(crate) fn parse(text: &str) -> FindingState {
        if text == "resolved" {
            FindingState::Resolved
        } else {
            FindingState::Open
        }
    }
}

/// A finding as one cycle reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedFinding {
    /// The stable identity (plugin, rule, resource, component).
    pub fingerprint: String,
    /// The plugin that reported it.
    pub plugin: String,
    /// Its rule id.
    pub rule: String,
    /// The resource's inventory id.
    pub resource_id: String,
    /// The resource's kind.
    pub resource_kind: String,
    /// Namespace, region or resource group.
    pub resource_namespace: Option<String>,
    /// The resource's name.
    pub resource_name: String,
    /// The part concerned (a container).
    pub component: Option<String>,
    /// The cycle source the resource came from (`k8s`, `manifests:DIR`, …).
    pub source: String,
    /// The file the resource was read from, if any.
    pub file: Option<String>,
    /// Its line there.
    pub line: Option<i64>,
    /// Severity after config overrides.
    pub severity: Severity,
    /// One-line title.
    pub title: String,
    /// What is wrong.
    pub message: String,
    /// Evidence, as key/value pairs.
    pub evidence: Vec<(String, String)>,
    /// The remediation hint as JSON, if the plugin gave one.
    pub remediation: Option<String>,
    /// The resource's labels or tags (for routing notifications).
    pub labels: Vec<(String, String)>,
}

impl ObservedFinding {
    /// A digest of everything that may change while the finding stays the same problem;
    /// a changed digest is written, an unchanged one is not.
    pub(crate) fn content_hash(&self) -> String {
        let mut hasher = Sha256::new();
        let evidence = serde_json::to_string(&self.evidence).unwrap_or_default();
        let labels = labels_json(&self.labels);
        let line = self.line.map(|l| l.to_string());
        for part in [
            Some(self.severity.as_str()),
            Some(self.title.as_str()),
            Some(self.message.as_str()),
            Some(evidence.as_str()),
            self.remediation.as_deref(),
            Some(self.resource_kind.as_str()),
            self.resource_namespace.as_deref(),
            Some(self.resource_name.as_str()),
            Some(self.source.as_str()),
            self.file.as_deref(),
            line.as_deref(),
            Some(labels.as_str()),
        ] {
            hasher.update(part.unwrap_or("\u{1}").as_bytes());
            hasher.update([0]);
        }
        hex::encode(&hasher.finalize()[..16])
    }
}

/// A problem of a cycle: a source or file that could not be read, or a plugin that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CycleProblem {
    /// The source, file or collector that failed (absent for a plugin).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source: Option<String>,
    /// The plugin that failed (absent for a source).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub plugin: Option<String>,
    /// 1-based line in a file, when known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub line: Option<usize>,
    /// What went wrong.
    pub message: String,
}

/// What one cycle covered: the sources it read and how, and the plugins that ran
/// cleanly. A stored finding is resolved only when its source and its plugin were
/// covered; otherwise it stays open and is marked stale.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// Every source of the cycle.
    pub sources: Vec<crate::cycle::SourceStatus>,
    /// Plugins that ran on every batch without failing.
    pub plugins_ok: BTreeSet<String>,
    /// Plugins that did not run cleanly (failed, disabled, not loaded), and why.
    pub plugins_not_ok: BTreeMap<String, String>,
    /// Sources of the config this cycle left to a later one (their own schedule): their
    /// open findings are left as they are, neither resolved nor made stale.
    pub not_due: BTreeSet<String>,
}

impl Coverage {
    /// Whether this cycle covered a finding of `plugin` on a resource from `source`
    /// (`file` within it); `Err` says why not.
    pub fn covers(&self, source: &str, file: Option<&str>, plugin: &str) -> Result<(), String> {
        let Some(status) = self.sources.iter().find(|s| s.source == source) else {
            return Err(format!("source {source} was not collected by this cycle"));
        };
        if let Some(why) = status.failure_for(file.map(Path::new)) {
            return Err(why);
        }
        if self.plugins_ok.contains(plugin) {
            return Ok(());
        }
        Err(match self.plugins_not_ok.get(plugin) {
            Some(why) => format!("plugin {plugin} {why}"),
            None => format!("plugin {plugin} did not run"),
        })
    }

    /// The `(source, plugin)` pairs this cycle covered (at least in part).
    pub(crate) fn covered_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        for status in self.sources.iter().filter(|s| s.is_usable()) {
            for plugin in &self.plugins_ok {
                pairs.push((status.source.clone(), plugin.clone()));
            }
        }
        pairs
    }
}

/// Counts of a cycle's outcome, in total and per severity.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct SeverityCounts {
    /// Findings seen for the first time.
    pub new: usize,
    /// Findings already open and reported again.
    pub open: usize,
    /// Findings no longer reported by a cycle that covered them.
    pub resolved: usize,
    /// Resolved findings reported again.
    pub reopened: usize,
    /// Open findings this cycle could not cover (source or plugin failed).
    pub stale: usize,
}

/// What a cycle changed, as `aiops cycle` prints it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CycleSummary {
    /// Totals.
    #[serde(flatten)]
    pub total: SeverityCounts,
    /// Per severity (`critical` … `info`), only severities with any count.
    pub by_severity: BTreeMap<String, SeverityCounts>,
}

impl CycleSummary {
    pub(crate) fn count(&mut self, severity: &str, bump: impl Fn(&mut SeverityCounts)) {
        bump(&mut self.total);
        bump(self.by_severity.entry(severity.to_string()).or_default());
    }
}

/// Labels as the `labels` column stores them: a JSON object.
pub(crate) fn labels_json(labels: &[(String, String)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = labels
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::Value::Object(map).to_string()
}
