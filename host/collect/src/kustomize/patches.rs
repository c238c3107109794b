//! The Kustomize patches that changed a rendered object and the fields each one set,
//! so a finding about a field an overlay's patch set points at that patch, not at the
//! base file.
//!
//! A root's patches are read from its kustomization and those of its bases (bases
//! first, as Kustomize applies them): strategic-merge patches (files or inline, in
//! `patchesStrategicMerge` or `patches`), JSON 6902 patches (`patches` with a
//! `target`, `patchesJson6902`), and the kustomization's own `images` and `replicas`
//! (located at that key of the kustomization file). A patch selects an object by its `target`, or, without
//! one, by the kind and name of its own document.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use aiops_core::{PatchedFields, SourceLocation};
use aiops_sdk::kustomize::Target;
use serde_json::Value;

/// One patch document a kustomization applies.
#[derive(Debug, Clone)]
pub struct PatchDoc {
    /// Its file (canonical); for an inline patch, the kustomization file.
    pub file: PathBuf,
    /// Index of the document in that file.
    pub document: usize,
    /// Its first line in that file.
    pub line: usize,
    /// The patch itself: a strategic-merge document or a JSON 6902 list of operations.
    pub value: Value,
    /// Its `target`, when the kustomization gives one.
    pub target: Option<Target>,
    /// For a field a kustomization's own transformer sets (`images`, `replicas`), which;
    /// `value` is then null.
    pub setter: Option<Setter>,
}

/// A kustomization field that sets fields of the objects it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setter {
    /// `images`: the image of every container whose image has one of these names.
    Images(Vec<String>),
    /// `replicas`: `spec.replicas` of the objects with one of these names.
    Replicas(Vec<String>),
}

/// The patch documents of `root`'s kustomization and its bases', bases first.
pub fn chain_patches(root: &Path) -> Vec<PatchDoc> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    gather(root, &mut seen, &mut out);
    out
}

fn gather(root: &Path, seen: &mut HashSet<PathBuf>, out: &mut Vec<PatchDoc>) {
    if !seen.insert(root.to_path_buf()) {
        return;
    }
    for base in super::uses(root).dirs {
        gather(&base, seen, out);
    }
    out.extend(own_patches(root));
}

/// The patch documents one kustomization names, in its order.
fn own_patches(root: &Path) -> Vec<PatchDoc> {
    let Some(file) = super::kustomization_file(root) else {
        return Vec::new();
    };
    let Some(k) = std::fs::read_to_string(&file)
        .ok()
        .and_then(|text| serde_norway::from_str::<Value>(&text).ok())
    else {
        return Vec::new();
    };
    let file = file.canonicalize().unwrap_or(file);
    let list = |key: &str| {
        k.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let names = |key: &str| -> Vec<String> {
        list(key)
            .iter()
            .filter_map(|e| e.get("name").and_then(Value::as_str).map(str::to_string))
            .collect()
    };
    for entry in list("patchesStrategicMerge") {
        if let Some(text) = entry.as_str() {
            out.extend(named_or_inline(root, &file, text));
        }
    }
    for key in ["patches", "patchesJson6902"] {
        for entry in list(key) {
            let target = entry.get("target").map(Target::from_value);
            if let Some(path) = entry.get("path").and_then(Value::as_str) {
                out.extend(file_docs(&root.join(path), target));
            } else if let Some(text) = entry.get("patch").and_then(Value::as_str) {
                out.extend(inline_docs(&file, text, target));
            }
        }
    }
    // Kustomize runs `replicas` and `images` after the patches: they win.
    for (key, setter) in [
        ("images", Setter::Images(names("images"))),
        ("replicas", Setter::Replicas(names("replicas"))),
    ] {
        let line = text
            .lines()
            .position(|l| l.starts_with(&format!("{key}:")))
            .map_or(1, |i| i + 1);
        let empty = match &setter {
            Setter::Images(n) | Setter::Replicas(n) => n.is_empty(),
        };
        if !empty {
            out.push(PatchDoc {
                file: file.clone(),
                document: 0,
                line,
                value: Value::Null,
                target: None,
                setter: Some(setter),
            });
        }
    }
    out
}

/// A `patchesStrategicMerge` entry: a path, or a patch written inline.
fn named_or_inline(root: &Path, file: &Path, text: &str) -> Vec<PatchDoc> {
    if text.contains('\n') {
        inline_docs(file, text, None)
    } else {
        file_docs(&root.join(text), None)
    }
}

fn file_docs(path: &Path, target: Option<Target>) -> Vec<PatchDoc> {
    let Ok(file) = path.canonicalize() else {
        return Vec::new();
    };
    let Ok(text) = std::fs::read_to_string(&file) else {
        return Vec::new();
    };
    parsed_docs(&text)
        .into_iter()
        .map(|(document, line, value)| PatchDoc {
            file: file.clone(),
            document,
            line,
            value,
            target: target.clone(),
            setter: None,
        })
        .collect()
}

/// An inline patch, located at the first line of its kustomization.
fn inline_docs(file: &Path, text: &str, target: Option<Target>) -> Vec<PatchDoc> {
    parsed_docs(text)
        .into_iter()
        .map(|(_, _, value)| PatchDoc {
            file: file.to_path_buf(),
            document: 0,
            line: 1,
            value,
            target: target.clone(),
            setter: None,
        })
        .collect()
}

/// Index, first line and value of each document of `text` that parses.
fn parsed_docs(text: &str) -> Vec<(usize, usize, Value)> {
    aiops_yaml::lines::split_yaml(text)
        .iter()
        .enumerate()
        .filter_map(|(index, doc)| {
            let value = aiops_yaml::parse(doc.text)
                .or_else(|| serde_norway::from_str::<Value>(doc.text).ok())?;
            (!value.is_null()).then_some((index, doc.line, value))
        })
        .collect()
}

/// The patches among `patches` that changed `object` (rendered), each with the fields
/// it set; `shown` maps a canonical file to the path reports show.
pub fn patched_fields(
    patches: &[PatchDoc],
    object: &Value,
    shown: impl Fn(&Path) -> PathBuf,
) -> Vec<PatchedFields> {
    patches
        .iter()
        .filter(|patch| selects(patch, object))
        .filter_map(|patch| {
            let fields = match &patch.setter {
                Some(setter) => setter_fields(setter, object),
                None => fields_set(&patch.value, object),
            };
            (!fields.is_empty()).then(|| PatchedFields {
                location: SourceLocation {
                    file: shown(&patch.file),
                    document: patch.document,
                    line: patch.line,
                },
                fields,
            })
        })
        .collect()
}

/// Whether `patch` applies to `object`: its target selects it, or (no target) its
/// document has the object's kind and its name (or a name the rendered one contains:
/// a `namePrefix` or `nameSuffix` was added after the patch).
fn selects(patch: &PatchDoc, object: &Value) -> bool {
    let field = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string);
    let (kind, name) = (field(object, "/kind"), field(object, "/metadata/name"));
    if patch.setter.is_some() {
        // Which objects it sets is decided field by field (`setter_fields`).
        return true;
    }
    match &patch.target {
        Some(target) => {
            let namespace = field(object, "/metadata/namespace");
            target
                .kind
                .as_ref()
                .is_none_or(|k| Some(k) == kind.as_ref())
                && target.name.as_ref().is_none_or(|n| {
                    name.as_deref()
                        .is_some_and(|name| name.contains(n.as_str()))
                })
                && target
                    .namespace
                    .as_ref()
                    .is_none_or(|ns| Some(ns) == namespace.as_ref())
        }
        None => {
            let (patch_kind, patch_name) = (
                field(&patch.value, "/kind"),
                field(&patch.value, "/metadata/name"),
            );
            patch_kind.is_some()
                && patch_kind == kind
                && patch_name
                    .zip(name)
                    .is_some_and(|(p, n)| n.contains(p.as_str()))
        }
    }
}

/// The fields `patch` sets on `object`, as pointers into the rendered object: list
/// items merged by `name` (containers, ports, env) get the rendered item's index; a list
/// without names was replaced whole. The patch's own identity (`apiVersion`, `kind`,
/// `metadata.name`, `metadata.namespace`) and `$patch` directives are not fields it sets.
pub fn fields_set(patch: &Value, object: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match patch {
        Value::Array(operations) => out.extend(
            operations
                .iter()
                .filter_map(|op| op.get("path").and_then(Value::as_str))
                .map(str::to_string),
        ),
        Value::Object(map) => {
            for (key, value) in map {
                if matches!(key.as_str(), "apiVersion" | "kind") || key.starts_with('$') {
                    continue;
                }
                let at = format!("/{}", escape(key));
                let rendered = object.get(key);
                match (key.as_str(), value) {
                    ("metadata", Value::Object(meta)) => {
                        for (k, v) in meta {
                            if k != "name" && k != "namespace" {
                                let child = rendered.and_then(|r| r.get(k));
                                walk(v, child, format!("{at}/{}", escape(k)), &mut out);
                            }
                        }
                    }
                    _ => walk(value, rendered, at, &mut out),
                }
            }
        }
        _ => {}
    }
    out
}

fn walk(patch: &Value, rendered: Option<&Value>, at: String, out: &mut Vec<String>) {
    match patch {
        Value::Object(map) if !map.is_empty() => {
            for (key, value) in map {
                if key.starts_with('$') {
                    continue;
                }
                let child = rendered.and_then(|r| r.get(key));
                walk(value, child, format!("{at}/{}", escape(key)), out);
            }
        }
        Value::Array(items) => {
            let rendered = rendered.and_then(Value::as_array);
            let name = |v: &Value| v.get("name").and_then(Value::as_str).map(str::to_string);
            let mut merged = false;
            for item in items {
                let index = name(item).and_then(|n| {
                    rendered?
                        .iter()
                        .position(|r| name(r).as_deref() == Some(n.as_str()))
                });
                if let (Some(i), Some(list), Some(fields)) = (index, rendered, item.as_object()) {
                    merged = true;
                    // `name` is the merge key that picked the item, not a field set.
                    for (key, value) in fields.iter().filter(|(k, _)| *k != "name") {
                        let child = list[i].get(key);
                        walk(value, child, format!("{at}/{i}/{}", escape(key)), out);
                    }
                }
            }
            if !merged {
                out.push(at);
            }
        }
        _ => out.push(at),
    }
}

/// The fields a kustomization's `images` or `replicas` sets on `object`.
fn setter_fields(setter: &Setter, object: &Value) -> Vec<String> {
    match setter {
        Setter::Replicas(names) => {
            let name = object.pointer("/metadata/name").and_then(Value::as_str);
            let named = name.is_some_and(|n| names.iter().any(|m| n.contains(m.as_str())));
            if named && object.pointer("/spec/replicas").is_some() {
                vec!["/spec/replicas".to_string()]
            } else {
                Vec::new()
            }
        }
        Setter::Images(names) => {
            let mut out = Vec::new();
            containers(object, String::new(), &mut |at, container| {
                let image = container.get("image").and_then(Value::as_str).unwrap_or("");
                if names.iter().any(|n| n == image_name(image)) {
                    out.push(format!("{at}/image"));
                }
            });
            out
        }
    }
}

/// Calls `visit` with the pointer and value of every item of a `containers` or
/// `initContainers` list anywhere in `value`.
fn containers(value: &Value, at: String, visit: &mut dyn FnMut(&str, &Value)) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let here = format!("{at}/{}", escape(key));
                match (key.as_str(), child) {
                    ("containers" | "initContainers", Value::Array(items)) => {
                        for (i, item) in items.iter().enumerate() {
                            visit(&format!("{here}/{i}"), item);
                        }
                    }
                    _ => containers(child, here, visit),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                containers(item, format!("{at}/{i}"), visit);
            }
        }
        _ => {}
    }
}

/// The name part of an image reference: without `@digest` and `:tag` (a `:` in the
/// registry's host and port is not a tag).
fn image_name(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    match image.rfind(':') {
        Some(colon) if !image[colon..].contains('/') => &image[..colon],
        _ => image,
    }
}

/// A JSON pointer token for `key` (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rendered() -> Value {
        json!({"kind": "Deployment", "metadata": {"name": "prod-web", "labels": {"a/b": "x"}},
            "spec": {"replicas": 4, "template": {"spec": {"containers": [
                {"name": "sidecar", "image": "s"},
                {"name": "web", "image": "w", "args": ["--a"],
                 "resources": {"limits": {"cpu": "50m"}}}]}}}})
    }

    #[test]
    fn a_strategic_merge_patch_sets_the_leaves_it_names_with_containers_by_name() {
        let patch = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"a/b": "x"}},
            "spec": {"replicas": 4, "template": {"spec": {"containers": [
                {"name": "web", "args": ["--a"], "resources": {"limits": {"cpu": "50m"}}}]}}}});
        let fields = fields_set(&patch, &rendered());
        assert_eq!(
            fields,
            [
                "/metadata/labels/a~1b",
                "/spec/replicas",
                "/spec/template/spec/containers/1/args",
                "/spec/template/spec/containers/1/resources/limits/cpu",
            ]
        );
    }

    #[test]
    fn a_json_6902_patch_sets_its_operations_paths() {
        let patch = json!([{"op": "replace", "path": "/spec/replicas", "value": 4},
            {"op": "add", "path": "/spec/template/spec/containers/1/resources/limits/cpu", "value": "50m"}]);
        assert_eq!(
            fields_set(&patch, &rendered()),
            [
                "/spec/replicas",
                "/spec/template/spec/containers/1/resources/limits/cpu"
            ]
        );
    }

    #[test]
    fn a_patch_selects_by_target_or_by_its_own_kind_and_name() {
        let doc = |value: Value, target: Option<Target>| PatchDoc {
            file: PathBuf::from("p.yaml"),
            document: 0,
            line: 1,
            value,
            target,
            setter: None,
        };
        let object = rendered();
        let by_name = doc(
            json!({"kind": "Deployment", "metadata": {"name": "web"}}),
            None,
        );
        assert!(
            selects(&by_name, &object),
            "namePrefix added after the patch"
        );
        let other = doc(
            json!({"kind": "Deployment", "metadata": {"name": "api"}}),
            None,
        );
        assert!(!selects(&other, &object));
        let service = doc(
            json!({"kind": "Service", "metadata": {"name": "web"}}),
            None,
        );
        assert!(!selects(&service, &object));
        let target = |kind: &str| Target {
            kind: Some(kind.into()),
            name: Some("web".into()),
            namespace: None,
        };
        assert!(selects(
            &doc(json!([]), Some(target("Deployment"))),
            &object
        ));
        assert!(!selects(
            &doc(json!([]), Some(target("StatefulSet"))),
            &object
        ));
    }

    #[test]
    fn a_kustomizations_images_and_replicas_set_the_fields_they_name() {
        let object = json!({"kind": "Deployment", "metadata": {"name": "prod-web"},
            "spec": {"replicas": 4, "template": {"spec": {
                "initContainers": [{"name": "migrate", "image": "registry:5000/shop/web:1.8"}],
                "containers": [{"name": "web", "image": "registry:5000/shop/web@sha256:ab"},
                               {"name": "proxy", "image": "envoy:1.31"}]}}}});
        let images = Setter::Images(vec!["registry:5000/shop/web".into()]);
        assert_eq!(
            setter_fields(&images, &object),
            [
                "/spec/template/spec/containers/0/image",
                "/spec/template/spec/initContainers/0/image",
            ]
        );
        let replicas = Setter::Replicas(vec!["web".into()]);
        assert_eq!(setter_fields(&replicas, &object), ["/spec/replicas"]);
        let other = Setter::Replicas(vec!["api".into()]);
        assert!(setter_fields(&other, &object).is_empty());
        assert_eq!(image_name("nginx"), "nginx");
        assert_eq!(image_name("registry:5000/nginx"), "registry:5000/nginx");
    }
}
