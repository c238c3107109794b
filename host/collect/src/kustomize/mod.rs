//! Rendering the Kustomize roots of a manifest tree with `kubectl kustomize` or
//! `kustomize build`, each rendered object with the file that defined it.
//!
//! A root is a directory holding a kustomization file. Roots that another root uses
//! (a base) are not rendered on their own, so an object is judged once per overlay
//! that deploys it, not again as the base's copy. Each root is rendered through a
//! wrapper kustomization that asks for `originAnnotations`, which name the file each
//! object came from; the annotation is removed before the object is judged. The
//! patches that changed an object, and the fields each set, come from [`patches`].

pub mod patches;

use std::collections::{BTreeSet, HashSet};
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use aiops_sdk::kustomize::FILE_NAMES;
use serde_json::Value;

/// The annotation Kustomize's `originAnnotations` adds.
const ORIGIN: &str = "config.kubernetes.io/origin";

/// The program that renders a kustomization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renderer {
    /// `kubectl kustomize DIR`.
    Kubectl(PathBuf),
    /// `kustomize build DIR`.
    Kustomize(PathBuf),
}

impl Renderer {
    /// `kubectl`, else `kustomize`, found on `PATH`; `None` when neither is.
    pub fn from_path() -> Option<Renderer> {
        let path = std::env::var_os("PATH")?;
        let find = |name: &str| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        };
        find("kubectl")
            .map(Renderer::Kubectl)
            .or_else(|| find("kustomize").map(Renderer::Kustomize))
    }

    fn command(&self, dir: &Path) -> Command {
        let mut command = match self {
            Renderer::Kubectl(bin) => {
                let mut c = Command::new(bin);
                c.arg("kustomize");
                c
            }
            Renderer::Kustomize(bin) => {
                let mut c = Command::new(bin);
                c.arg("build");
                c
            }
        };
        command.arg(dir);
        command
    }
}

/// The kustomization file of `dir`, if it has one.
pub fn kustomization_file(dir: &Path) -> Option<PathBuf> {
    FILE_NAMES
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
}

/// What one kustomization uses: directories (bases, components) and files (resources,
/// patches), as canonical paths.
#[derive(Debug, Default)]
pub struct Uses {
    /// Directories it names in `resources`, `bases` or `components`.
    pub dirs: Vec<PathBuf>,
    /// Files it names in `resources` and its patches.
    pub files: Vec<PathBuf>,
}

/// Reads what the kustomization of `root` uses; an unreadable one uses nothing.
pub fn uses(root: &Path) -> Uses {
    let mut out = Uses::default();
    let Some(file) = kustomization_file(root) else {
        return out;
    };
    let Ok(text) = std::fs::read_to_string(&file) else {
        return out;
    };
    let Ok(k) = serde_norway::from_str::<Value>(&text) else {
        return out;
    };
    let list = |key: &str| {
        k.get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
    };
    let mut named: Vec<&str> = Vec::new();
    for key in ["resources", "bases", "components", "patchesStrategicMerge"] {
        named.extend(list(key).into_iter().filter_map(Value::as_str));
    }
    for key in ["patches", "patchesJson6902"] {
        named.extend(
            list(key)
                .into_iter()
                .filter_map(|p| p.get("path").and_then(Value::as_str)),
        );
    }
    for rel in named {
        if rel.contains('\n') || rel.contains("://") {
            continue;
        }
        let Ok(path) = root.join(rel).canonicalize() else {
            continue;
        };
        if path.is_dir() {
            out.dirs.push(path);
        } else {
            out.files.push(path);
        }
    }
    out
}

/// The roots to render: those no other root uses. `roots` are canonical paths.
pub fn top_roots(roots: &[PathBuf]) -> (Vec<PathBuf>, HashSet<PathBuf>) {
    let mut used_dirs = HashSet::new();
    let mut used_files = HashSet::new();
    for root in roots {
        let uses = uses(root);
        used_dirs.extend(uses.dirs);
        used_files.extend(uses.files);
    }
    let top = roots
        .iter()
        .filter(|r| !used_dirs.contains(*r))
        .cloned()
        .collect();
    (top, used_files)
}

/// One rendered object and the file its origin annotation names.
pub struct RenderedObject {
    /// The object, origin annotation removed.
    pub object: Value,
    /// The file that defined it (canonical), or the kustomization that generated it.
    pub origin: PathBuf,
}

/// Why a root could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The wrapper directory could not be made.
    #[error("cannot prepare the render: {0}")]
    Prepare(#[from] std::io::Error),
    /// The renderer failed; its first error line.
    #[error("{program} failed: {message}")]
    Failed {
        /// `kubectl kustomize` or `kustomize build`.
        program: &'static str,
        /// Its stderr's first line.
        message: String,
    },
    /// The output is not YAML.
    #[error("unreadable output: {0}")]
    Output(String),
}

impl Renderer {
    /// Renders `root` (canonical), each object with its origin file.
    pub fn render(&self, root: &Path) -> Result<Vec<RenderedObject>, RenderError> {
        let wrapper = tempfile::tempdir()?;
        let wrapper_dir = wrapper.path().canonicalize()?;
        let relative = relative_path(&wrapper_dir, root);
        std::fs::write(
            wrapper_dir.join("kustomization.yaml"),
            format!(
                "resources:\n- {}\nbuildMetadata: [originAnnotations]\n",
                serde_json::to_string(&relative.to_string_lossy()).expect("a string")
            ),
        )?;
        let output = self.command(&wrapper_dir).output()?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let message = stderr
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no message")
                .replace(&wrapper_dir.display().to_string(), "<render>");
            return Err(RenderError::Failed {
                program: self.program(),
                message,
            });
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let mut objects = Vec::new();
        for doc in aiops_yaml::lines::split_yaml(&text) {
            let value = match aiops_yaml::parse(doc.text) {
                Some(v) => v,
                None => serde_norway::from_str::<Value>(doc.text)
                    .map_err(|e| RenderError::Output(e.to_string()))?,
            };
            if value.is_null() {
                continue;
            }
            let (object, origin) = take_origin(value);
            let origin = origin
                .and_then(|rel| wrapper_dir.join(rel).canonicalize().ok())
                .unwrap_or_else(|| kustomization_file(root).unwrap_or_else(|| root.to_path_buf()));
            objects.push(RenderedObject { object, origin });
        }
        Ok(objects)
    }

    fn program(&self) -> &'static str {
        match self {
            Renderer::Kubectl(_) => "kubectl kustomize",
            Renderer::Kustomize(_) => "kustomize build",
        }
    }
}

/// Removes the origin annotation (and an emptied `annotations`), returning the origin's
/// `path`, or `configuredIn` for a generated object.
fn take_origin(mut object: Value) -> (Value, Option<String>) {
    let Some(annotations) = object
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    else {
        return (object, None);
    };
    let origin = annotations.remove(ORIGIN);
    let emptied = annotations.is_empty();
    if emptied && let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("annotations");
    }
    let path = origin
        .as_ref()
        .and_then(Value::as_str)
        .and_then(|text| serde_norway::from_str::<Value>(text).ok())
        .and_then(|o| {
            o.get("path")
                .or_else(|| o.get("configuredIn"))
                .and_then(Value::as_str)
                .map(str::to_string)
        });
    (object, path)
}

/// `to` relative to `from` (both absolute, canonical).
fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for part in &to[common..] {
        out.push(part);
    }
    out
}

/// Where a document of a file starts and what it holds.
pub struct DocumentHead {
    /// Index of the document in the file.
    pub index: usize,
    /// Its first content line.
    pub line: usize,
    /// `kind`, when it has one.
    pub kind: Option<String>,
    /// `metadata.name`, when it has one.
    pub name: Option<String>,
}

/// Kind and name of each document of a YAML file, to find the document an origin names.
pub fn documents_of(text: &str) -> Vec<DocumentHead> {
    aiops_yaml::lines::split_yaml(text)
        .iter()
        .enumerate()
        .map(|(index, doc)| {
            let value = aiops_yaml::parse(doc.text)
                .or_else(|| serde_norway::from_str::<Value>(doc.text).ok())
                .unwrap_or(Value::Null);
            let field = |p: &str| value.pointer(p).and_then(Value::as_str).map(str::to_string);
            DocumentHead {
                index,
                line: doc.line,
                kind: field("/kind"),
                name: field("/metadata/name"),
            }
        })
        .collect()
}

/// The roots among `dirs` as a sorted set (for stable output).
pub fn sorted(dirs: impl IntoIterator<Item = PathBuf>) -> Vec<PathBuf> {
    dirs.into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_to_the_common_ancestor() {
        assert_eq!(
            relative_path(Path::new("/tmp/x1"), Path::new("/work/repo/deploy")),
            PathBuf::from("../../work/repo/deploy")
        );
        assert_eq!(
            relative_path(Path::new("/a/b"), Path::new("/a/b/c")),
            PathBuf::from("c")
        );
    }

    #[test]
    fn the_origin_annotation_is_taken_and_an_emptied_map_removed() {
        let object = serde_json::json!({"kind": "Deployment", "metadata": {"name": "web",
            "annotations": {ORIGIN: "path: ../base/web.yaml\n"}}});
        let (object, origin) = take_origin(object);
        assert_eq!(origin.as_deref(), Some("../base/web.yaml"));
        assert_eq!(
            object,
            serde_json::json!({"kind": "Deployment", "metadata": {"name": "web"}})
        );
        let kept = serde_json::json!({"metadata": {"annotations": {ORIGIN: "configuredIn: kustomization.yaml\n", "team": "a"}}});
        let (object, origin) = take_origin(kept);
        assert_eq!(origin.as_deref(), Some("kustomization.yaml"));
        assert_eq!(
            object,
            serde_json::json!({"metadata": {"annotations": {"team": "a"}}})
        );
    }
}
