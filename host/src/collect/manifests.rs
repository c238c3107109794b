//! Reads Kubernetes manifests from a directory: YAML (multi-document) and JSON files,
//! `List` kinds unwrapped, each resource with its file, document index and line.
//!
//! A document that does not parse becomes an [`InventoryProblem`] with the file and
//! line; the other documents of that file and the other files are still read.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::SourceError;
use crate::inventory::{Inventory, InventoryProblem, SourceLocation};

/// One document of a file, parsed or not.
struct Document {
    index: usize,
    line: usize,
    parsed: Result<Value, (usize, String)>,
}

/// Reads every `.yaml`, `.yml` and `.json` file under `dir` (recursively, sorted,
/// hidden entries skipped) into an inventory.
pub fn load_manifests(dir: &Path) -> Result<Inventory, SourceError> {
    if !dir.is_dir() {
        return Err(SourceError::NotADirectory(dir.to_path_buf()));
    }
    let mut files = Vec::new();
    collect_files(dir, &mut files)?;
    files.sort();
    let parsed = parse_in_parallel(&files);
    let mut inventory = Inventory::default();
    for (file, result) in files.iter().zip(parsed) {
        match result {
            Ok(documents) => add_documents(&mut inventory, file, documents),
            Err(err) => inventory.problems.push(InventoryProblem {
                source: file.display().to_string(),
                line: None,
                message: err.to_string(),
            }),
        }
    }
    Ok(inventory)
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), SourceError> {
    let read_err = |source| SourceError::Read {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect_files(&path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads and parses files on all cores, keeping their order.
fn parse_in_parallel(files: &[PathBuf]) -> Vec<std::io::Result<Vec<Document>>> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = files.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|f| parse_file(f)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("manifest parser thread panicked"))
            .collect()
    })
}

fn parse_file(path: &Path) -> std::io::Result<Vec<Document>> {
    let text = std::fs::read_to_string(path)?;
    if path.extension().is_some_and(|e| e == "json") {
        let parsed = serde_json::from_str(&text).map_err(|e| (e.line(), e.to_string()));
        return Ok(vec![Document {
            index: 0,
            line: 1,
            parsed,
        }]);
    }
    Ok(split_yaml(&text)
        .into_iter()
        .enumerate()
        .map(|(index, (line, body))| Document {
            index,
            line,
            parsed: serde_norway::from_str::<Value>(body).map_err(|e| {
                let at = e
                    .location()
                    .map_or(line, |l| line + l.line().saturating_sub(1));
                (at, e.to_string())
            }),
        })
        .collect())
}

/// Splits YAML text on `---` lines into (1-based start line, body) documents.
fn split_yaml(text: &str) -> Vec<(usize, &str)> {
    let mut documents = Vec::new();
    let mut start_byte = 0;
    let mut start_line = 1;
    let mut offset = 0;
    for (number, line) in text.split_inclusive('\n').enumerate() {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed.starts_with("--- ") || trimmed == "..." {
            documents.push((start_line, &text[start_byte..offset]));
            start_byte = offset + line.len();
            start_line = number + 2;
        }
        offset += line.len();
    }
    documents.push((start_line, &text[start_byte..]));
    documents
        .into_iter()
        .filter(|(_, body)| {
            body.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .collect()
}

fn add_documents(inventory: &mut Inventory, file: &Path, documents: Vec<Document>) {
    let source = file.display().to_string();
    for doc in documents {
        let value = match doc.parsed {
            Ok(Value::Null) => continue,
            Ok(value) => value,
            Err((line, message)) => {
                inventory.problems.push(InventoryProblem {
                    source: source.clone(),
                    line: Some(line),
                    message: format!("cannot parse document {}: {message}", doc.index),
                });
                continue;
            }
        };
        let location = SourceLocation {
            file: file.to_path_buf(),
            document: doc.index,
            line: doc.line,
        };
        for object in unwrap_list(value) {
            match aiops_sdk::k8s::resource_from_object(&object) {
                Ok(resource) => inventory.push(resource, Some(location.clone())),
                Err(err) => inventory.problems.push(InventoryProblem {
                    source: source.clone(),
                    line: Some(doc.line),
                    message: format!("document {} is not a Kubernetes object: {err}", doc.index),
                }),
            }
        }
    }
}

/// `kind: List` (or any `…List` with `items`) becomes its items; anything else itself.
fn unwrap_list(value: Value) -> Vec<Value> {
    let is_list = value
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && value.get("items").is_some_and(Value::is_array);
    if !is_list {
        return vec![value];
    }
    match value {
        Value::Object(mut map) => match map.remove("items") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn multi_document_yaml_keeps_document_index_and_line() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "app.yaml",
            "# comment\n---\nkind: Service\nmetadata: {name: a, namespace: x}\n---\n\nkind: Deployment\nmetadata: {name: b, namespace: x}\n",
        );
        let inv = load_manifests(dir.path()).unwrap();
        assert!(inv.problems.is_empty(), "{:?}", inv.problems);
        let ids: Vec<_> = inv.resources().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["k8s/Service/x/a", "k8s/Deployment/x/b"]);
        let loc = inv.location("k8s/Deployment/x/b").unwrap();
        assert_eq!((loc.document, loc.line), (1, 6));
        assert_eq!(inv.location("k8s/Service/x/a").unwrap().line, 3);
    }

    #[test]
    fn broken_document_is_a_problem_with_line_and_good_documents_stay() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "mixed.yaml",
            "kind: Pod\nmetadata: {name: ok1}\n---\nkind: Pod\nmetadata: [unclosed\n---\nkind: Pod\nmetadata: {name: ok2}\n",
        );
        write(
            dir.path(),
            "sub/other.yml",
            "kind: Pod\nmetadata: {name: ok3}\n",
        );
        let inv = load_manifests(dir.path()).unwrap();
        assert_eq!(inv.len(), 3);
        assert_eq!(inv.problems.len(), 1);
        let problem = &inv.problems[0];
        assert!(problem.source.ends_with("mixed.yaml"));
        assert!(matches!(problem.line, Some(5) | Some(6)), "{problem}");
    }

    #[test]
    fn json_files_and_lists_are_unwrapped() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "list.json",
            r#"{"kind": "List", "items": [{"kind": "Pod", "metadata": {"name": "p1"}}, {"kind": "Pod", "metadata": {"name": "p2"}}]}"#,
        );
        write(
            dir.path(),
            "list.yaml",
            "kind: PodList\nitems:\n- kind: Pod\n  metadata: {name: p3}\n",
        );
        write(dir.path(), "notes.txt", "ignored");
        let inv = load_manifests(dir.path()).unwrap();
        let mut ids: Vec<_> = inv.resources().iter().map(|r| r.id.clone()).collect();
        ids.sort();
        assert_eq!(ids, ["k8s/Pod/p1", "k8s/Pod/p2", "k8s/Pod/p3"]);
    }

    #[test]
    fn non_object_and_bad_json_are_problems() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.yaml", "- just\n- a list\n");
        write(dir.path(), "b.json", "{\n  \"kind\": \"Pod\",\n  oops\n}");
        let inv = load_manifests(dir.path()).unwrap();
        assert!(inv.is_empty());
        let lines: Vec<_> = inv.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [Some(1), Some(3)]);
    }

    #[test]
    fn missing_directory_is_an_error_naming_it() {
        let err = load_manifests(Path::new("/nonexistent/manifests")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/manifests"));
    }

    #[test]
    fn duplicate_ids_across_files_are_both_kept() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "a.yaml",
            "kind: Pod\nmetadata: {name: p, namespace: n}\n",
        );
        write(
            dir.path(),
            "b.yaml",
            "kind: Pod\nmetadata: {name: p, namespace: n}\n",
        );
        let inv = load_manifests(dir.path()).unwrap();
        assert_eq!(inv.len(), 2);
        assert!(inv.resources()[1].id.starts_with("k8s/Pod/n/p@"));
    }
}
