//! The collect stage of a recorded cycle: every source read on its own (live ones
//! concurrently), so each resource and each problem is attributed to the source it came
//! from, and a source that cannot be read at all fails alone instead of stopping the
//! cycle. The state store needs that attribution for its coverage rule: a source that
//! failed resolves nothing.

use std::ops::Range;

use aiops_collect::{CollectProgress, CollectorsConfig, Source, collect_sources};
use aiops_core::Inventory;
use aiops_state::{CycleProblem, SourceStatus};

/// The inventory of a cycle with the source of each resource.
#[derive(Debug, Default)]
pub struct CollectedSources {
    /// Every source's resources, merged in the order of the sources.
    pub inventory: Inventory,
    /// How each source went, in the order given.
    pub statuses: Vec<SourceStatus>,
    /// The positions in the inventory of each source's resources (same order).
    ranges: Vec<Range<usize>>,
}

impl CollectedSources {
    /// The source (as `sources:` spells it) the resource at `position` came from.
    pub fn source_at(&self, position: usize) -> Option<&str> {
        self.ranges
            .iter()
            .position(|range| range.contains(&position))
            .map(|i| self.statuses[i].source.as_str())
    }

    /// True when some source failed or could only be read in part.
    pub fn has_problems(&self) -> bool {
        self.statuses
            .iter()
            .any(|s| s.failed || !s.problems.is_empty())
    }
}

/// Reads each of `sources` on its own, all at once, and merges them in order; each is
/// called by its entry in `names` when given.
pub async fn collect_each(
    sources: &[Source],
    names: Option<&[String]>,
    config: &CollectorsConfig,
    progress: &CollectProgress,
) -> CollectedSources {
    let reads = sources.iter().enumerate().map(|(i, source)| async move {
        let result = collect_sources(std::slice::from_ref(source), config, progress).await;
        let name = names
            .and_then(|names| names.get(i).cloned())
            .unwrap_or_else(|| source.to_string());
        (source, name, result)
    });
    let outcomes = futures_util::future::join_all(reads).await;
    let mut collected = CollectedSources::default();
    for (source, name, result) in outcomes {
        let file_source = !matches!(source, Source::Live(_));
        let start = collected.inventory.len();
        let status = match result {
            Ok(mut inventory) => {
                let problems: Vec<CycleProblem> = inventory
                    .problems
                    .drain(..)
                    .map(|p| CycleProblem {
                        source: Some(p.source),
                        plugin: None,
                        line: p.line,
                        message: p.message,
                    })
                    .collect();
                let resources = inventory.len();
                collected.inventory.extend(inventory);
                SourceStatus {
                    failed: resources == 0 && !problems.is_empty(),
                    source: name,
                    file_source,
                    resources,
                    problems,
                }
            }
            Err(err) => SourceStatus {
                problems: vec![CycleProblem {
                    source: Some(name.clone()),
                    plugin: None,
                    line: None,
                    message: err.to_string(),
                }],
                source: name,
                file_source,
                resources: 0,
                failed: true,
            },
        };
        // The merged inventory reports what failed, as a scan's does.
        collected
            .inventory
            .problems
            .extend(
                status
                    .problems
                    .iter()
                    .map(|p| aiops_core::InventoryProblem {
                        source: p.source.clone().unwrap_or_default(),
                        line: p.line,
                        message: p.message.clone(),
                    }),
            );
        collected.ranges.push(start..collected.inventory.len());
        collected.statuses.push(status);
    }
    collected
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n";

    #[tokio::test]
    async fn each_resource_and_problem_is_attributed_to_its_source() {
        let good = dir_with(&[("pod.yaml", POD)]);
        let broken = dir_with(&[
            ("ok.yaml", &POD.replace("web", "api")),
            ("bad.yaml", "kind: [\n"),
        ]);
        let missing = good.path().join("no-such-dir");
        let sources = [
            Source::Manifests(good.path().into()),
            Source::Manifests(broken.path().into()),
            Source::Manifests(missing.clone()),
        ];
        let collected = collect_each(
            &sources,
            None,
            &CollectorsConfig::default(),
            &CollectProgress::hidden(),
        )
        .await;
        let [first, second, third] = collected.statuses.as_slice() else {
            panic!("{:?}", collected.statuses);
        };
        assert_eq!((first.resources, first.failed), (1, false));
        assert!(first.problems.is_empty());
        assert_eq!((second.resources, second.failed), (1, false));
        let bad = &second.problems[0];
        assert!(
            bad.source.as_deref().unwrap().ends_with("bad.yaml"),
            "{bad:?}"
        );
        assert!(third.failed && third.resources == 0, "{third:?}");
        assert!(
            third.problems[0].message.contains("no-such-dir"),
            "{third:?}"
        );
        assert_eq!(collected.source_at(0), Some(first.source.as_str()));
        assert_eq!(collected.source_at(1), Some(second.source.as_str()));
        assert_eq!(collected.source_at(2), None);
        assert!(collected.has_problems());
        assert_eq!(collected.inventory.problems.len(), 2);
    }
}
