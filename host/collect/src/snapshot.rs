//! The inventory snapshot file: what `aiops collect --output FILE` writes and the
//! snapshot collector reads, so an inventory captured once can be replayed (support,
//! tests, plugin development).
//!
//! Format `aiops.inventory/v1`, one JSON object:
//!
//! ```json
//! {
//!   "format": "aiops.inventory/v1",
//!   "collected_at": "2026-11-25T06:00:00Z",
//!   "sources": ["k8s", "aws"],
//!   "resources": [
//!     {
//!       "id": "aws/rds/eu-west-1/orders",
//!       "kind": "aws.rds.db-instance",
//!       "platform": "aws",
//!       "name": "orders",
//!       "namespace": "eu-west-1",
//!       "labels": [["env", "prod"]],
//!       "metrics": [{ "name": "CPUUtilization", "unit": "percent", "window_seconds": 1209600,
//!                     "avg": 7.5, "max": 30.0, "p95": 9.1 }],
//!       "raw": "{\"DBInstanceClass\":\"db.r5.large\"}"
//!     }
//!   ]
//! }
//! ```
//!
//! - `format` is required and must be exactly `aiops.inventory/v1`; anything else is
//!   refused. A later, incompatible shape gets a new tag.
//! - `collected_at` is RFC 3339 in UTC, or empty when unknown; `sources` names the
//!   collectors that contributed. Both are informative and may be missing on read.
//! - Each `resources` entry is an [`aiops_sdk::Resource`] as serde writes it: `namespace`,
//!   `labels` and `metrics` may be left out; `raw` is the cloud's object as a JSON *string*.
//!   Metric fields `avg`, `max`, `p95`, `points` (`[[unix_ms, value], ...]`) and
//!   `component` are optional.
//!
//! An entry that does not deserialise is an [`InventoryProblem`] naming the file, the
//! entry's index and line; the other entries load. Unknown fields are ignored.

use std::io::Write;
use std::path::{Path, PathBuf};

use aiops_sdk::Resource;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use aiops_core::{Inventory, InventoryProblem, SourceLocation};
use aiops_yaml::lines::json_item_lines;

/// The format tag of this version of the snapshot file.
pub const FORMAT: &str = "aiops.inventory/v1";

/// Why a file source (a manifests directory or a snapshot file) could not be read at
/// all. Problems inside files are not errors: they are kept in the inventory.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The manifests directory does not exist.
    #[error("manifests directory {0} does not exist")]
    NotFound(PathBuf),
    /// The manifests path is not a directory.
    #[error("manifests path {0} is not a directory")]
    NotADirectory(PathBuf),
    /// A file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A snapshot file is not valid JSON or not shaped like a snapshot.
    #[error("{path} is not an aiops inventory snapshot: {message}")]
    BadSnapshot {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A snapshot file of another format or version.
    #[error("{path}: snapshot format `{found}` is not supported (expected `{FORMAT}`)")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// The `format` it declares.
        found: String,
    },
}

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

/// Reads a snapshot file into an inventory; each resource's location is the file,
/// its index in `resources` and the line where its entry starts.
pub fn read_snapshot(path: &Path) -> Result<Inventory, SnapshotError> {
    let bad = |message: String| SnapshotError::BadSnapshot {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|source| SnapshotError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let snapshot: SnapshotIn = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if snapshot.format != FORMAT {
        return Err(SnapshotError::UnknownFormat {
            path: path.to_path_buf(),
            found: snapshot.format,
        });
    }
    let lines = json_item_lines(&text, "resources");
    let line_of = |index: usize| (lines.len() == snapshot.resources.len()).then(|| lines[index]);
    let mut inventory = Inventory::default();
    for (index, entry) in snapshot.resources.iter().enumerate() {
        match Resource::deserialize(entry) {
            Ok(resource) => inventory.push(
                resource,
                Some(SourceLocation {
                    file: path.to_path_buf(),
                    document: index,
                    line: line_of(index).unwrap_or(1),
                }),
            ),
            Err(err) => inventory.problems.push(InventoryProblem {
                source: path.display().to_string(),
                line: line_of(index),
                message: format!("resources[{index}] is not a valid resource: {err}"),
            }),
        }
    }
    Ok(inventory)
}

/// Writes `inventory` as a snapshot collected now, from `sources`.
pub fn write_snapshot(
    inventory: &Inventory,
    sources: &[String],
    out: &mut impl Write,
) -> std::io::Result<()> {
    write_snapshot_at(
        inventory,
        &rfc3339(std::time::SystemTime::now()),
        sources,
        out,
    )
}

/// Writes `inventory` as a snapshot with a given `collected_at` (RFC 3339 or empty),
/// for output that must not change from run to run (fixtures, tests).
pub fn write_snapshot_at(
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

/// `time` as RFC 3339 in UTC to the second, e.g. `2026-11-25T06:00:00Z`.
fn rfc3339(time: std::time::SystemTime) -> String {
    let secs = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiops_sdk::{Metric, Platform};
    use std::time::{Duration, UNIX_EPOCH};

    fn rds(name: &str) -> Resource {
        Resource {
            id: format!("aws/rds/eu-west-1/{name}"),
            kind: aiops_sdk::kinds::AWS_RDS_DB_INSTANCE.into(),
            platform: Platform::Aws,
            name: name.into(),
            namespace: Some("eu-west-1".into()),
            labels: vec![("env".into(), "prod".into())],
            metrics: vec![Metric {
                name: "CPUUtilization".into(),
                unit: "percent".into(),
                window_seconds: 3600,
                p95: Some(9.5),
                points: vec![(1_700_000_000_000, 4.0)],
                ..Default::default()
            }],
            raw: r#"{"DBInstanceClass":"db.r5.large"}"#.into(),
        }
    }

    fn write_file(dir: &Path, text: &str) -> PathBuf {
        let file = dir.join("inventory.json");
        std::fs::write(&file, text).unwrap();
        file
    }

    #[test]
    fn snapshot_round_trips_resources_with_entry_lines() {
        let mut inv = Inventory::default();
        inv.push(rds("orders"), None);
        inv.push(rds("billing"), None);
        let mut buf = Vec::new();
        write_snapshot(&inv, &["aws".into()], &mut buf).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = write_file(dir.path(), std::str::from_utf8(&buf).unwrap());
        let back = read_snapshot(&file).unwrap();
        assert!(back.problems.is_empty(), "{:?}", back.problems);
        assert_eq!(back.resources(), inv.resources());
        let loc = back.location("aws/rds/eu-west-1/billing").unwrap();
        assert_eq!((&loc.file, loc.document), (&file, 1));
        let text = String::from_utf8(buf).unwrap();
        let line = text.lines().nth(loc.line - 1).unwrap();
        assert_eq!(line.trim(), "{", "line {} of\n{text}", loc.line);
    }

    #[test]
    fn snapshot_header_is_stable() {
        let mut buf = Vec::new();
        write_snapshot_at(
            &Inventory::default(),
            "2026-11-25T06:00:00Z",
            &["k8s".into()],
            &mut buf,
        )
        .unwrap();
        let v: Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "format": "aiops.inventory/v1",
                "collected_at": "2026-11-25T06:00:00Z",
                "sources": ["k8s"],
                "resources": [],
            })
        );
    }

    #[test]
    fn collected_at_is_rfc3339_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_825_600);
        assert_eq!(rfc3339(leap), "2000-02-29T12:00:00Z");
    }

    #[test]
    fn unknown_format_is_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = write_file(dir.path(), r#"{"format": "other/v9", "resources": []}"#);
        let err = read_snapshot(&file).unwrap_err().to_string();
        assert!(
            err.contains("inventory.json") && err.contains("other/v9"),
            "{err}"
        );
    }

    #[test]
    fn file_that_is_not_a_snapshot_is_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = write_file(dir.path(), r#"[{"kind": "Pod"}]"#);
        let err = read_snapshot(&file).unwrap_err().to_string();
        assert!(
            err.contains("inventory.json") && err.contains("not an aiops inventory snapshot"),
            "{err}"
        );
        let missing = dir.path().join("missing.json");
        let err = read_snapshot(&missing).unwrap_err().to_string();
        assert!(err.contains("missing.json"), "{err}");
    }

    #[test]
    fn bad_entry_is_a_problem_with_index_and_line_and_the_rest_loads() {
        let dir = tempfile::tempdir().unwrap();
        let good = serde_json::to_string(&rds("orders")).unwrap();
        let text = format!(
            "{{\"format\": \"{FORMAT}\",\n \"resources\": [\n  {{\"id\": 1}},\n  {good}\n]}}"
        );
        let file = write_file(dir.path(), &text);
        let inv = read_snapshot(&file).unwrap();
        assert_eq!(inv.len(), 1);
        assert_eq!(inv.location("aws/rds/eu-west-1/orders").unwrap().line, 4);
        let problem = inv.problems[0].to_string();
        assert!(
            problem.contains("inventory.json:3: resources[0] is not a valid resource"),
            "{problem}"
        );
    }
}
