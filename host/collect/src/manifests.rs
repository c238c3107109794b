//! Reads Kubernetes manifests from a directory: YAML (multi-document) and JSON files,
//! `List` kinds unwrapped, each resource with its file, document index and line.
//!
//! A document that does not parse, or is a Kubernetes object without a name, becomes an
//! [`InventoryProblem`] with the file and line; the other documents of that file and
//! the other files are still read. A document that is not a Kubernetes object at all
//! (no `kind`: Helm values, CI workflows, application config; or Kustomize's own
//! `Kustomization`) is skipped with a debug-level note and counted.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use aiops_sdk::Resource;
use serde_json::Value;

use super::SnapshotError;
use aiops_core::{Inventory, InventoryProblem, SourceLocation};
use aiops_yaml as block_yaml;
use aiops_yaml::lines::{YamlDoc, json_item_lines, shift_lines, split_yaml, yaml_item_lines};

/// Files per parser thread below which another thread does not pay for itself.
const FILES_PER_THREAD: usize = 64;

/// What one document (or list item) of a file turned into.
enum Entry {
    Resource(Resource, SourceLocation),
    Problem(InventoryProblem),
    /// A document that is not a Kubernetes object, left alone.
    Skipped,
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
    let mut walk = Walk::default();
    let entries = std::fs::read_dir(dir).map_err(|source| SnapshotError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    walk.visit(dir, entries);

    let mut inventory = Inventory::default();
    inventory.problems = walk.problems;
    for entry in read_in_parallel(&walk.files) {
        match entry {
            Entry::Resource(resource, location) => inventory.push(resource, Some(location)),
            Entry::Problem(problem) => inventory.problems.push(problem),
            Entry::Skipped => inventory.skipped_documents += 1,
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
}

impl Walk {
    /// Visits `dir`'s entries in name order, descending into directories where they
    /// sort, so the files come out sorted by path component without sorting whole paths
    /// (comparing paths component by component was the slowest step before the parse).
    fn visit(&mut self, dir: &Path, entries: std::fs::ReadDir) {
        if let Ok(canonical) = dir.canonicalize()
            && !self.seen.insert(canonical)
        {
            return;
        }
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
            if is_dir {
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

    fn problem(&mut self, path: &Path, message: String) {
        self.problems.push(InventoryProblem {
            source: path.display().to_string(),
            line: None,
            message,
        });
    }
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
    file.entries
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
            Err(err) => self.problem(Some(err.line()), format!("invalid JSON: {err}")),
        }
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
                self.problem(
                    Some(line),
                    format!("invalid YAML in document {index}: {message}"),
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
        let inv = load_manifests(dir.path()).unwrap();
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
