//! The files the host handed over, read once: which are manifests, which are Kustomize
//! files and the patches they apply, and which documents define the target resource.

use aiops_sdk::kustomize::{self, Kustomization, PatchSource};
use aiops_sdk::{Resource, SourceFile};
use serde_json::Value;
use yaml_edit::{Document, YamlFile, YamlNode};

/// One handed-over file, parsed.
pub struct Parsed {
    /// Path relative to the repository root.
    pub path: String,
    /// Content as handed over.
    pub original: String,
    /// The syntax tree edits go into; `None` when the file cannot be edited.
    pub yaml: Option<YamlFile>,
    /// Why the file cannot be edited, when it cannot.
    pub problem: Option<String>,
    /// Position in the Kustomize patch order when a kustomization applies this file as
    /// a patch.
    pub patch_order: Option<usize>,
}

/// A document of a file that defines or patches the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// Index into [`Sources::files`].
    pub file: usize,
    /// Index of the document in the file.
    pub doc: usize,
}

/// A patch written inside a kustomization (not in a file of its own), or a JSON 6902
/// patch, that targets the resource: it cannot be edited here, but a change to a field
/// it touches must be refused.
#[derive(Debug, Clone)]
pub struct OpaquePatch {
    /// The kustomization that holds or applies it.
    pub kustomization: String,
    /// Field paths (JSON pointers or dotted) the patch touches, as text.
    pub touches: Vec<String>,
    /// What it is, for messages.
    pub what: &'static str,
}

/// Everything read from the handed-over files.
pub struct Sources {
    /// Every file.
    pub files: Vec<Parsed>,
    /// Documents defining the resource (not patches).
    pub bases: Vec<Site>,
    /// Strategic-merge patch documents of the resource, in Kustomize's order.
    pub patches: Vec<Site>,
    /// Patches that touch the resource but cannot be edited.
    pub opaque: Vec<OpaquePatch>,
    /// Patch paths the kustomizations name that were refused (above the repository
    /// root), for the log.
    pub refused: Vec<String>,
}

impl Sources {
    /// Reads `files` and finds the documents of `target`.
    pub fn read(files: Vec<SourceFile>, target: &Resource) -> Sources {
        let mut parsed: Vec<Parsed> = files.into_iter().map(parse).collect();
        let mut opaque = Vec::new();
        let mut order = 0;
        let mut refused = Vec::new();
        let kustomizations: Vec<Kustomization> = parsed
            .iter()
            .filter(|f| kustomize::is_kustomization(&f.path))
            .filter_map(|f| Kustomization::parse(&f.path, &f.original).ok())
            .collect();
        for k in &kustomizations {
            refused.extend(k.refused.iter().map(ToString::to_string));
            for patch in &k.patches {
                let selects = patch.target.as_ref().map(|t| t.selects(target));
                match &patch.source {
                    PatchSource::File(full) => {
                        if let Some(f) = parsed.iter_mut().find(|f| &f.path == full) {
                            f.patch_order = Some(order);
                            order += 1;
                            if let Some(ops) = json6902_paths(&f.original)
                                && selects.unwrap_or(true)
                            {
                                opaque.push(OpaquePatch {
                                    kustomization: k.path.clone(),
                                    touches: ops,
                                    what: "a JSON 6902 patch",
                                });
                            }
                        }
                    }
                    PatchSource::Inline(text) => {
                        if selects.unwrap_or_else(|| kustomize::inline_names(text, target)) {
                            opaque.push(OpaquePatch {
                                kustomization: k.path.clone(),
                                touches: json6902_paths(text).unwrap_or_else(|| vec![text.clone()]),
                                what: "an inline patch",
                            });
                        }
                    }
                }
            }
        }
        let mut bases = Vec::new();
        let mut patches: Vec<(usize, Site)> = Vec::new();
        for (i, f) in parsed.iter().enumerate() {
            let Some(yaml) = &f.yaml else { continue };
            if kustomize::is_kustomization(&f.path) {
                continue;
            }
            for (d, doc) in yaml.documents().enumerate() {
                if !defines(&doc, target) {
                    continue;
                }
                let site = Site { file: i, doc: d };
                match f.patch_order {
                    Some(o) => patches.push((o, site)),
                    None => bases.push(site),
                }
            }
        }
        patches.sort_by_key(|(o, _)| *o);
        Sources {
            files: parsed,
            bases,
            patches: patches.into_iter().map(|(_, s)| s).collect(),
            opaque,
            refused,
        }
    }

    /// The document of a site.
    pub fn doc(&self, site: Site) -> Document {
        self.files[site.file]
            .yaml
            .as_ref()
            .and_then(|y| y.documents().nth(site.doc))
            .expect("a site points at a parsed document")
    }

    /// `path` (document N) of a site, for messages.
    pub fn describe(&self, site: Site) -> String {
        let f = &self.files[site.file];
        let docs = f.yaml.as_ref().map_or(1, |y| y.documents().count());
        if docs > 1 {
            format!("{} (document {})", f.path, site.doc + 1)
        } else {
            f.path.clone()
        }
    }

    /// Why no file could be used, when none could: the problems of the files.
    pub fn problems(&self) -> Vec<String> {
        self.files
            .iter()
            .filter_map(|f| f.problem.as_ref().map(|p| format!("{}: {p}", f.path)))
            .collect()
    }
}

fn parse(file: SourceFile) -> Parsed {
    let problem = if file.path.ends_with(".json") {
        Some("a JSON manifest (often generated); k8s-manifests edits YAML only, so fix what generates it".to_string())
    } else if file.content.contains("{{") {
        Some(
            "a template (`{{ }}`, e.g. Helm): the rendered values are not in this file".to_string(),
        )
    } else {
        None
    };
    let yaml = match &problem {
        Some(_) => None,
        None => file.content.parse::<YamlFile>().ok(),
    };
    let problem = problem.or_else(|| yaml.is_none().then(|| "not valid YAML".to_string()));
    Parsed {
        path: file.path,
        original: file.content,
        yaml,
        problem,
        patch_order: None,
    }
}

/// True when `doc` is the target object (or a patch of it): same kind and name, and the
/// same namespace when the document sets one.
fn defines(doc: &Document, target: &Resource) -> bool {
    let text = |node: Option<YamlNode>| match node {
        Some(YamlNode::Scalar(s)) => Some(s.as_string()),
        _ => None,
    };
    if text(doc.get("kind")).as_deref() != Some(target.kind.as_str()) {
        return false;
    }
    let Some(meta) = doc.get_mapping("metadata") else {
        return false;
    };
    if text(meta.get("name")).as_deref() != Some(target.name.as_str()) {
        return false;
    }
    match (text(meta.get("namespace")), &target.namespace) {
        (Some(ns), Some(want)) => &ns == want,
        _ => true,
    }
}

/// The `path`s of a JSON 6902 patch (a list of operations), or `None` for another shape.
fn json6902_paths(text: &str) -> Option<Vec<String>> {
    let ops: Value = serde_norway::from_str(text).ok()?;
    let ops = ops.as_array()?;
    Some(
        ops.iter()
            .filter_map(|op| op.get("path").and_then(Value::as_str).map(str::to_string))
            .collect(),
    )
}
