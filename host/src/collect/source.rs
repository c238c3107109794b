//! Named inventory sources as the command line gives them (`--source KIND[:ARG]`):
//! the file sources today; the live collectors (`k8s`, `aws`, `azure`) join here.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use super::{SnapshotError, manifests, snapshot};
use crate::inventory::Inventory;

/// One inventory source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A directory of Kubernetes manifests (`manifests:DIR`).
    Manifests(PathBuf),
    /// An inventory snapshot file (`snapshot:FILE`).
    Snapshot(PathBuf),
}

/// Live collectors named in the contract but not built into this version yet.
const LIVE_SOURCES: [&str; 3] = ["k8s", "aws", "azure"];

impl FromStr for Source {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            Some(("manifests", dir)) if !dir.is_empty() => Ok(Source::Manifests(dir.into())),
            Some(("snapshot", file)) if !file.is_empty() => Ok(Source::Snapshot(file.into())),
            _ if LIVE_SOURCES.contains(&s) => Err(format!(
                "source `{s}`: the live collector is not built into this version yet; use manifests:DIR or snapshot:FILE"
            )),
            _ => Err(format!(
                "source `{s}`: expected manifests:DIR or snapshot:FILE"
            )),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Manifests(dir) => write!(f, "manifests:{}", dir.display()),
            Source::Snapshot(file) => write!(f, "snapshot:{}", file.display()),
        }
    }
}

impl Source {
    /// Reads this source's inventory.
    pub fn collect(&self) -> Result<Inventory, SnapshotError> {
        match self {
            Source::Manifests(dir) => manifests::load_manifests(dir),
            Source::Snapshot(file) => snapshot::read_snapshot(file),
        }
    }
}

/// Reads every source, in order, into one inventory.
pub fn collect_all(sources: &[Source]) -> Result<Inventory, SnapshotError> {
    let mut inventory = Inventory::default();
    for source in sources {
        inventory.extend(source.collect()?);
    }
    Ok(inventory)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_file_sources_and_names_unknown_ones() {
        assert_eq!(
            "manifests:k8s/".parse(),
            Ok(Source::Manifests("k8s/".into()))
        );
        assert_eq!(
            "snapshot:inv.json".parse(),
            Ok(Source::Snapshot("inv.json".into()))
        );
        let live = "aws".parse::<Source>().unwrap_err();
        assert!(live.contains("not built into this version"), "{live}");
        let bad = "ftp:x".parse::<Source>().unwrap_err();
        assert!(bad.contains("`ftp:x`"), "{bad}");
        assert!("manifests:".parse::<Source>().is_err());
    }
}
