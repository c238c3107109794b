//! The set of plugins: an immutable snapshot swapped atomically on every change, so
//! readers (a running scan, the API) never lock and never see a half-updated set.
//! Load errors are data kept next to the plugin they concern.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use super::plugin::{LoadedPlugin, PluginKind};

/// One plugin slot: a file in the plugin directory or a built-in plugin.
#[derive(Debug, Clone)]
pub struct PluginEntry {
    /// The slot's key: a file path or `builtin:NAME`.
    pub origin: String,
    /// The version that serves, if any loaded.
    pub plugin: Option<Arc<LoadedPlugin>>,
    /// The last load error; with `plugin` set, the previous version still serves.
    pub error: Option<String>,
}

impl PluginEntry {
    /// `loaded` when a version serves and the file's last load had no error, else
    /// `failed` (a previous version may still serve).
    pub fn status(&self) -> &'static str {
        if self.plugin.is_some() && self.error.is_none() {
            "loaded"
        } else {
            "failed"
        }
    }
}

/// An immutable view of every plugin slot.
#[derive(Debug, Default)]
pub struct RegistrySnapshot {
    /// Slots by origin.
    pub entries: BTreeMap<String, PluginEntry>,
    /// Bumped on every change.
    pub generation: u64,
}

impl RegistrySnapshot {
    /// Loaded plugins of `kind`, sorted by origin.
    pub fn plugins(&self, kind: PluginKind) -> impl Iterator<Item = &Arc<LoadedPlugin>> {
        self.entries
            .values()
            .filter_map(|e| e.plugin.as_ref())
            .filter(move |p| p.kind() == kind)
    }

    /// Loaded detectors.
    pub fn detectors(&self) -> impl Iterator<Item = &Arc<LoadedPlugin>> {
        self.plugins(PluginKind::Detector)
    }

    /// The loaded plugin called `name`.
    pub fn by_name(&self, name: &str) -> Option<&Arc<LoadedPlugin>> {
        self.entries
            .values()
            .filter_map(|e| e.plugin.as_ref())
            .find(|p| p.name() == name)
    }

    /// Slots with a load error, as `(origin, error)`.
    pub fn errors(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .values()
            .filter_map(|e| e.error.as_deref().map(|err| (e.origin.as_str(), err)))
    }
}

/// How a load of a plugin slot went, as counted by [`PluginRegistry::loads`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LoadOutcome {
    /// The plugin was installed and serves.
    Loaded,
    /// The load failed (or was refused); a previous version keeps serving.
    Failed,
}

impl LoadOutcome {
    /// Its label value: `loaded` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            LoadOutcome::Loaded => "loaded",
            LoadOutcome::Failed => "failed",
        }
    }
}

/// The plugin registry shared by the scan, the watcher and the API.
#[derive(Default)]
pub struct PluginRegistry {
    current: ArcSwap<RegistrySnapshot>,
    /// Loads by `(plugin, outcome)`; loads are rare, so a mutex is cheap here.
    loads: Mutex<BTreeMap<(String, LoadOutcome), u64>>,
}

impl PluginRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current snapshot; holding it keeps that set of plugins alive.
    pub fn snapshot(&self) -> Arc<RegistrySnapshot> {
        self.current.load_full()
    }

    /// Loads so far, by plugin and outcome: the plugin's name, or for a file that
    /// failed before its name was known (and serves no previous version) its file
    /// name. Sorted by name, then outcome.
    pub fn loads(&self) -> Vec<(String, LoadOutcome, u64)> {
        let loads = self.loads.lock().unwrap_or_else(|e| e.into_inner());
        loads
            .iter()
            .map(|((p, o), n)| (p.clone(), *o, *n))
            .collect()
    }

    fn count_load(&self, plugin: &str, outcome: LoadOutcome) {
        let mut loads = self.loads.lock().unwrap_or_else(|e| e.into_inner());
        *loads.entry((plugin.to_string(), outcome)).or_default() += 1;
    }

    /// Installs `plugin` in slot `origin`. Refused (and recorded as the slot's error)
    /// when another slot already serves a plugin of the same name. A new version of
    /// the plugin the slot serves keeps counting its calls in the same statistics.
    pub fn install(&self, origin: &str, mut plugin: LoadedPlugin) {
        let previous = self.snapshot();
        if let Some(old) = previous
            .entries
            .get(origin)
            .and_then(|e| e.plugin.as_ref())
            .filter(|old| old.name() == plugin.name())
        {
            plugin.share_stats(old.stats().clone());
        }
        let plugin = Arc::new(plugin);
        let refused = std::sync::atomic::AtomicBool::new(false);
        self.update(|entries| {
            let clash = entries
                .values()
                .filter(|e| e.origin != origin)
                .filter_map(|e| e.plugin.as_ref())
                .find(|p| p.name() == plugin.name())
                .map(|p| p.origin.clone());
            let entry = slot(entries, origin);
            match clash {
                Some(other) => {
                    refused.store(true, std::sync::atomic::Ordering::Relaxed);
                    entry.error = Some(format!(
                        "plugin name `{}` is already served by {other}",
                        plugin.name()
                    ));
                }
                None => {
                    refused.store(false, std::sync::atomic::Ordering::Relaxed);
                    entry.plugin = Some(plugin.clone());
                    entry.error = None;
                }
            }
        });
        let outcome = if refused.into_inner() {
            LoadOutcome::Failed
        } else {
            LoadOutcome::Loaded
        };
        self.count_load(plugin.name(), outcome);
    }

    /// Records a load failure for slot `origin`; a version already serving keeps serving.
    pub fn record_error(&self, origin: &str, error: String) {
        let serving = self
            .snapshot()
            .entries
            .get(origin)
            .and_then(|e| e.plugin.as_ref())
            .map(|p| p.name().to_string());
        self.update(|entries| slot(entries, origin).error = Some(error.clone()));
        self.count_load(
            &serving.unwrap_or_else(|| file_name(origin)),
            LoadOutcome::Failed,
        );
    }

    /// Removes slot `origin` (the plugin is unloaded once no reader holds it).
    pub fn remove(&self, origin: &str) {
        self.update(|entries| {
            entries.remove(origin);
        });
    }

    fn update(&self, change: impl Fn(&mut BTreeMap<String, PluginEntry>)) {
        self.current.rcu(|old| {
            let mut entries = old.entries.clone();
            change(&mut entries);
            RegistrySnapshot {
                entries,
                generation: old.generation + 1,
            }
        });
    }
}

/// The last component of a slot's origin (its file name, or `builtin:NAME`).
fn file_name(origin: &str) -> String {
    std::path::Path::new(origin)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| origin.to_string())
}

fn slot<'a>(entries: &'a mut BTreeMap<String, PluginEntry>, origin: &str) -> &'a mut PluginEntry {
    entries
        .entry(origin.to_string())
        .or_insert_with(|| PluginEntry {
            origin: origin.to_string(),
            plugin: None,
            error: None,
        })
}
