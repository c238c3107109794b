//! Keeps the registry in step with a plugin directory: every `.wasm` is loaded at
//! start; afterwards file events are debounced and the directory is re-synced, loading
//! only files whose content hash changed, off the scan's hot path.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{RecursiveMode, Watcher};

use super::cache::content_hash;
use super::loader::Loader;
use super::registry::PluginRegistry;

/// Quiet time after the last file event before the directory is re-synced.
pub const DEBOUNCE: Duration = Duration::from_millis(25);

/// A plugin directory bound to a registry.
pub struct PluginDir {
    dir: PathBuf,
    loader: Loader,
    registry: Arc<PluginRegistry>,
    /// Content hash of the last bytes tried per file, loaded or not.
    seen: Mutex<HashMap<PathBuf, String>>,
}

impl PluginDir {
    /// Binds `dir` to `registry`; nothing is loaded until [`PluginDir::sync`].
    pub fn new(dir: impl Into<PathBuf>, loader: Loader, registry: Arc<PluginRegistry>) -> Self {
        PluginDir {
            dir: dir.into(),
            loader,
            registry,
            seen: Mutex::default(),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Loads new and changed `.wasm` files, records failures, unloads removed files.
    /// Returns how many files were (re)loaded or failed.
    pub fn sync(&self) -> std::io::Result<usize> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "wasm") && p.is_file())
            .collect();
        files.sort();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let mut changed = 0;
        for path in &files {
            let origin = path.display().to_string();
            let bytes = match std::fs::read(path) {
                Ok(bytes) => bytes,
                Err(err) => {
                    self.registry
                        .record_error(&origin, format!("cannot read: {err}"));
                    continue;
                }
            };
            let hash = content_hash(&bytes);
            if seen.get(path) == Some(&hash) {
                continue;
            }
            seen.insert(path.clone(), hash);
            changed += 1;
            match self.loader.load_bytes(&bytes, &origin) {
                Ok(plugin) => {
                    tracing::info!(plugin = plugin.name(), file = %origin, kind = %plugin.kind(), "plugin loaded");
                    self.registry.install(&origin, plugin);
                }
                Err(err) => {
                    tracing::error!(file = %origin, error = %err, "plugin failed to load");
                    self.registry.record_error(&origin, err.to_string());
                }
            }
        }
        let gone: Vec<PathBuf> = seen
            .keys()
            .filter(|p| !files.contains(p))
            .cloned()
            .collect();
        for path in gone {
            seen.remove(&path);
            changed += 1;
            tracing::info!(file = %path.display(), "plugin file removed, unloading");
            self.registry.remove(&path.display().to_string());
        }
        Ok(changed)
    }

    /// Syncs once, then watches the directory and re-syncs after each burst of file
    /// events. The returned handle stops watching when dropped.
    pub fn watch(self: Arc<Self>) -> notify::Result<WatchHandle> {
        if let Err(err) = self.sync() {
            tracing::error!(dir = %self.dir.display(), error = %err, "cannot read plugin directory");
        }
        let (tx, rx) = mpsc::channel::<notify::Result<notify::Event>>();
        let mut watcher = notify::recommended_watcher(tx)?;
        watcher.watch(&self.dir, RecursiveMode::NonRecursive)?;
        let dir = Arc::clone(&self);
        thread::Builder::new()
            .name("aiops-plugin-watch".into())
            .spawn(move || debounce_loop(&dir, &rx))
            .map_err(|e| notify::Error::generic(&e.to_string()))?;
        Ok(WatchHandle { _watcher: watcher })
    }
}

/// Keeps the directory watched while alive.
pub struct WatchHandle {
    _watcher: notify::RecommendedWatcher,
}

/// Waits for a relevant event, then for [`DEBOUNCE`] of quiet, then syncs. Ends when
/// the watcher (the sender) is dropped.
fn debounce_loop(dir: &PluginDir, rx: &mpsc::Receiver<notify::Result<notify::Event>>) {
    while let Ok(event) = rx.recv() {
        if !is_relevant(&event) {
            continue;
        }
        loop {
            match rx.recv_timeout(DEBOUNCE) {
                Ok(_) => continue,
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
        if let Err(err) = dir.sync() {
            tracing::error!(dir = %dir.dir.display(), error = %err, "cannot read plugin directory");
        }
    }
}

/// Reads and opens (our own, among others) are not changes; everything else may be.
fn is_relevant(event: &notify::Result<notify::Event>) -> bool {
    match event {
        Ok(event) => !matches!(
            event.kind,
            EventKind::Access(
                AccessKind::Open(_) | AccessKind::Read | AccessKind::Close(AccessMode::Read)
            )
        ),
        Err(_) => true,
    }
}
