//! Keeps the registry in step with a plugin directory: every `.wasm` is loaded at
//! start; afterwards file events are debounced and the directory is re-synced, loading
//! only files whose content hash changed, off the scan's hot path.
//!
//! The directory may be a mounted ConfigMap, which the kubelet lays out as
//! `..2026_12_07_08_00_00.123456789/` (the payload), a `..data` symlink to it and one
//! symlink per key (`rule.wasm -> ..data/rule.wasm`), and updates by writing a new
//! timestamped directory and renaming a `..data_tmp` symlink over `..data`. So entries
//! whose names start with `..` are never plugins, per-file symlinks are followed, and
//! the rename of `..data` (an event in the watched directory itself) triggers a sync.

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
use crate::config::DEFAULT_MAX_PLUGIN_BYTES;

/// Quiet time after the last file event before the directory is re-synced.
pub const DEBOUNCE: Duration = Duration::from_millis(25);

/// A plugin directory bound to a registry.
pub struct PluginDir {
    dir: PathBuf,
    loader: Loader,
    registry: Arc<PluginRegistry>,
    /// Files larger than this are refused unread.
    max_bytes: u64,
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
            max_bytes: DEFAULT_MAX_PLUGIN_BYTES,
            seen: Mutex::default(),
        }
    }

    /// Refuses `.wasm` files larger than `max_bytes` (`plugins.max_plugin_bytes`).
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
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
            .filter(|p| is_plugin_file(p))
            .collect();
        files.sort();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let mut changed = 0;
        for path in &files {
            let origin = path.display().to_string();
            // `metadata` follows the kubelet's per-file symlinks, as `read` does.
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            if size > self.max_bytes {
                let marker = format!("too large: {size}");
                if seen.get(path) != Some(&marker) {
                    seen.insert(path.clone(), marker);
                    changed += 1;
                    let error = format!(
                        "{origin} is {size} bytes, more than plugins.max_plugin_bytes ({} bytes); not loaded",
                        self.max_bytes
                    );
                    tracing::error!(file = %origin, size, max = self.max_bytes, "plugin file too large");
                    self.registry.record_error(&origin, error);
                }
                continue;
            }
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

/// A `.wasm` file (or a symlink to one) that is not one of the kubelet's `..` entries.
fn is_plugin_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    !name.starts_with("..") && path.extension().is_some_and(|e| e == "wasm") && path.is_file()
}

/// Reads and opens (our own, among others) are not changes; everything else may be,
/// the rename of a ConfigMap volume's `..data_tmp` over `..data` included.
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

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{ModifyKind, RenameMode};

    #[test]
    fn kubelet_entries_are_not_plugins_but_file_symlinks_are() {
        let dir = tempfile::tempdir().unwrap();
        let payload = dir.path().join("..2026_12_07_08_00_00.123456789");
        std::fs::create_dir(&payload).unwrap();
        std::fs::write(payload.join("rule.wasm"), b"x").unwrap();
        std::fs::write(payload.join("..odd.wasm"), b"x").unwrap();
        std::os::unix::fs::symlink(payload.file_name().unwrap(), dir.path().join("..data"))
            .unwrap();
        std::os::unix::fs::symlink("..data/rule.wasm", dir.path().join("rule.wasm")).unwrap();
        std::os::unix::fs::symlink("..data/..odd.wasm", dir.path().join("..odd.wasm")).unwrap();
        std::os::unix::fs::symlink("..data/gone.wasm", dir.path().join("gone.wasm")).unwrap();
        assert!(is_plugin_file(&dir.path().join("rule.wasm")));
        assert!(!is_plugin_file(&dir.path().join("..odd.wasm")));
        assert!(!is_plugin_file(&dir.path().join("..data")));
        assert!(!is_plugin_file(&payload), "the payload directory");
        assert!(
            !is_plugin_file(&dir.path().join("gone.wasm")),
            "dangling link"
        );
    }

    #[test]
    fn renaming_data_is_relevant_reading_is_not() {
        let rename = notify::Event::new(EventKind::Modify(ModifyKind::Name(RenameMode::Both)))
            .add_path("/p/..data_tmp".into())
            .add_path("/p/..data".into());
        assert!(is_relevant(&Ok(rename)));
        let read = notify::Event::new(EventKind::Access(AccessKind::Read));
        assert!(!is_relevant(&Ok(read)));
    }
}
