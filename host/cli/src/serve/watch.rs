//! `serve --watch`, the rule author's loop: the config file and every file source
//! (manifest directories, snapshot files) are watched, and a burst of changes
//! (debounced) asks for a cycle at once. Plugins are followed through the registry: a
//! cycle is asked for once a dropped, changed or removed plugin file has been loaded
//! (or has failed to), not when the file appears — an 18 MB Python component takes
//! seconds to compile, and a cycle before that would not see it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use aiops_collect::Source;
use notify::{RecursiveMode, Watcher as _};

use super::api::AppState;
use crate::config::Config;

/// Quiet time after a change before the cycle starts.
const DEBOUNCE: Duration = Duration::from_millis(150);

/// How often the plugin registry is looked at for a finished load.
const REGISTRY_POLL: Duration = Duration::from_millis(200);

/// One thing `--watch` follows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// A file (the config, a snapshot): its directory is watched, so an editor that
    /// saves by writing a new file and renaming it over the old one is still seen.
    File(PathBuf),
    /// A directory and everything below it (a manifest source).
    Tree(PathBuf),
}

impl Target {
    /// What to hand the watcher.
    fn watch(&self) -> (PathBuf, RecursiveMode) {
        match self {
            Target::File(f) => (
                f.parent()
                    .map_or_else(|| PathBuf::from("/"), Path::to_path_buf),
                RecursiveMode::NonRecursive,
            ),
            Target::Tree(d) => (d.clone(), RecursiveMode::Recursive),
        }
    }

    /// Whether a change at `path` is this target's.
    fn covers(&self, path: &Path) -> bool {
        match self {
            Target::File(f) => path == f,
            Target::Tree(d) => path.starts_with(d),
        }
    }
}

/// `path` made absolute (so the watcher's event paths compare with it).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// What `--watch` watches for `config` (and the config file `path`).
fn watched(config: &Config, path: Option<&Path>) -> Vec<Target> {
    let mut out = Vec::new();
    if let Some(p) = path {
        out.push(Target::File(absolute(p)));
    }
    for s in &config.sources {
        match &s.source {
            Source::Manifests(dir) => out.push(Target::Tree(absolute(dir))),
            Source::Snapshot(file) => out.push(Target::File(absolute(file))),
            Source::Live(_) => {}
        }
    }
    out
}

/// Whether `event` is a change of content or of the tree (a file written, created,
/// removed or renamed): reads are not, and the cycle itself reads every watched file,
/// so counting them would run cycles for ever.
fn is_change(event: &notify::Result<notify::Event>, targets: &[Target]) -> bool {
    use notify::EventKind;
    use notify::event::{AccessKind, AccessMode, MetadataKind, ModifyKind};
    match event {
        Err(_) => false,
        Ok(event)
            if !event
                .paths
                .iter()
                .any(|p| targets.iter().any(|t| t.covers(p))) =>
        {
            false
        }
        Ok(event) => match event.kind {
            EventKind::Create(_) | EventKind::Remove(_) => true,
            EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
            EventKind::Modify(_) => true,
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
            EventKind::Access(_) | EventKind::Any | EventKind::Other => false,
        },
    }
}

/// Keeps the watch alive.
pub struct WatchHandle {
    _watcher: notify::RecommendedWatcher,
}

/// Starts watching; each burst of changes, and each finished plugin load, wakes the
/// scheduler for a cycle.
pub fn start(state: Arc<AppState>, path: Option<&Path>) -> anyhow::Result<WatchHandle> {
    let (tx, rx) = mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(tx)?;
    let targets = watched(&state.config.load(), path);
    let mut dirs: Vec<(PathBuf, RecursiveMode)> = Vec::new();
    for target in &targets {
        let (p, mode) = target.watch();
        if dirs.iter().any(|(d, m)| *d == p && *m == mode) {
            continue;
        }
        match watcher.watch(&p, mode) {
            Ok(()) => tracing::info!(path = %p.display(), "watching"),
            Err(err) => tracing::warn!(path = %p.display(), error = %err, "cannot watch"),
        }
        dirs.push((p, mode));
    }
    let registry = state.plugins.get().cloned();
    let generation = move || registry.as_ref().map(|r| r.snapshot().generation);
    std::thread::Builder::new()
        .name("aiops-serve-watch".into())
        .spawn(move || {
            let mut loaded = generation();
            loop {
                match rx.recv_timeout(REGISTRY_POLL) {
                    Ok(event) if is_change(&event, &targets) => {
                        loop {
                            match rx.recv_timeout(DEBOUNCE) {
                                Ok(_) => continue,
                                Err(mpsc::RecvTimeoutError::Timeout) => break,
                                Err(mpsc::RecvTimeoutError::Disconnected) => return,
                            }
                        }
                        tracing::info!("a watched file changed: running a cycle");
                        state.run_now.notify_one();
                    }
                    Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
                // Looked at after every event too: a cycle's reads must not starve it.
                let now = generation();
                if now != loaded {
                    loaded = now;
                    tracing::info!("a plugin was loaded, replaced or removed: running a cycle");
                    state.run_now.notify_one();
                }
            }
        })?;
    Ok(WatchHandle { _watcher: watcher })
}
