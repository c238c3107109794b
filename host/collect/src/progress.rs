//! Telling the user what collection is doing: one progress line per source on an
//! interactive terminal (hidden otherwise), and counts per kind kept for the summary.

use std::collections::BTreeMap;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use aiops_core::{CollectError, CollectorProgress, Inventory};

/// Progress of a whole collection (all sources).
pub struct CollectProgress {
    bars: Option<MultiProgress>,
}

impl CollectProgress {
    /// Progress lines on stderr when it is a terminal, nothing otherwise.
    pub fn for_stderr() -> Self {
        use std::io::IsTerminal;
        if std::io::stderr().is_terminal() {
            CollectProgress {
                bars: Some(MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            }
        } else {
            Self::hidden()
        }
    }

    /// No output (tests, non-interactive runs).
    pub fn hidden() -> Self {
        CollectProgress { bars: None }
    }

    /// The progress line of one source.
    pub fn source(&self, name: &str) -> SourceProgress {
        let bar = self.bars.as_ref().map(|bars| {
            let bar = bars.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix:>6} {elapsed:>4} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(name.to_string());
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        SourceProgress {
            name: name.to_string(),
            bar,
            counts: Mutex::new(BTreeMap::new()),
        }
    }
}

/// Progress of one source; collectors call [`CollectorProgress::found`] as pages arrive.
pub struct SourceProgress {
    name: String,
    bar: Option<ProgressBar>,
    counts: Mutex<BTreeMap<String, usize>>,
}

impl CollectorProgress for SourceProgress {
    fn found(&self, kind: &str, count: usize) {
        let summary = {
            let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            *counts.entry(kind.to_string()).or_default() += count;
            summarize(&counts)
        };
        if let Some(bar) = &self.bar {
            bar.set_message(summary);
        }
    }

    fn status(&self, what: &str) {
        tracing::debug!(source = %self.name, "{what}");
        if let Some(bar) = &self.bar {
            bar.set_message(what.to_string());
        }
    }
}

impl SourceProgress {
    /// Counts so far, by kind.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Ends the line with the outcome.
    pub(crate) fn finish(&self, result: &Result<Inventory, CollectError>) {
        let line = match result {
            Ok(inventory) => {
                let counts = inventory.counts_by_kind().into_iter().collect();
                format!("{} resources: {}", inventory.len(), summarize(&counts))
            }
            Err(err) => format!("failed: {err}"),
        };
        if let Some(bar) = &self.bar {
            bar.finish_with_message(line);
        }
    }
}

fn summarize(counts: &BTreeMap<String, usize>) -> String {
    counts
        .iter()
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_per_kind() {
        let progress = CollectProgress::hidden().source("k8s");
        progress.found("Pod", 500);
        progress.found("Pod", 20);
        progress.found("Deployment", 3);
        let counts = progress.counts();
        assert_eq!(counts["Pod"], 520);
        assert_eq!(counts["Deployment"], 3);
        assert_eq!(summarize(&counts), "3 Deployment, 520 Pod");
    }
}
