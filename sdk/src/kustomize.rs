//! Kustomize files, read the one way the host (locating a resource's files) and the
//! `k8s-manifests` remediator (editing them) both need: which files are kustomizations,
//! which patches a kustomization applies, which resource a patch targets, and where a
//! patch path points in the repository. Pure, no I/O (feature `kustomize`).
//!
//! ```
//! use aiops_sdk::kustomize::{self, Kustomization, PatchSource};
//!
//! assert!(kustomize::is_kustomization("k8s/overlays/prod/Kustomization"));
//! let k = Kustomization::parse(
//!     "k8s/overlays/prod/kustomization.yaml",
//!     "patches:\n- path: replicas.yaml\n- path: ../../../../outside.yaml\n",
//! )
//! .unwrap();
//! assert_eq!(k.patches[0].source, PatchSource::File("k8s/overlays/prod/replicas.yaml".into()));
//! assert_eq!(k.refused[0].to_string(),
//!     "k8s/overlays/prod/kustomization.yaml: patch path `../../../../outside.yaml` climbs above the repository root");
//! ```

use serde_json::Value;

use crate::model::Resource;

/// Base names Kustomize reads as a kustomization.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// True when the (repository-relative) `path` names a kustomization file.
pub fn is_kustomization(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    FILE_NAMES.contains(&base)
}

/// A path a kustomization names that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kustomization}: patch path `{path}` climbs above the repository root")]
pub struct OutsideRepo {
    /// The kustomization naming it.
    pub kustomization: String,
    /// The path as written.
    pub path: String,
}

/// A kustomization file that is not a YAML mapping Kustomize could read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: not a readable kustomization: {reason}")]
pub struct Unreadable {
    /// The kustomization.
    pub path: String,
    /// What the YAML parser said.
    pub reason: String,
}

/// `rel` relative to the directory of the file `base` (both repository-relative),
/// `.` and `..` resolved lexically; `None` when it would climb above the root.
///
/// ```
/// use aiops_sdk::kustomize::join;
/// assert_eq!(join("k8s/prod/kustomization.yaml", "../common/b.yaml").as_deref(), Some("k8s/common/b.yaml"));
/// assert_eq!(join("kustomization.yaml", "./c.yaml").as_deref(), Some("c.yaml"));
/// assert_eq!(join("k8s/kustomization.yaml", "../../x.yaml"), None);
/// ```
pub fn join(base: &str, rel: &str) -> Option<String> {
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

/// Where a patch's text is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchSource {
    /// A file of its own, repository-relative.
    File(String),
    /// Written inside the kustomization.
    Inline(String),
}

/// A patch's `target` selector (the fields both readers honour).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// `kind`, any when absent.
    pub kind: Option<String>,
    /// `name`, any when absent.
    pub name: Option<String>,
    /// `namespace`, any when absent.
    pub namespace: Option<String>,
}

impl Target {
    /// Reads the string fields of a `target` mapping; others are ignored.
    pub fn from_value(value: &Value) -> Target {
        let field = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_string);
        Target {
            kind: field("kind"),
            name: field("name"),
            namespace: field("namespace"),
        }
    }

    /// True when the selector selects `r`.
    pub fn selects(&self, r: &Resource) -> bool {
        self.kind.as_deref().is_none_or(|k| k == r.kind)
            && self.name.as_deref().is_none_or(|n| n == r.name)
            && self
                .namespace
                .as_deref()
                .is_none_or(|ns| Some(ns) == r.namespace.as_deref())
    }
}

/// One patch a kustomization applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    /// Its file or inline text.
    pub source: PatchSource,
    /// Its `target`, when given.
    pub target: Option<Target>,
}

impl Patch {
    /// The repository-relative file of the patch, when it has one.
    pub fn file(&self) -> Option<&str> {
        match &self.source {
            PatchSource::File(path) => Some(path),
            PatchSource::Inline(_) => None,
        }
    }
}

/// A kustomization's patches, in Kustomize's order: `patchesStrategicMerge` (paths or
/// inline documents), then `patches` (a `path` or an inline `patch`, with a `target`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kustomization {
    /// Path of the kustomization, repository-relative.
    pub path: String,
    /// The patches that can be used.
    pub patches: Vec<Patch>,
    /// Patch paths refused because they climb above the repository root: the caller
    /// reports them.
    pub refused: Vec<OutsideRepo>,
}

impl Kustomization {
    /// Parses the kustomization at `path` from its YAML text.
    pub fn parse(path: &str, text: &str) -> Result<Kustomization, Unreadable> {
        let value: Value = serde_norway::from_str(text).map_err(|e| Unreadable {
            path: path.to_string(),
            reason: e.to_string(),
        })?;
        Ok(Kustomization::from_value(path, &value))
    }

    /// Reads the kustomization at `path` from its parsed document.
    pub fn from_value(path: &str, k: &Value) -> Kustomization {
        let mut out = Kustomization {
            path: path.to_string(),
            patches: Vec::new(),
            refused: Vec::new(),
        };
        let list = |key: &str| k.get(key).and_then(Value::as_array).into_iter().flatten();
        for item in list("patchesStrategicMerge") {
            if let Some(s) = item.as_str() {
                if s.contains('\n') {
                    out.push(PatchSource::Inline(s.to_string()), None);
                } else {
                    out.push_file(s, None);
                }
            }
        }
        for item in list("patches") {
            let target = item.get("target").map(Target::from_value);
            if let Some(p) = item.get("path").and_then(Value::as_str) {
                out.push_file(p, target);
            } else if let Some(text) = item.get("patch").and_then(Value::as_str) {
                out.push(PatchSource::Inline(text.to_string()), target);
            }
        }
        out
    }

    fn push(&mut self, source: PatchSource, target: Option<Target>) {
        self.patches.push(Patch { source, target });
    }

    fn push_file(&mut self, rel: &str, target: Option<Target>) {
        match join(&self.path, rel) {
            Some(full) => self.push(PatchSource::File(full), target),
            None => self.refused.push(OutsideRepo {
                kustomization: self.path.clone(),
                path: rel.to_string(),
            }),
        }
    }
}

/// Whether an inline strategic-merge patch's text names `r` (same kind and name).
pub fn inline_names(text: &str, r: &Resource) -> bool {
    serde_norway::from_str::<Value>(text).is_ok_and(|v| {
        v.get("kind").and_then(Value::as_str) == Some(r.kind.as_str())
            && v.pointer("/metadata/name").and_then(Value::as_str) == Some(r.name.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(kind: &str, name: &str, namespace: Option<&str>) -> Resource {
        Resource {
            id: format!("k8s/{kind}/{name}"),
            kind: kind.into(),
            platform: crate::Platform::Kubernetes,
            name: name.into(),
            namespace: namespace.map(str::to_string),
            labels: vec![],
            metrics: vec![],
            raw: "{}".into(),
        }
    }

    #[test]
    fn joins_relative_patch_paths() {
        assert_eq!(
            join("k8s/overlays/prod/kustomization.yaml", "patches/a.yaml").as_deref(),
            Some("k8s/overlays/prod/patches/a.yaml")
        );
        assert_eq!(
            join("k8s/overlays/prod/kustomization.yaml", "../common/b.yaml").as_deref(),
            Some("k8s/overlays/common/b.yaml")
        );
        assert_eq!(
            join("kustomization.yaml", "./c.yaml").as_deref(),
            Some("c.yaml")
        );
    }

    #[test]
    fn knows_all_three_kustomization_file_names() {
        for path in [
            "k8s/kustomization.yaml",
            "k8s/kustomization.yml",
            "k8s/Kustomization",
            "Kustomization",
        ] {
            assert!(is_kustomization(path), "{path}");
        }
        for path in [
            "k8s/kustomization.json",
            "k8s/my-kustomization.yaml",
            "k8s/base.yaml",
        ] {
            assert!(!is_kustomization(path), "{path}");
        }
    }

    #[test]
    fn refuses_a_patch_path_climbing_above_the_repository_root() {
        let k = Kustomization::parse(
            "k8s/Kustomization",
            "patchesStrategicMerge:\n- ../../secret.yaml\n- ok.yaml\n\
             patches:\n- path: ../../../x.yaml\n  target: {kind: Deployment}\n",
        )
        .unwrap();
        assert_eq!(k.patches.len(), 1);
        assert_eq!(k.patches[0].file(), Some("k8s/ok.yaml"));
        let refused: Vec<&str> = k.refused.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(refused, ["../../secret.yaml", "../../../x.yaml"]);
        // Up to the root is fine.
        assert_eq!(
            join("k8s/kustomization.yaml", "../x.yaml").as_deref(),
            Some("x.yaml")
        );
    }

    #[test]
    fn reads_patches_in_kustomize_order_with_targets() {
        let k = Kustomization::parse(
            "overlays/prod/kustomization.yaml",
            "patches:\n- path: patches/a.yaml\n  target: {kind: Deployment, name: web}\n\
             - patch: |\n    - op: replace\n      path: /spec/replicas\n      value: 3\n\
             patchesStrategicMerge:\n- |\n  kind: Deployment\n  metadata: {name: web}\n",
        )
        .unwrap();
        assert!(matches!(&k.patches[0].source, PatchSource::Inline(t) if t.contains("name: web")));
        assert_eq!(k.patches[1].file(), Some("overlays/prod/patches/a.yaml"));
        assert!(
            matches!(&k.patches[2].source, PatchSource::Inline(t) if t.contains("op: replace"))
        );
        let web = resource("Deployment", "web", Some("shop"));
        assert!(k.patches[1].target.as_ref().unwrap().selects(&web));
        assert!(!k.patches[1].target.as_ref().unwrap().selects(&resource(
            "Deployment",
            "api",
            None
        )));
        let PatchSource::Inline(text) = &k.patches[0].source else {
            unreachable!()
        };
        assert!(inline_names(text, &web));
        assert!(!inline_names(text, &resource("StatefulSet", "web", None)));
    }

    #[test]
    fn a_target_without_fields_selects_everything() {
        let t = Target::from_value(&serde_json::json!({"group": "apps"}));
        assert!(t.selects(&resource("Deployment", "web", Some("shop"))));
        let ns = Target::from_value(&serde_json::json!({"namespace": "shop"}));
        assert!(!ns.selects(&resource("Deployment", "web", None)));
    }

    #[test]
    fn an_unreadable_kustomization_says_which() {
        let err = Kustomization::parse("k/kustomization.yaml", "patches: [").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("k/kustomization.yaml: not a readable kustomization")
        );
    }
}
