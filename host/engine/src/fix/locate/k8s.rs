//! The Kubernetes side of locating: every YAML document of the repository by kind,
//! name and namespace, and the Kustomize patches that target them.

use std::collections::BTreeSet;

use aiops_sdk::Resource;
use aiops_sdk::kustomize::{self, PatchSource, Target};
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
    patch_files: Vec<(String, Option<Target>)>,
    /// Inline patches (text), each with its `target` if given.
    inline: Vec<(String, Option<Target>)>,
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
        const MANIFESTS: [&str; 3] = [".yaml", ".yml", ".json"];
        let files = repo.files(&[".yaml", ".yml", ".json", "Kustomization"]);
        for file in files
            .into_iter()
            .filter(|f| kustomize::is_kustomization(f) || MANIFESTS.iter().any(|s| f.ends_with(s)))
        {
            let Ok(text) = repo.read(&file, MAX_FILE) else {
                continue;
            };
            if kustomize::is_kustomization(&file) {
                if let Ok(k) = kustomize::Kustomization::parse(&file, &text) {
                    for refused in &k.refused {
                        tracing::warn!(%refused, "Kustomize patch ignored");
                    }
                    index.kustomizations.push(kustomization(k));
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
                let by_target = target.as_ref().is_some_and(|t| t.selects(resource));
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
                    Some(t) => t.selects(resource),
                    None => kustomize::inline_names(text, resource),
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

/// The patches of a kustomization, split into files and inline texts.
fn kustomization(k: kustomize::Kustomization) -> Kustomization {
    let mut out = Kustomization {
        file: k.path,
        patch_files: Vec::new(),
        inline: Vec::new(),
    };
    for patch in k.patches {
        match patch.source {
            PatchSource::File(path) => out.patch_files.push((path, patch.target)),
            PatchSource::Inline(text) => out.inline.push((text, patch.target)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CART: &str = "kind: Deployment\nmetadata:\n  name: cart\n  namespace: shop\n";

    fn cart() -> Resource {
        Resource {
            id: "k8s/apps/Deployment/shop/cart".into(),
            kind: "Deployment".into(),
            platform: aiops_sdk::Platform::Kubernetes,
            name: "cart".into(),
            namespace: Some("shop".into()),
            labels: vec![],
            metrics: vec![],
            raw: "{}".into(),
        }
    }

    fn index(files: &[(&str, &str)]) -> Index {
        let dir = tempfile::tempdir().unwrap();
        for (path, content) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        Index::build(&IacRepo::open(dir.path()).unwrap())
    }

    #[test]
    fn a_kustomization_file_named_kustomization_adds_its_patches() {
        let index = index(&[
            ("k8s/base/cart.yaml", CART),
            ("k8s/prod/Kustomization", "patches:\n  - path: cart.yaml\n"),
            ("k8s/prod/cart.yaml", CART),
        ]);
        let files = index.defining(&cart());
        assert_eq!(files, ["k8s/base/cart.yaml"]);
        assert_eq!(
            index.with_patches(files, &cart()),
            [
                "k8s/base/cart.yaml",
                "k8s/prod/cart.yaml",
                "k8s/prod/Kustomization"
            ]
        );
    }

    #[test]
    fn a_patch_path_climbing_above_the_repository_root_is_refused() {
        let index = index(&[
            ("cart.yaml", CART),
            (
                "k8s/prod/kustomization.yaml",
                "patches:\n  - path: ../../../cart.yaml\n",
            ),
        ]);
        let files = index.defining(&cart());
        assert_eq!(files, ["cart.yaml"], "not taken for the patch");
        assert_eq!(index.with_patches(files, &cart()), ["cart.yaml"]);
    }
}
