//! The inventory snapshot file: what `aiops collect` writes and the snapshot collector
//! reads, so a cloud captured once can be replayed (support, tests, plugin development).
//!
//! ```json
//! {
//!   "format": "aiops.inventory/v1",
//!   "collected_at": "2026-11-25T06:00:00Z",
//!   "sources": ["k8s", "aws"],
//!   "resources": [
//!     { "id": "...", "kind": "...", "platform": "aws", "name": "...", "namespace": "eu-west-1",
//!       "labels": [["env", "prod"]], "metrics": [{ "name": "CPUUtilization", "unit": "percent",
//!       "window_seconds": 1209600, "avg": 7.5, "max": 30.0, "p95": 9.1 }], "raw": "{...}" }
//!   ]
//! }
//! ```
//!
//! A resource entry that does not deserialise is a problem naming the file and index;
//! the others load.

use std::io::Write;
use std::path::Path;

use aiops_sdk::Resource;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::SourceError;
use crate::inventory::{Inventory, InventoryProblem, SourceLocation};

/// The format tag of this version of the snapshot file.
pub const FORMAT: &str = "aiops.inventory/v1";

#[derive(Deserialize)]
struct SnapshotIn {
    format: String,
    #[serde(default)]
    resources: Vec<Value>,
}

#[derive(Serialize)]
struct SnapshotOut<'a> {
    format: &'static str,
    collected_at: &'a str,
    sources: &'a [String],
    resources: &'a [Resource],
}

/// Reads a snapshot file into an inventory.
pub fn read_snapshot(path: &Path) -> Result<Inventory, SourceError> {
    let bad = |message: String| SourceError::BadSnapshot {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|source| SourceError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let snapshot: SnapshotIn = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if snapshot.format != FORMAT {
        return Err(bad(format!(
            "format `{}` is not `{FORMAT}`",
            snapshot.format
        )));
    }
    let mut inventory = Inventory::default();
    for (index, entry) in snapshot.resources.into_iter().enumerate() {
        match Resource::deserialize(entry) {
            Ok(resource) => inventory.push(
                resource,
                Some(SourceLocation {
                    file: path.to_path_buf(),
                    document: index,
                    line: 1,
                }),
            ),
            Err(err) => inventory.problems.push(InventoryProblem {
                source: path.display().to_string(),
                line: None,
                message: format!("resources[{index}]: {err}"),
            }),
        }
    }
    Ok(inventory)
}

/// Writes `inventory` as a snapshot document.
pub fn write_snapshot(
    inventory: &Inventory,
    collected_at: &str,
    sources: &[String],
    out: &mut impl Write,
) -> std::io::Result<()> {
    let doc = SnapshotOut {
        format: FORMAT,
        collected_at,
        sources,
        resources: inventory.resources(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiops_sdk::{Metric, Platform};

    fn rds() -> Resource {
        Resource {
            id: "aws/rds/eu-west-1/orders".into(),
            kind: "aws.rds.db-instance".into(),
            platform: Platform::Aws,
            name: "orders".into(),
            namespace: Some("eu-west-1".into()),
            labels: vec![("env".into(), "prod".into())],
            metrics: vec![Metric {
                name: "CPUUtilization".into(),
                unit: "percent".into(),
                window_seconds: 3600,
                p95: Some(9.5),
                ..Default::default()
            }],
            raw: r#"{"DBInstanceClass":"db.r5.large"}"#.into(),
        }
    }

    #[test]
    fn snapshot_round_trips() {
        let mut inv = Inventory::default();
        inv.push(rds(), None);
        let mut buf = Vec::new();
        write_snapshot(&inv, "2026-11-25T00:00:00Z", &["aws".into()], &mut buf).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("inv.json");
        std::fs::write(&file, &buf).unwrap();
        let back = read_snapshot(&file).unwrap();
        assert_eq!(back.resources(), inv.resources());
        assert_eq!(
            back.location("aws/rds/eu-west-1/orders").unwrap().file,
            file
        );
    }

    #[test]
    fn unknown_format_is_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.json");
        std::fs::write(&file, r#"{"format": "other/v9", "resources": []}"#).unwrap();
        let err = read_snapshot(&file).unwrap_err().to_string();
        assert!(err.contains("x.json") && err.contains("other/v9"), "{err}");
    }

    #[test]
    fn bad_entry_is_a_problem_and_the_rest_loads() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.json");
        let good = serde_json::to_value(rds()).unwrap();
        let doc = serde_json::json!({"format": FORMAT, "resources": [{"id": 1}, good]});
        std::fs::write(&file, doc.to_string()).unwrap();
        let inv = read_snapshot(&file).unwrap();
        assert_eq!(inv.len(), 1);
        assert!(inv.problems[0].message.starts_with("resources[0]"));
    }
}
