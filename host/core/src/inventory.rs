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

/// A Kustomize patch that changed a rendered resource: where the patch is and the
/// fields it set, as JSON pointers into the rendered object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatchedFields {
    /// The patch's file and document (an inline patch: its kustomization).
    pub location: SourceLocation,
    /// The fields (RFC 6901 pointers) the patch set; a pointer to a mapping or list
    /// means the patch set all of it.
    pub fields: Vec<String>,
}

impl PatchedFields {
    /// True when the patch set `pointer`, a field inside it, or a field containing it.
    pub fn touches(&self, pointer: &str) -> bool {
        let within = |outer: &str, inner: &str| {
            inner
                .strip_prefix(outer)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        self.fields
            .iter()
            .any(|field| within(field, pointer) || within(pointer, field))
    }
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
    /// Kustomize patches applied to a rendered resource, by resource id, in the order
    /// Kustomize applied them.
    patches: HashMap<String, Vec<PatchedFields>>,
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

    /// [`Inventory::push`] for a resource rendered by Kustomize, with the patches that
    /// changed it.
    pub fn push_patched(
        &mut self,
        resource: Resource,
        location: Option<SourceLocation>,
        patches: Vec<PatchedFields>,
    ) {
        self.push(resource, location);
        if !patches.is_empty() {
            let id = self.resources.last().expect("just pushed").id.clone();
            self.patches.insert(id, patches);
        }
    }

    /// The patches Kustomize applied to the resource with `id` (none when it was not
    /// rendered or not patched).
    pub fn patches(&self, id: &str) -> &[PatchedFields] {
        self.patches.get(id).map_or(&[], Vec::as_slice)
    }

    /// Where the field at `pointer` of the resource with `id` was set: the last
    /// Kustomize patch that touched it, else where the resource was read from.
    pub fn location_of_field(&self, id: &str, pointer: Option<&str>) -> Option<&SourceLocation> {
        let patched = pointer.and_then(|pointer| {
            self.patches(id)
                .iter()
                .rev()
                .find(|patch| patch.touches(pointer))
        });
        match patched {
            Some(patch) => Some(&patch.location),
            None => self.location(id),
        }
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
            mut patches,
            problems,
            skipped_documents,
            ..
        } = other;
        self.skipped_documents += skipped_documents;
        for r in resources {
            let loc = locations.remove(&r.id);
            let patched = patches.remove(&r.id).unwrap_or_default();
            self.push_patched(r, loc, patched);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(file: &str, line: usize) -> SourceLocation {
        SourceLocation {
            file: file.into(),
            document: 0,
            line,
        }
    }

    fn web() -> Resource {
        Resource {
            id: "k8s/Deployment/prod/web".into(),
            kind: "Deployment".into(),
            platform: aiops_sdk::Platform::Kubernetes,
            name: "web".into(),
            namespace: Some("prod".into()),
            labels: vec![],
            metrics: vec![],
            raw: "{}".into(),
        }
    }

    #[test]
    fn a_field_set_by_a_patch_is_located_at_the_last_patch_that_touched_it() {
        let mut inventory = Inventory::default();
        let limits = "/spec/template/spec/containers/0/resources/limits";
        inventory.push_patched(
            web(),
            Some(at("base/web.yaml", 1)),
            vec![
                PatchedFields {
                    location: at("prod/replicas.yaml", 1),
                    fields: vec!["/spec/replicas".into(), format!("{limits}/cpu")],
                },
                PatchedFields {
                    location: at("prod/limits.yaml", 3),
                    fields: vec![format!("{limits}/cpu")],
                },
            ],
        );
        let id = "k8s/Deployment/prod/web";
        let file = |pointer: Option<&str>| {
            inventory
                .location_of_field(id, pointer)
                .map(|l| l.file.display().to_string())
        };
        assert_eq!(
            file(Some(&format!("{limits}/cpu"))).unwrap(),
            "prod/limits.yaml"
        );
        assert_eq!(file(Some("/spec/replicas")).unwrap(), "prod/replicas.yaml");
        // A field inside what a patch set, or containing it, is the patch's too.
        assert_eq!(file(Some(limits)).unwrap(), "prod/limits.yaml");
        // Not a prefix at a token boundary: `/spec/replicasX` is not `/spec/replicas`.
        assert_eq!(file(Some("/spec/replicasX")).unwrap(), "base/web.yaml");
        assert_eq!(
            file(Some("/spec/template/spec/containers/0/image")).unwrap(),
            "base/web.yaml"
        );
        assert_eq!(file(None).unwrap(), "base/web.yaml");
    }

    #[test]
    fn patches_follow_a_resource_into_a_merged_inventory() {
        let mut first = Inventory::default();
        first.push(web(), Some(at("other/web.yaml", 1)));
        let mut second = Inventory::default();
        second.push_patched(
            web(),
            Some(at("base/web.yaml", 1)),
            vec![PatchedFields {
                location: at("prod/patch.yaml", 1),
                fields: vec!["/spec/replicas".into()],
            }],
        );
        first.extend(second);
        let renamed = &first.resources()[1].id;
        assert_eq!(first.patches(renamed).len(), 1);
        assert!(first.patches("k8s/Deployment/prod/web").is_empty());
    }
}
