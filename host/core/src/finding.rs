//! A finding with what reports need around it, and everything one scan produced.

use aiops_sdk::{Finding, RuleInfo, Severity};
use serde::Serialize;

use crate::inventory::{InventoryProblem, SourceLocation};

/// The resource a finding is about, as reports name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceRef {
    /// Inventory id.
    pub id: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
    /// Namespace, region or resource group.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// The part concerned, e.g. a container name (the finding's `component`).
    pub component: Option<String>,
}

/// A finding with what reports need around it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedFinding {
    /// Name of the plugin that reported it.
    pub plugin: String,
    /// The finding as the plugin returned it (severity after config overrides).
    pub finding: Finding,
    /// The resource it is about.
    pub resource: ResourceRef,
    /// Where the resource was read from, if from a file.
    pub location: Option<SourceLocation>,
}

/// A plugin that failed during the scan (trap, timeout, memory, error result).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginFailure {
    /// Plugin name (or file name when it never loaded).
    pub plugin: String,
    /// What went wrong.
    pub message: String,
}

/// Everything one scan produced.
#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    /// Findings sorted by resource id, rule and component.
    pub findings: Vec<ReportedFinding>,
    /// Plugins that failed to load or to run.
    pub plugin_failures: Vec<PluginFailure>,
    /// Inventory sources that could not be read.
    pub inventory_problems: Vec<InventoryProblem>,
    /// Rules of every plugin that ran, as `(plugin, rule)`.
    pub rules: Vec<(String, RuleInfo)>,
    /// Number of resources in the inventory.
    pub resources_scanned: usize,
    /// Documents of the scanned files that are not Kubernetes objects, skipped.
    pub skipped_documents: usize,
}

impl ScanReport {
    /// The most severe finding's severity, if any.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.finding.severity).max()
    }

    /// True when any plugin failed or any input could not be read.
    pub fn is_incomplete(&self) -> bool {
        !self.plugin_failures.is_empty() || !self.inventory_problems.is_empty()
    }
}
