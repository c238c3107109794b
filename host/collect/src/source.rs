//! Named inventory sources as the command line and the config's `sources:` give them
//! (`KIND[:ARG]`): the file sources `manifests:DIR` and `snapshot:FILE`, and the live
//! collectors of [`LIVE_SOURCES`](crate::LIVE_SOURCES) (`k8s`, `aws`, `azure`).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use aiops_core::{Collector, Inventory};

use crate::progress::CollectProgress;
use crate::registry::LiveSource;
use crate::runner::{merge_outcomes, run_collectors};
use crate::{CollectorsConfig, LIVE_SOURCES, SnapshotError, manifests, snapshot};

/// One inventory source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A directory of Kubernetes manifests (`manifests:DIR`).
    Manifests(PathBuf),
    /// An inventory snapshot file (`snapshot:FILE`).
    Snapshot(PathBuf),
    /// A live collector (`k8s`, `aws`, `azure`).
    Live(&'static LiveSource),
}

impl Source {
    /// The live source named `name` (`k8s`, `aws`, `azure`), if this build has it.
    pub fn live(name: &str) -> Option<Source> {
        LiveSource::find(name).map(Source::Live)
    }
}

impl FromStr for Source {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            Some(("manifests", dir)) if !dir.is_empty() => Ok(Source::Manifests(dir.into())),
            Some(("snapshot", file)) if !file.is_empty() => Ok(Source::Snapshot(file.into())),
            None => Source::live(s).ok_or_else(|| unknown(s)),
            _ => Err(unknown(s)),
        }
    }
}

/// The error for a source this build does not know, listing those it does.
fn unknown(source: &str) -> String {
    let live: String = LIVE_SOURCES
        .iter()
        .map(|s| format!("{}, ", s.name))
        .collect();
    format!("source `{source}`: expected {live}manifests:DIR or snapshot:FILE")
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Manifests(dir) => write!(f, "manifests:{}", dir.display()),
            Source::Snapshot(file) => write!(f, "snapshot:{}", file.display()),
            Source::Live(live) => f.write_str(live.name),
        }
    }
}

/// Reads every source into one inventory. File sources are read in order (off the
/// async threads) and one that cannot be read at all is an error (a usage mistake);
/// live sources run concurrently, and one that fails becomes a problem naming it while
/// the others' inventory is kept.
pub async fn collect_sources(
    sources: &[Source],
    config: &CollectorsConfig,
    progress: &CollectProgress,
) -> Result<Inventory, SnapshotError> {
    let mut inventory = Inventory::default();
    let mut live: Vec<&'static LiveSource> = Vec::new();
    for source in sources {
        match source {
            Source::Manifests(_) | Source::Snapshot(_) => {
                inventory.extend(read_file_source(source.clone()).await?)
            }
            Source::Live(kind) if !live.contains(kind) => live.push(kind),
            Source::Live(_) => {}
        }
    }
    let collectors: Vec<Box<dyn Collector>> =
        live.iter().map(|kind| kind.collector(config)).collect();
    merge_outcomes(run_collectors(&collectors, progress).await, &mut inventory);
    Ok(inventory)
}

/// Reads a file source on a blocking thread: parsing is CPU work.
async fn read_file_source(source: Source) -> Result<Inventory, SnapshotError> {
    let read = move || match &source {
        Source::Manifests(dir) => manifests::load_manifests(dir),
        Source::Snapshot(file) => snapshot::read_snapshot(file),
        Source::Live(_) => Ok(Inventory::default()),
    };
    tokio::task::spawn_blocking(read)
        .await
        .unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))
}

#[cfg(all(test, feature = "k8s", feature = "aws", feature = "azure"))]
mod tests {
    use super::*;

    #[test]
    fn parses_sources_and_names_unknown_ones() {
        assert_eq!(
            "manifests:k8s/".parse(),
            Ok(Source::Manifests("k8s/".into()))
        );
        assert_eq!(
            "snapshot:inv.json".parse(),
            Ok(Source::Snapshot("inv.json".into()))
        );
        assert_eq!("aws".parse(), Ok(Source::live("aws").unwrap()));
        assert_eq!("k8s".parse(), Ok(Source::live("k8s").unwrap()));
        assert_eq!("azure".parse(), Ok(Source::live("azure").unwrap()));
        let bad = "ftp:x".parse::<Source>().unwrap_err();
        assert!(bad.contains("`ftp:x`"), "{bad}");
        assert_eq!(
            bad,
            "source `ftp:x`: expected k8s, aws, azure, manifests:DIR or snapshot:FILE"
        );
        assert!("manifests:".parse::<Source>().is_err());
        assert!("aws:eu-west-1".parse::<Source>().is_err());
    }
}
