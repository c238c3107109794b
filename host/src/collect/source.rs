//! Named inventory sources as the command line gives them (`--source KIND[:ARG]`):
//! the file sources `manifests:DIR` and `snapshot:FILE`, and the live collectors
//! `k8s`, `aws` and `azure`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use super::collector::{Collector, merge_outcomes, run_collectors};
use super::progress::CollectProgress;
use super::{CollectorsConfig, SnapshotError, aws, azure, k8s, manifests, snapshot};
use crate::inventory::Inventory;

/// One inventory source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A directory of Kubernetes manifests (`manifests:DIR`).
    Manifests(PathBuf),
    /// An inventory snapshot file (`snapshot:FILE`).
    Snapshot(PathBuf),
    /// A live collector (`k8s`, `aws`, `azure`).
    Live(LiveSource),
}

/// The live collectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveSource {
    /// Kubernetes API (kubeconfig or in-cluster).
    K8s,
    /// AWS RDS, Kinesis and CloudWatch.
    Aws,
    /// Azure Resource Manager and Azure Monitor.
    Azure,
}

impl LiveSource {
    /// The name as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            LiveSource::K8s => "k8s",
            LiveSource::Aws => "aws",
            LiveSource::Azure => "azure",
        }
    }

    /// The collector for this source with its settings from the config.
    pub fn collector(self, config: &CollectorsConfig) -> Box<dyn Collector> {
        match self {
            LiveSource::K8s => Box::new(k8s::K8sCollector::new(config.k8s.clone())),
            LiveSource::Aws => Box::new(aws::AwsCollector::new(config.aws.clone())),
            LiveSource::Azure => Box::new(azure::AzureCollector::new(config.azure.clone())),
        }
    }
}

impl FromStr for Source {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            Some(("manifests", dir)) if !dir.is_empty() => Ok(Source::Manifests(dir.into())),
            Some(("snapshot", file)) if !file.is_empty() => Ok(Source::Snapshot(file.into())),
            None if s == "k8s" => Ok(Source::Live(LiveSource::K8s)),
            None if s == "aws" => Ok(Source::Live(LiveSource::Aws)),
            None if s == "azure" => Ok(Source::Live(LiveSource::Azure)),
            _ => Err(format!(
                "source `{s}`: expected k8s, aws, azure, manifests:DIR or snapshot:FILE"
            )),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Manifests(dir) => write!(f, "manifests:{}", dir.display()),
            Source::Snapshot(file) => write!(f, "snapshot:{}", file.display()),
            Source::Live(live) => f.write_str(live.name()),
        }
    }
}

/// Reads every source into one inventory. File sources are read in order and one that
/// cannot be read at all is an error (a usage mistake); live sources run concurrently,
/// and one that fails becomes a problem naming it while the others' inventory is kept.
pub fn collect_sources(
    sources: &[Source],
    config: &CollectorsConfig,
    progress: &CollectProgress,
) -> Result<Inventory, SnapshotError> {
    let mut inventory = Inventory::default();
    let mut live: Vec<LiveSource> = Vec::new();
    for source in sources {
        match source {
            Source::Manifests(dir) => inventory.extend(manifests::load_manifests(dir)?),
            Source::Snapshot(file) => inventory.extend(snapshot::read_snapshot(file)?),
            Source::Live(kind) if !live.contains(kind) => live.push(*kind),
            Source::Live(_) => {}
        }
    }
    let collectors: Vec<Box<dyn Collector>> =
        live.iter().map(|kind| kind.collector(config)).collect();
    merge_outcomes(run_collectors(&collectors, progress), &mut inventory);
    Ok(inventory)
}

#[cfg(test)]
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
        assert_eq!("aws".parse(), Ok(Source::Live(LiveSource::Aws)));
        assert_eq!("k8s".parse(), Ok(Source::Live(LiveSource::K8s)));
        assert_eq!("azure".parse(), Ok(Source::Live(LiveSource::Azure)));
        let bad = "ftp:x".parse::<Source>().unwrap_err();
        assert!(bad.contains("`ftp:x`"), "{bad}");
        assert!("manifests:".parse::<Source>().is_err());
        assert!("aws:eu-west-1".parse::<Source>().is_err());
    }
}
