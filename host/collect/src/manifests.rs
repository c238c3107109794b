//! Reads Kubernetes manifests from a directory: YAML (multi-document) and JSON files,
//! `List` kinds unwrapped, each resource with its file, document index and line.
//!
//! A document that does not parse, or is a Kubernetes object without a name, becomes an
//! [`InventoryProblem`] with the file and line; the other documents of that file and
//! the other files are still read. A document that does not parse in a file holding no
//! Kubernetes object, and that does not look like one (no `kind`/`apiVersion` key), is
//! skipped and counted instead: a `tsconfig.json` with comments, a Jinja template. A document that is not a Kubernetes object at all
//! (no `kind`: Helm values, CI workflows, application config; or Kustomize's own
//! `Kustomization`) is skipped with a debug-level note and counted.
//!
//! A directory with a kustomization file is rendered (see [`crate::kustomize`]) when
//! `kubectl` or `kustomize` is on `PATH`: the rendered objects replace the files they
//! came from, each located at the file and document that defined it. A Helm chart's
//! `templates/` is skipped with a note (templates are not YAML before rendering).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use aiops_sdk::Resource;
use serde_json::Value;

use super::SnapshotError;
use crate::kustomize::{self, Renderer};
use aiops_core::{Inventory, InventoryProblem, PatchedFields, SourceLocation};
use aiops_yaml as block_yaml;
use aiops_yaml::lines::{YamlDoc, json_item_lines, shift_lines, split_yaml, yaml_item_lines};

/// Files per parser thread below which another thread does not pay for itself.
const FILES_PER_THREAD: usize = 64;

/// What one document (or list item) of a file turned into.
enum Entry {
    /// A resource, where it was read, and the Kustomize patches that changed it.
    Resource(Resource, SourceLocation, Vec<PatchedFields>),
    Problem(InventoryProblem),
    /// A document that is not a Kubernetes object, left alone.
    Skipped,
    /// A document that does not parse; an error only in a file that holds Kubernetes
    /// objects or when it looks like one itself (see [`FileReader::settle`]).
    Unparsed {
        problem: InventoryProblem,
        looks_kubernetes: bool,
    },
}

/// Reads every `.yaml`, `.yml` and `.json` file under `dir` (recursively, in path order
/// by component, hidden files and directories skipped) into an inventory.
///
/// Only a missing or unreadable `dir` is an error; whatever goes wrong inside it is an
/// [`InventoryProblem`] of the returned inventory.
pub fn load_manifests(dir: &Path) -> Result<Inventory, SnapshotError> {
    match std::fs::metadata(dir) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(SnapshotError::NotFound(dir.to_path_buf()));
        }
        Err(source) => {
            return Err(SnapshotError::Read {
                path: dir.to_path_buf(),
                source,
            });
        }
        Ok(meta) if !meta.is_dir() => return Err(SnapshotError::NotADirectory(dir.to_path_buf())),
        Ok(_) => {}
    }
    load_manifests_rendering(dir, Renderer::from_path())
}

/// [`load_manifests`] with the given Kustomize renderer; `None` scans the files of
/// Kustomize roots raw, with one note saying so.
pub fn load_manifests_rendering(
    dir: &Path,
    renderer: Option<Renderer>,
) -> Result<Inventory, SnapshotError> {
    let mut walk = Walk::default();
    let entries = std::fs::read_dir(dir).map_err(|source| SnapshotError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    walk.visit(dir, entries);
    let rendered = match (&renderer, walk.roots.is_empty()) {
        (_, true) => Vec::new(),
        (None, false) => {
            tracing::warn!(
                "neither kubectl nor kustomize is on PATH: {} Kustomize root(s) under {} \
                 are scanned as raw files, not rendered",
                walk.roots.len(),
                dir.display()
            );
            Vec::new()
        }
        (Some(renderer), false) => walk.render(dir, renderer),
    };

    let mut inventory = Inventory::default();
    inventory.problems = std::mem::take(&mut walk.problems);
    let raw = read_in_parallel(&walk.files);
    for entry in raw.into_iter().chain(rendered) {
        match entry {
            Entry::Resource(resource, location, patches) => {
                inventory.push_patched(resource, Some(location), patches)
            }
            Entry::Problem(problem) => inventory.problems.push(problem),
            Entry::Skipped => inventory.skipped_documents += 1,
            Entry::Unparsed { problem, .. } => inventory.problems.push(problem),
        }
    }
    Ok(inventory)
}

/// The manifest files found under a directory, and the directories that could not be read.
#[derive(Default)]
struct Walk {
    files: Vec<PathBuf>,
    problems: Vec<InventoryProblem>,
    /// Canonical directories already visited, so symlink loops end.
    seen: HashSet<PathBuf>,
    /// Canonical directories holding a kustomization file.
    roots: Vec<PathBuf>,
}

impl Walk {
    /// Visits `dir`'s entries in name order, descending into directories where they
    /// sort, so the files come out sorted by path component without sorting whole paths
    /// (comparing paths component by component was the slowest step before the parse).
    fn visit(&mut self, dir: &Path, entries: std::fs::ReadDir) {
        let canonical = dir.canonicalize().ok();
        if let Some(canonical) = &canonical
            && !self.seen.insert(canonical.clone())
        {
            return;
        }
        if let Some(canonical) = canonical
            && kustomize::kustomization_file(dir).is_some()
        {
            self.roots.push(canonical);
        }
        let chart = dir.join("Chart.yaml").is_file();
        let mut named = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => named.push((entry.file_name(), entry)),
                Err(err) => self.problem(dir, format!("cannot list directory: {err}")),
            }
        }
        named.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
        for (name, entry) in named {
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            let is_dir = match entry.file_type() {
                Ok(t) if t.is_symlink() => path.is_dir(),
                Ok(t) => t.is_dir(),
                Err(_) => path.is_dir(),
            };
            if is_dir && chart && name == "templates" {
                tracing::warn!(
                    "Helm chart {}: templates/ skipped (templates are not YAML before \
                     rendering; aiops does not run `helm template`)",
                    dir.display()
                );
            } else if is_dir {
                match std::fs::read_dir(&path) {
                    Ok(entries) => self.visit(&path, entries),
                    Err(err) => self.problem(&path, format!("cannot list directory: {err}")),
                }
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                self.files.push(path);
            }
        }
    }

    /// Renders the top Kustomize roots; the files they use leave the raw scan.
    fn render(&mut self, dir: &Path, renderer: &Renderer) -> Vec<Entry> {
        let roots = kustomize::sorted(std::mem::take(&mut self.roots));
        let (top, mut consumed) = kustomize::top_roots(&roots);
        let canonical_dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let shown = |path: &Path| match path.strip_prefix(&canonical_dir) {
            Ok(rel) => dir.join(rel),
            Err(_) => path.to_path_buf(),
        };
        let mut entries = Vec::new();
        let mut seen = HashSet::new();
        let mut documents = HashMap::new();
        for root in &top {
            let patches = kustomize::patches::chain_patches(root);
            let objects = match renderer.render(root) {
                Ok(objects) => objects,
                Err(err) => {
                    self.problem(
                        &shown(root),
                        format!("cannot render the kustomization: {err}"),
                    );
                    continue;
                }
            };
            tracing::debug!(root = %root.display(), objects = objects.len(), "rendered");
            for rendered in objects {
                consumed.insert(rendered.origin.clone());
                // Two overlays rendering the same object judge it once.
                if !seen.insert(rendered.object.to_string()) {
                    continue;
                }
                let file = shown(&rendered.origin);
                let mut reader = FileReader {
                    path: &file,
                    entries: Vec::new(),
                };
                let (document, line) = origin_document(&mut documents, &rendered);
                reader.object(document, None, line, &rendered.object);
                let patched = kustomize::patches::patched_fields(&patches, &rendered.object, shown);
                for mut entry in reader.entries {
                    if let Entry::Resource(_, _, fields) = &mut entry {
                        fields.clone_from(&patched);
                    }
                    entries.push(entry);
                }
            }
        }
        self.files.retain(|f| {
            let canonical = f.canonicalize().unwrap_or_else(|_| f.clone());
            !consumed.contains(&canonical)
                && !aiops_sdk::kustomize::is_kustomization(&f.to_string_lossy())
        });
        entries
    }

    fn problem(&mut self, path: &Path, message: String) {
        self.problems.push(InventoryProblem {
            source: path.display().to_string(),
            line: None,
            message,
        });
    }
}

/// Document index and line of the document of the origin file that defines `rendered`
/// (same kind, and the name, or a name the rendered one contains: a `namePrefix`); the
/// file's first document when none matches.
fn origin_document(
    cache: &mut HashMap<PathBuf, Vec<kustomize::DocumentHead>>,
    rendered: &kustomize::RenderedObject,
) -> (usize, usize) {
    let docs = cache.entry(rendered.origin.clone()).or_insert_with(|| {
        std::fs::read_to_string(&rendered.origin)
            .map(|text| kustomize::documents_of(&text))
            .unwrap_or_default()
    });
    let field = |p: &str| rendered.object.pointer(p).and_then(Value::as_str);
    let (kind, name) = (field("/kind"), field("/metadata/name").unwrap_or(""));
    let same_kind = |d: &&kustomize::DocumentHead| d.kind.as_deref() == kind;
    docs.iter()
        .filter(same_kind)
        .find(|d| d.name.as_deref() == Some(name))
        .or_else(|| {
            docs.iter()
                .filter(same_kind)
                .find(|d| d.name.as_deref().is_some_and(|n| name.contains(n)))
        })
        .or_else(|| docs.first())
        .map_or((0, 1), |d| (d.index, d.line))
}

/// Reads and converts files on up to one thread per core, keeping their order. Each
/// thread takes the next unread file when it is done with one, so a large file, or a
/// thread that the host's start-up delayed, does not leave the other cores idle at the
/// end as fixed halves would.
fn read_in_parallel(files: &[PathBuf]) -> Vec<Entry> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(files.len() / FILES_PER_THREAD).max(1);
    if threads == 1 {
        return files.iter().flat_map(|f| read_file(f)).collect();
    }
    let next = AtomicUsize::new(0);
    let read_some = || {
        let mut read = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(file) = files.get(i) else {
                return read;
            };
            read.push((i, read_file(file)));
        }
    };
    let mut by_file: Vec<Vec<Entry>> = files.iter().map(|_| Vec::new()).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(read_some)).collect();
        for handle in handles {
            for (i, entries) in handle.join().expect("manifest reader thread panicked") {
                by_file[i] = entries;
            }
        }
    });
    by_file.into_iter().flatten().collect()
}

/// Every resource and problem of one file, in order.
fn read_file(path: &Path) -> Vec<Entry> {
    let mut file = FileReader {
        path,
        entries: Vec::new(),
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) => {
            file.problem(None, format!("cannot read: {err}"));
            return file.entries;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if path.extension().is_some_and(|e| e == "json") {
        file.json(text);
    } else {
        for (index, doc) in split_yaml(text).iter().enumerate() {
            file.yaml_document(index, doc);
        }
    }
    file.settle();
    file.entries
}

/// Whether unparsable text looks like a Kubernetes object: a `kind` or `apiVersion` key
/// starting a line (YAML) or quoted anywhere (JSON).
fn looks_kubernetes(text: &str) -> bool {
    text.contains("\"kind\"")
        || text.contains("\"apiVersion\"")
        || text.lines().any(|line| {
            let line = line.trim_start().trim_start_matches("- ");
            line.starts_with("kind:") || line.starts_with("apiVersion:")
        })
}

/// Turns the documents of one file into entries.
struct FileReader<'a> {
    path: &'a Path,
    entries: Vec<Entry>,
}

impl FileReader<'_> {
    fn json(&mut self, text: &str) {
        let Some(first) = text.lines().position(|l| !l.trim().is_empty()) else {
            return;
        };
        if let Err(too_deep) = block_yaml::nesting::json(text).check() {
            self.problem(Some(too_deep.line), format!("invalid JSON: {too_deep}"));
            return;
        }
        match serde_json::from_str::<Value>(text) {
            Ok(value) => self.objects(0, first + 1, value, || json_item_lines(text, "items")),
            Err(err) => self.unparsed(
                Some(err.line()),
                format!("invalid JSON: {err}"),
                looks_kubernetes(text),
            ),
        }
    }

    /// Decides the documents that did not parse: errors in a file that holds Kubernetes
    /// objects (or a broken one) and where the document looks like one; otherwise (a
    /// `tsconfig.json` with comments, an Ansible template) skipped with a debug note.
    fn settle(&mut self) {
        let holds_kubernetes = self
            .entries
            .iter()
            .any(|e| matches!(e, Entry::Resource(..) | Entry::Problem(_)));
        for entry in &mut self.entries {
            let Entry::Unparsed {
                problem,
                looks_kubernetes,
            } = entry
            else {
                continue;
            };
            if holds_kubernetes || *looks_kubernetes {
                *entry = Entry::Problem(problem.clone());
            } else {
                tracing::debug!(
                    file = %self.path.display(),
                    "skipping a document that is not YAML or JSON and holds no Kubernetes object: {}",
                    problem.message
                );
                *entry = Entry::Skipped;
            }
        }
    }

    fn unparsed(&mut self, line: Option<usize>, message: String, looks_kubernetes: bool) {
        self.entries.push(Entry::Unparsed {
            problem: InventoryProblem {
                source: self.path.display().to_string(),
                line,
                message,
            },
            looks_kubernetes,
        });
    }

    /// One YAML document: the fast reader where it accepts the document, serde_norway
    /// (which also words the errors) for everything else.
    fn yaml_document(&mut self, index: usize, doc: &YamlDoc<'_>) {
        if let Err(too_deep) = block_yaml::nesting::yaml(doc.text).check() {
            let offset = doc.start - 1;
            let line = too_deep.line + offset;
            let too_deep = block_yaml::nesting::TooDeep { line, ..too_deep };
            self.problem(
                Some(line),
                format!("invalid YAML in document {index}: {too_deep}"),
            );
            return;
        }
        let parsed = match block_yaml::parse(doc.text) {
            Some(value) => Ok(value),
            None => serde_norway::from_str::<Value>(doc.text),
        };
        match parsed {
            Ok(value) => self.objects(index, doc.line, value, || yaml_item_lines(doc)),
            Err(err) => {
                let offset = doc.start - 1;
                let line = err.location().map_or(doc.line, |l| l.line() + offset);
                let message = shift_lines(&err.to_string(), offset);
                self.unparsed(
                    Some(line),
                    format!("invalid YAML in document {index}: {message}"),
                    looks_kubernetes(doc.text),
                );
            }
        }
    }

    /// One parsed document: a resource, or the items of a list, each a resource.
    fn objects(
        &mut self,
        index: usize,
        line: usize,
        value: Value,
        item_lines: impl FnOnce() -> Vec<usize>,
    ) {
        match value {
            Value::Null => {}
            Value::Object(mut map) if is_list(&map) => {
                let Some(Value::Array(items)) = map.remove("items") else {
                    unreachable!("is_list checked that items is an array");
                };
                let lines = item_lines();
                let lines = (lines.len() == items.len()).then_some(lines);
                for (i, item) in items.into_iter().enumerate() {
                    let line = lines.as_ref().map_or(line, |l| l[i]);
                    self.object(index, Some(i), line, &item);
                }
            }
            value => self.object(index, None, line, &value),
        }
    }

    /// One object, located at document `index` and `line` of this reader's file.
    fn object(&mut self, index: usize, item: Option<usize>, line: usize, value: &Value) {
        if let Some(why) = not_kubernetes(value) {
            tracing::debug!(
                file = %self.path.display(),
                line,
                "skipping document {index}: {why}"
            );
            self.entries.push(Entry::Skipped);
            return;
        }
        match aiops_sdk::k8s::resource_from_object(value) {
            Ok(resource) => self.entries.push(Entry::Resource(
                resource,
                SourceLocation {
                    file: self.path.to_path_buf(),
                    document: index,
                    line,
                },
                Vec::new(),
            )),
            Err(err) => {
                let what = match item {
                    Some(i) => format!("item {i} of document {index}"),
                    None => format!("document {index}"),
                };
                self.problem(
                    Some(line),
                    format!("{what} is not a Kubernetes object: {err}"),
                );
            }
        }
    }

    fn problem(&mut self, line: Option<usize>, message: String) {
        self.entries.push(Entry::Problem(InventoryProblem {
            source: self.path.display().to_string(),
            line,
            message,
        }));
    }
}

/// Why a document is not a Kubernetes object (`None`: it is one, maybe a broken one).
///
/// A mapping without `kind` is not one (Helm's `Chart.yaml` has an `apiVersion` but no
/// `kind`), nor is a sequence or a scalar; Kustomize's own files (`Kustomization`,
/// `Component`) are instructions for rendering, not objects to deploy.
fn not_kubernetes(value: &Value) -> Option<&'static str> {
    let Some(map) = value.as_object() else {
        return Some("not a mapping");
    };
    match map.get("kind") {
        None | Some(Value::Null) => Some("no `kind`"),
        Some(_)
            if map
                .get("apiVersion")
                .and_then(Value::as_str)
                .is_some_and(|v| v.starts_with("kustomize.config.k8s.io/")) =>
        {
            Some("a Kustomize file")
        }
        Some(_) => None,
    }
}

/// `kind: List` or any other `…List` kind with an `items` array.
fn is_list(map: &serde_json::Map<String, Value>) -> bool {
    map.get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && map.get("items").is_some_and(Value::is_array)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn ids(inv: &Inventory) -> Vec<&str> {
        inv.resources().iter().map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn multi_document_yaml_keeps_document_index_and_first_content_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "app.yaml",
            "# comment\n---\nkind: Service\nmetadata: {name: a, namespace: x}\n---\n\n# the app\nkind: Deployment\nmetadata: {name: b, namespace: x}\n",
        );
        let inv = load_manifests(dir.path()).unwrap();
        assert!(inv.problems.is_empty(), "{:?}", inv.problems);
        assert_eq!(ids(&inv), ["k8s/Service/x/a", "k8s/Deployment/x/b"]);
        let loc = inv.location("k8s/Service/x/a").unwrap();
        assert_eq!((&loc.file, loc.document, loc.line), (&file, 0, 3));
        let loc = inv.location("k8s/Deployment/x/b").unwrap();
        assert_eq!((loc.document, loc.line), (1, 8));
    }

    #[test]
    fn broken_yaml_document_is_a_problem_at_its_file_line_and_the_others_load() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "mixed.yaml",
            "kind: Pod\nmetadata: {name: ok1}\n---\nkind: Pod\nmetadata:\n  name: bad\n\tlabels: {}\n---\nkind: Pod\nmetadata: {name: ok2}\n",
        );
        write(
            dir.path(),
            "sub/other.yml",
            "kind: Pod\nmetadata: {name: ok3}\n",
        );
        let inv = load_manifests(dir.path()).unwrap();
        assert_eq!(ids(&inv), ["k8s/Pod/ok1", "k8s/Pod/ok2", "k8s/Pod/ok3"]);
        assert_eq!(inv.location("k8s/Pod/ok2").unwrap().line, 9);
        assert_eq!(inv.problems.len(), 1, "{:?}", inv.problems);
        let problem = &inv.problems[0];
        assert!(problem.source.ends_with("mixed.yaml"), "{problem}");
        assert_eq!(problem.line, Some(7), "{problem}");
        assert!(problem.message.contains("document 1"), "{problem}");
        assert!(problem.message.contains("line 7 column"), "{problem}");
    }

    #[test]
    fn lists_are_unwrapped_with_the_line_of_each_item() {
        let dir = tempfile::tempdir().unwrap();
        let json = write(
            dir.path(),
            "list.json",
            "{\n  \"kind\": \"List\",\n  \"items\": [\n    {\"kind\": \"Pod\", \"metadata\": {\"name\": \"p1\"}},\n    {\n      \"kind\": \"Pod\", \"metadata\": {\"name\": \"p2\"}\n    }\n  ]\n}\n",
        );
        let yaml = write(
            dir.path(),
            "list.yaml",
            "apiVersion: v1\nkind: PodList\nitems:\n- kind: Pod\n  metadata: {name: p3}\n- kind: Pod\n  metadata: {name: p4}\n",
        );
        write(
            dir.path(),
            "notes.txt",
            "kind: Pod\nmetadata: {name: ignored}\n",
        );
        let inv = load_manifests(dir.path()).unwrap();
        assert!(inv.problems.is_empty(), "{:?}", inv.problems);
        assert_eq!(
            ids(&inv),
            ["k8s/Pod/p1", "k8s/Pod/p2", "k8s/Pod/p3", "k8s/Pod/p4"]
        );
        let at = |id: &str| {
            let loc = inv.location(id).unwrap();
            (loc.file.clone(), loc.line)
        };
        assert_eq!(at("k8s/Pod/p1"), (json.clone(), 4));
        assert_eq!(at("k8s/Pod/p2"), (json, 5));
        assert_eq!(at("k8s/Pod/p3"), (yaml.clone(), 4));
        assert_eq!(at("k8s/Pod/p4"), (yaml, 6));
    }

    #[test]
    fn flow_style_list_items_fall_back_to_the_document_line() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "l.yaml",
            "---\nkind: List\nitems: [{kind: Pod, metadata: {name: a}}, {kind: Pod, metadata: {name: b}}]\n",
        );
        let inv = load_manifests(dir.path()).unwrap();
        assert_eq!(inv.len(), 2);
        assert_eq!(inv.location("k8s/Pod/b").unwrap().line, 2);
    }

    #[test]
    fn documents_that_are_not_kubernetes_objects_are_skipped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "a.yaml",
            "- just\n- a list\n---\nkind: Pod\nmetadata: {namespace: x}\n---\n~\n---\nplain text\n",
        );
        write(
            dir.path(),
            "b.json",
            "{\"kind\": \"List\", \"items\": [\n  {\"kind\": \"Pod\", \"metadata\": {\"name\": \"ok\"}},\n  {\"metadata\": {\"name\": \"no-kind\"}}\n]}",
        );
        write(
            dir.path(),
            "chart/Chart.yaml",
            "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
        );
        write(
            dir.path(),
            "kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n",
        );
        let inv = load_manifests_rendering(dir.path(), None).unwrap();
        assert_eq!(ids(&inv), ["k8s/Pod/ok"]);
        assert_eq!(inv.skipped_documents, 5);
        // A Kubernetes object without a name stays an error.
        let found: Vec<_> = inv.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].ends_with(
                "a.yaml:4: document 1 is not a Kubernetes object: missing `metadata.name`"
            ),
            "{found:?}"
        );
    }

    #[test]
    fn bad_json_is_a_problem_at_the_parser_line() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "b.json", "{\n  \"kind\": \"Pod\",\n  oops\n}");
        write(dir.path(), "empty.json", "\n");
        let inv = load_manifests(dir.path()).unwrap();
        assert!(inv.is_empty());
        assert_eq!(inv.problems.len(), 1, "{:?}", inv.problems);
        assert_eq!(inv.problems[0].line, Some(3));
        assert!(inv.problems[0].message.starts_with("invalid JSON"));
    }

    #[test]
    fn unparsable_files_without_kubernetes_objects_are_skipped_and_broken_manifests_are_not() {
        let dir = tempfile::tempdir().unwrap();
        // A tsconfig.json with comments, an Ansible task file with Jinja: not YAML or
        // JSON as the parsers read them, and nothing Kubernetes in them.
        write(
            dir.path(),
            "web/tsconfig.json",
            "{\n  // strict mode\n  \"compilerOptions\": {\"strict\": true}\n}\n",
        );
        write(
            dir.path(),
            "ansible/roles/web/tasks/main.yml",
            "- name: render config\n  template: {src: app.j2, dest: /etc/app}\n{% if prod %}\n- name: restart\n{% endif %}\n",
        );
        // A broken manifest (a tab), and a broken document next to a good object.
        write(
            dir.path(),
            "k8s/broken.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: p\n",
        );
        write(
            dir.path(),
            "k8s/mixed.yaml",
            "kind: Pod\nmetadata: {name: ok}\n---\nspec: [unclosed\n",
        );
        write(
            dir.path(),
            "k8s/list.json",
            "{\"kind\": \"List\", items: []}",
        );
        let inv = load_manifests_rendering(dir.path(), None).unwrap();
        assert_eq!(ids(&inv), ["k8s/Pod/ok"]);
        assert_eq!(inv.skipped_documents, 2, "{:?}", inv.problems);
        let found: Vec<_> = inv.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            found[0].contains("k8s/broken.yaml:4: invalid YAML"),
            "{found:?}"
        );
        assert!(
            found[1].contains("k8s/list.json:1: invalid JSON"),
            "{found:?}"
        );
        assert!(
            found[2].contains("k8s/mixed.yaml:5: invalid YAML in document 1"),
            "{found:?}"
        );
    }

    #[test]
    fn a_nesting_bomb_is_refused_with_the_parsers_one_line_error() {
        let dir = tempfile::tempdir().unwrap();
        let bomb = "[".repeat(100_000);
        write(
            dir.path(),
            "bomb.yaml",
            &format!("kind: Pod\nmetadata: {{name: ok}}\n---\n# hostile\nspec: {bomb}\n"),
        );
        write(dir.path(), "bomb.json", &format!("\n{bomb}"));
        let inv = load_manifests(dir.path()).unwrap();
        assert_eq!(ids(&inv), ["k8s/Pod/ok"]);
        let found: Vec<_> = inv.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].ends_with(
                "bomb.json:2: invalid JSON: recursion limit exceeded at line 2 column 129"
            ),
            "{found:?}"
        );
        assert!(
            found[1].ends_with(
                "bomb.yaml:5: invalid YAML in document 1: recursion limit exceeded at line 5 column 135"
            ),
            "{found:?}"
        );
    }

    fn shop_repo() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/repos/shop")
    }

    #[test]
    fn kustomize_roots_are_rendered_once_each_object_at_its_base_file() {
        let renderer = Renderer::from_path().expect("kubectl or kustomize on PATH");
        let repo = shop_repo();
        let inv = load_manifests_rendering(&repo, Some(renderer)).unwrap();
        assert!(inv.problems.is_empty(), "{:?}", inv.problems);
        // The base is not rendered on its own, nor are its files or the patch read raw.
        assert_eq!(
            ids(&inv),
            [
                "k8s/Service/prod/web",
                "k8s/Deployment/prod/web",
                "k8s/Service/staging/web",
                "k8s/Deployment/staging/web",
            ]
        );
        // Chart.yaml, values.yaml, cloudbuild.yaml, config/app.yaml, frontend/tsconfig.json
        // (JSON with comments); the chart's templates/ and the hidden .github/ are not read.
        assert_eq!(inv.skipped_documents, 5);
        for id in ["k8s/Deployment/prod/web", "k8s/Deployment/staging/web"] {
            let loc = inv.location(id).unwrap();
            assert_eq!(loc.file, repo.join("deploy/base/web.yaml"), "{id}");
            assert_eq!((loc.document, loc.line), (0, 1), "{id}");
        }
        let prod: Value = inv
            .get("k8s/Deployment/prod/web")
            .unwrap()
            .object()
            .unwrap();
        assert_eq!(
            prod["spec"]["replicas"], 4,
            "the overlay's patch is applied"
        );
        assert_eq!(
            prod.pointer("/spec/template/spec/containers/0/resources/limits/memory"),
            Some(&Value::from("256Mi"))
        );
        assert_eq!(
            prod.pointer("/metadata/annotations"),
            None,
            "origin annotation removed"
        );
        // The prod patch's fields are located at the patch, the rest at the base.
        let patch = repo.join("deploy/overlays/prod/patches/web.yaml");
        let prod_id = "k8s/Deployment/prod/web";
        let patches = inv.patches(prod_id);
        assert_eq!(patches.len(), 1, "{patches:?}");
        assert_eq!(patches[0].location.file, patch);
        assert_eq!(
            patches[0].fields,
            [
                "/spec/replicas",
                "/spec/template/spec/containers/0/resources/limits/cpu",
                "/spec/template/spec/containers/0/resources/limits/memory",
            ]
        );
        let cpu_limit = "/spec/template/spec/containers/0/resources/limits/cpu";
        let at =
            |id: &str, field: &str| inv.location_of_field(id, Some(field)).unwrap().file.clone();
        assert_eq!(at(prod_id, cpu_limit), patch);
        assert_eq!(
            at(
                prod_id,
                "/spec/template/spec/containers/0/resources/requests/cpu"
            ),
            repo.join("deploy/base/web.yaml")
        );
        assert!(inv.patches("k8s/Deployment/staging/web").is_empty());
        assert_eq!(
            at("k8s/Deployment/staging/web", cpu_limit),
            repo.join("deploy/base/web.yaml")
        );
    }

    #[test]
    fn without_a_renderer_kustomize_files_are_scanned_raw() {
        let repo = shop_repo();
        let inv = load_manifests_rendering(&repo, None).unwrap();
        assert!(inv.problems.is_empty(), "{:?}", inv.problems);
        let found = ids(&inv);
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[..2], ["k8s/Service/web", "k8s/Deployment/web"]);
        assert!(
            found[2].starts_with("k8s/Deployment/web@"),
            "the prod patch, raw: {found:?}"
        );
        // And the three kustomization files join the skipped documents.
        assert_eq!(inv.skipped_documents, 8);
    }

    #[test]
    fn a_kustomization_that_does_not_render_is_a_problem_naming_it() {
        let renderer = Renderer::from_path().expect("kubectl or kustomize on PATH");
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "app/kustomization.yaml",
            "resources:\n- missing.yaml\n",
        );
        write(dir.path(), "pod.yaml", "kind: Pod\nmetadata: {name: p}\n");
        let inv = load_manifests_rendering(dir.path(), Some(renderer)).unwrap();
        assert_eq!(ids(&inv), ["k8s/Pod/p"]);
        assert_eq!(inv.problems.len(), 1, "{:?}", inv.problems);
        let problem = inv.problems[0].to_string();
        assert!(
            problem.contains("app: cannot render the kustomization: kubectl kustomize failed:"),
            "{problem}"
        );
        assert!(problem.contains("missing.yaml"), "{problem}");
    }

    #[test]
    fn hidden_directories_are_skipped_and_order_is_sorted() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "b.yaml", "kind: Pod\nmetadata: {name: b}\n");
        write(dir.path(), "a/z.yaml", "kind: Pod\nmetadata: {name: az}\n");
        write(dir.path(), "a.yaml", "kind: Pod\nmetadata: {name: a}\n");
        write(
            dir.path(),
            ".git/x.yaml",
            "kind: Pod\nmetadata: {name: git}\n",
        );
        let inv = load_manifests(dir.path()).unwrap();
        // Paths sort by component: `a/z.yaml` before `a.yaml`.
        assert_eq!(ids(&inv), ["k8s/Pod/az", "k8s/Pod/a", "k8s/Pod/b"]);
    }

    #[test]
    fn missing_directory_and_plain_file_are_errors_naming_the_path() {
        let err = load_manifests(Path::new("/nonexistent/manifests")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/manifests"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "one.yaml", "kind: Pod\n");
        let err = load_manifests(&file).unwrap_err().to_string();
        assert!(
            err.contains("one.yaml") && err.contains("not a directory"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_ids_across_files_are_both_kept() {
        let dir = tempfile::tempdir().unwrap();
        let pod = "kind: Pod\nmetadata: {name: p, namespace: n}\n";
        write(dir.path(), "a.yaml", pod);
        let second = write(dir.path(), "b.yaml", pod);
        let inv = load_manifests(dir.path()).unwrap();
        assert_eq!(inv.len(), 2);
        let renamed = &inv.resources()[1].id;
        assert!(renamed.starts_with("k8s/Pod/n/p@"), "{renamed}");
        assert_eq!(inv.location(renamed).unwrap().file, second);
    }

    #[test]
    fn many_files_read_in_parallel_keep_sorted_order() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..300 {
            write(
                dir.path(),
                &format!("f{i:03}.yaml"),
                &format!("kind: Pod\nmetadata: {{name: p{i:03}}}\n"),
            );
        }
        let inv = load_manifests(dir.path()).unwrap();
        let expected: Vec<String> = (0..300).map(|i| format!("k8s/Pod/p{i:03}")).collect();
        assert_eq!(ids(&inv), expected);
    }
}
