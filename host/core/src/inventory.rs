//! The inventory a cycle works on: resources, where each came from, and what could
//! not be read. Pure data, filled by collectors and read by the scan and the reports.

use std::collections::HashMap;
use std::path::PathBuf;

use aiops_sdk::Resource;
use serde::Serialize;

/// Where a resource was read from, so findings and SARIF can point there and
/// remediators can find the source later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceLocation {
    /// The file the resource was read from.
    pub file: PathBuf,
    /// Index of the document in a multi-document file (0-based), or of the item in a list.
    pub document: usize,
    /// 1-based line where the resource's document starts.
    pub line: usize,
}

/// Something a collector could not read; the rest of the inventory is still used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InventoryProblem {
    /// The source that failed: a file path or a collector name.
    pub source: String,
    /// 1-based line, when the problem is in a file.
    pub line: Option<usize>,
    /// What went wrong, for a person.
    pub message: String,
}

impl std::fmt::Display for InventoryProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.source, line, self.message),
            None => write!(f, "{}: {}", self.source, self.message),
        }
    }
}

/// Resources gathered for one cycle.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// Every resource, in collection order; ids are unique (see [`Inventory::push`]).
    resources: Vec<Resource>,
    /// Index into `resources` by id.
    index: HashMap<String, usize>,
    /// Source location by resource id, for resources read from files.
    locations: HashMap<String, SourceLocation>,
    /// What could not be read.
    pub problems: Vec<InventoryProblem>,
    /// Documents read from files that are not Kubernetes objects (no `kind`: Helm values,
    /// CI workflows, application config; Kustomize's own files), left alone.
    pub skipped_documents: usize,
}

impl Inventory {
    /// Adds a resource; a duplicate id is renamed `ID@FILE#DOC` so both are kept.
    pub fn push(&mut self, mut resource: Resource, location: Option<SourceLocation>) {
        if self.index.contains_key(&resource.id) {
            let origin = match &location {
                Some(loc) => format!("{}#{}", loc.file.display(), loc.document),
                None => self.resources.len().to_string(),
            };
            resource.id = format!("{}@{origin}", resource.id);
        }
        if let Some(loc) = location {
            self.locations.insert(resource.id.clone(), loc);
        }
        self.index.insert(resource.id.clone(), self.resources.len());
        self.resources.push(resource);
    }

    /// Every resource, in collection order.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    /// Where the resource with `id` was read from, if from a file.
    pub fn location(&self, id: &str) -> Option<&SourceLocation> {
        self.locations.get(id)
    }

    /// Number of resources.
    pub fn len(&self) -> usize {
        self.resources.len()
    }

    /// True when there are no resources.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// Appends another inventory.
    pub fn extend(&mut self, other: Inventory) {
        let Inventory {
            resources,
            mut locations,
            problems,
            skipped_documents,
            ..
        } = other;
        self.skipped_documents += skipped_documents;
        for r in resources {
            let loc = locations.remove(&r.id);
            self.push(r, loc);
        }
        self.problems.extend(problems);
    }

    /// Looks a resource up by id.
    pub fn get(&self, id: &str) -> Option<&Resource> {
        self.index.get(id).map(|&i| &self.resources[i])
    }

    /// Position in [`Inventory::resources`] of the resource with `id`.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Number of resources per kind, sorted by kind.
    pub fn counts_by_kind(&self) -> Vec<(String, usize)> {
        let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
        for r in &self.resources {
            *counts.entry(r.kind.as_str()).or_default() += 1;
        }
        counts
            .into_iter()
            .map(|(k, n)| (k.to_string(), n))
            .collect()
    }
}
