//! The Kubernetes side of locating: every YAML document of the repository by kind,
//! name and namespace, and the Kustomize patches that target them.

use std::collections::BTreeSet;

use aiops_sdk::Resource;
use serde::Deserialize;
use serde_json::Value;

use crate::fix::repo::IacRepo;

/// Largest manifest file indexed.
const MAX_FILE: usize = 4 << 20;

/// A document's identity.
#[derive(Debug, Clone)]
struct Doc {
    file: String,
    kind: String,
    name: String,
    namespace: Option<String>,
}

/// A kustomization and the patches it applies.
#[derive(Debug, Clone)]
struct Kustomization {
    file: String,
    /// Patch files (repository-relative), each with its `target` if given.
    patch_files: Vec<(String, Option<Value>)>,
    /// Inline patches (text), each with its `target` if given.
    inline: Vec<(String, Option<Value>)>,
}

/// Every document and kustomization of the repository.
#[derive(Debug, Default)]
pub struct Index {
    docs: Vec<Doc>,
    kustomizations: Vec<Kustomization>,
}

impl Index {
    /// Reads every `.yaml`/`.yml`/`.json` file of `repo`; files that do not parse (e.g.
    /// Helm templates) are skipped.
    pub fn build(repo: &IacRepo) -> Index {
        let mut index = Index::default();
        for file in repo.files(&[".yaml", ".yml", ".json"]) {
            let Ok(text) = repo.read(&file, MAX_FILE) else {
                continue;
            };
            let base = file.rsplit('/').next().unwrap_or(&file);
            if matches!(base, "kustomization.yaml" | "kustomization.yml") {
                if let Ok(value) = serde_norway::from_str::<Value>(&text) {
                    index.kustomizations.push(kustomization(&file, &value));
                }
                continue;
            }
            for doc in serde_norway::Deserializer::from_str(&text) {
                let Ok(value) = Value::deserialize(doc) else {
                    break;
                };
                let items = match value.get("kind").and_then(Value::as_str) {
                    Some(k) if k.ends_with("List") => value
                        .get("items")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                    _ => vec![value],
                };
                for item in items {
                    let field =
                        |p: &str| item.pointer(p).and_then(Value::as_str).map(str::to_string);
                    if let (Some(kind), Some(name)) = (field("/kind"), field("/metadata/name")) {
                        index.docs.push(Doc {
                            file: file.clone(),
                            kind,
                            name,
                            namespace: field("/metadata/namespace"),
                        });
                    }
                }
            }
        }
        index
    }

    /// Files with a document matching `resource`, excluding files applied as patches.
    pub fn defining(&self, resource: &Resource) -> Vec<String> {
        let patches: BTreeSet<&str> = self
            .kustomizations
            .iter()
            .flat_map(|k| k.patch_files.iter().map(|(p, _)| p.as_str()))
            .collect();
        let mut files: Vec<String> = self
            .docs
            .iter()
            .filter(|d| matches(d, resource) && !patches.contains(d.file.as_str()))
            .map(|d| d.file.clone())
            .collect();
        files.dedup();
        files
    }

    /// `files` plus the Kustomize patch files whose documents target `resource`, and
    /// the kustomizations applying them (or holding an inline patch of it).
    pub fn with_patches(&self, mut files: Vec<String>, resource: &Resource) -> Vec<String> {
        for k in &self.kustomizations {
            let mut relevant = false;
            for (patch, target) in &k.patch_files {
                let by_target = target.as_ref().is_some_and(|t| targets(t, resource));
                let by_doc = self
                    .docs
                    .iter()
                    .any(|d| &d.file == patch && matches(d, resource));
                if by_target || by_doc {
                    relevant = true;
                    if !files.contains(patch) {
                        files.push(patch.clone());
                    }
                }
            }
            for (text, target) in &k.inline {
                let hit = match target {
                    Some(t) => targets(t, resource),
                    None => serde_norway::from_str::<Value>(text).is_ok_and(|v| {
                        v.get("kind").and_then(Value::as_str) == Some(resource.kind.as_str())
                            && v.pointer("/metadata/name").and_then(Value::as_str)
                                == Some(resource.name.as_str())
                    }),
                };
                relevant |= hit;
            }
            if relevant && !files.contains(&k.file) {
                files.push(k.file.clone());
            }
        }
        files
    }
}

fn matches(doc: &Doc, r: &Resource) -> bool {
    doc.kind == r.kind
        && doc.name == r.name
        && match (&doc.namespace, &r.namespace) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
}

fn targets(t: &Value, r: &Resource) -> bool {
    let field = |k: &str| t.get(k).and_then(Value::as_str);
    field("kind").is_none_or(|k| k == r.kind)
        && field("name").is_none_or(|n| n == r.name)
        && field("namespace").is_none_or(|ns| Some(ns) == r.namespace.as_deref())
}

/// The patches of a kustomization, paths made repository-relative.
fn kustomization(file: &str, k: &Value) -> Kustomization {
    let mut out = Kustomization {
        file: file.to_string(),
        patch_files: Vec::new(),
        inline: Vec::new(),
    };
    let list = |key: &str| {
        k.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    for item in list("patchesStrategicMerge") {
        if let Some(s) = item.as_str() {
            if s.contains('\n') {
                out.inline.push((s.to_string(), None));
            } else if let Some(p) = join(file, s) {
                out.patch_files.push((p, None));
            }
        }
    }
    for item in list("patches") {
        let target = item.get("target").cloned();
        if let Some(p) = item.get("path").and_then(Value::as_str) {
            if let Some(p) = join(file, p) {
                out.patch_files.push((p, target));
            }
        } else if let Some(text) = item.get("patch").and_then(Value::as_str) {
            out.inline.push((text.to_string(), target));
        }
    }
    out
}

/// `rel` relative to the directory of `base`, resolved lexically; `None` when it would
/// climb above the repository root.
fn join(base: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = base.split('/').collect();
    parts.pop();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}
