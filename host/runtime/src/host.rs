//! Assembles the runtime from config: engine, compile cache, loader, registry with the
//! built-in plugins and the plugin directory (optionally watched for hot reload).

use std::path::PathBuf;
use std::sync::Arc;

use crate::cache::CompileCache;
use crate::config::PluginsConfig;
use crate::engine::SandboxEngine;
use crate::error::LoadError;
use crate::loader::Loader;
use crate::plugin::LoadedPlugin;
use crate::registry::PluginRegistry;
use crate::watcher::{PluginDir, WatchHandle};

/// A built-in plugin: its package name and component bytes (embedded by the binary).
pub type BuiltinPlugin = (&'static str, &'static [u8]);

/// The origin label of a built-in plugin in the registry.
pub fn builtin_origin(package: &str) -> String {
    format!("builtin:{package}")
}

/// Everything needed to run plugins.
pub struct PluginHost {
    /// The loader (engine, linker, cache).
    pub loader: Loader,
    /// The live set of plugins.
    pub registry: Arc<PluginRegistry>,
    /// The plugin directory, if one is configured.
    pub dir: Option<Arc<PluginDir>>,
    _watch: Option<WatchHandle>,
}

/// How to start the plugin host.
#[derive(Debug, Clone, Default)]
pub struct HostOptions {
    /// Plugin directory (overrides the config's).
    pub plugin_dir: Option<PathBuf>,
    /// Load the built-in plugins (when the config allows too).
    pub builtin: bool,
    /// Watch the plugin directory for changes.
    pub watch: bool,
    /// The built-in plugins to load when `builtin` is set (and the config allows).
    pub builtins: &'static [BuiltinPlugin],
    /// Called once, before loading, when at least one built-in is not in the compile
    /// cache yet (a first run): the binary tells the user on a terminal.
    pub on_builtin_compile: Option<fn()>,
}

impl PluginHost {
    /// Starts the host on another thread while `work` (e.g. reading the inventory) runs
    /// on this one: the two are independent, so a scan does not wait for both in turn.
    pub fn start_while<T: Send>(
        config: &PluginsConfig,
        options: &HostOptions,
        work: impl FnOnce() -> T + Send,
    ) -> (anyhow::Result<PluginHost>, T) {
        std::thread::scope(|scope| {
            let host = scope.spawn(|| PluginHost::start(config, options));
            let result = work();
            let host = host
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("plugin host start panicked")));
            (host, result)
        })
    }

    /// Starts the runtime: loads built-ins and the plugin directory. Plugins that fail
    /// to load are recorded in the registry, never fatal.
    pub fn start(config: &PluginsConfig, options: &HostOptions) -> anyhow::Result<PluginHost> {
        let engine = SandboxEngine::new()?;
        let cache = match &config.cache_dir {
            Some(dir) => CompileCache::in_dir(dir),
            None => CompileCache::default_location(),
        };
        let loader = Loader::new(engine, cache)?.with_limits(config.limits);
        let registry = Arc::new(PluginRegistry::new());
        if options.builtin && config.builtin {
            if let Some(notice) = options.on_builtin_compile
                && options
                    .builtins
                    .iter()
                    .any(|(_, b)| loader.would_compile(b))
            {
                notice();
            }
            for (origin, result) in load_in_parallel(&loader, options.builtins) {
                match result {
                    Ok(plugin) => registry.install(&origin, plugin),
                    Err(err) => registry.record_error(&origin, err.to_string()),
                }
            }
        }
        let dir_path = options.plugin_dir.clone().or_else(|| config.dir.clone());
        let mut watch = None;
        let dir = match dir_path {
            Some(path) => {
                if !path.is_dir() {
                    anyhow::bail!(
                        "plugin directory {} does not exist or is not a directory",
                        path.display()
                    );
                }
                let dir = Arc::new(
                    PluginDir::new(path, loader.clone(), registry.clone())
                        .with_max_bytes(config.max_plugin_bytes),
                );
                if options.watch {
                    watch = Some(dir.clone().watch()?);
                } else {
                    dir.sync()?;
                }
                Some(dir)
            }
            None => None,
        };
        Ok(PluginHost {
            loader,
            registry,
            dir,
            _watch: watch,
        })
    }
}

/// Loads `builtins`, each on a thread of its own (hash, compile or cached artifact,
/// link, `info()` are independent per plugin; wasmtime spreads each compile's functions
/// over its own thread pool too), largest first so the longest compile starts first.
/// Returns `(origin, result)` in the order given.
fn load_in_parallel(
    loader: &Loader,
    builtins: &[BuiltinPlugin],
) -> Vec<(String, Result<LoadedPlugin, LoadError>)> {
    let mut order: Vec<usize> = (0..builtins.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(builtins[i].1.len()));
    let mut loaded: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = order
            .into_iter()
            .map(|i| {
                let (package, bytes) = builtins[i];
                scope.spawn(move || {
                    let origin = builtin_origin(package);
                    let result = loader.load_bytes(bytes, &origin);
                    (i, origin, result)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    loaded.sort_by_key(|(i, _, _)| *i);
    loaded.into_iter().map(|(_, o, r)| (o, r)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Components that compile (and fail the world check afterwards, which is all
    /// these tests need: the artifact is cached before that check), each different.
    fn components() -> &'static [BuiltinPlugin] {
        let list: Vec<BuiltinPlugin> = (0..6)
            .map(|i| {
                let funcs: String = (0..40 + i * 10)
                    .map(|f| {
                        format!(
                            "(func (export \"f{f}\") (param i32) (result i32) \
                             local.get 0 i32.const {i} i32.add i32.const {f} i32.mul)"
                        )
                    })
                    .collect();
                let wat = format!("(component (core module {funcs}))");
                let bytes: &'static [u8] = Vec::leak(wat::parse_str(&wat).unwrap());
                let name: &'static str = String::leak(format!("fixture-{i}"));
                (name, bytes)
            })
            .collect();
        Vec::leak(list)
    }

    fn config(cache: &std::path::Path) -> PluginsConfig {
        PluginsConfig {
            cache_dir: Some(cache.to_path_buf()),
            ..Default::default()
        }
    }

    /// `(file name, bytes)` of the compiled artifacts in `dir`, sorted.
    fn artifacts(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&p).unwrap())
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn parallel_compile_caches_the_same_artifacts_as_one_at_a_time() {
        let builtins = components();
        let parallel = tempfile::tempdir().unwrap();
        let options = HostOptions {
            builtin: true,
            builtins,
            ..Default::default()
        };
        let host = PluginHost::start(&config(parallel.path()), &options).unwrap();
        let errors = host.registry.snapshot();
        assert_eq!(
            errors.errors().count(),
            builtins.len(),
            "each built-in is recorded, in error here"
        );
        let serial = tempfile::tempdir().unwrap();
        let loader = Loader::new(
            SandboxEngine::new().unwrap(),
            CompileCache::in_dir(serial.path()),
        )
        .unwrap();
        for (package, bytes) in builtins {
            assert!(loader.load_bytes(bytes, package).is_err(), "not a plugin");
        }
        let (parallel, serial) = (artifacts(parallel.path()), artifacts(serial.path()));
        assert_eq!(parallel.len(), builtins.len());
        assert!(parallel == serial, "same names and bytes");
    }

    static NOTICES: AtomicUsize = AtomicUsize::new(0);

    fn count_notice() {
        NOTICES.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn compile_notice_comes_only_when_a_builtin_is_not_cached() {
        let builtins = components();
        let cache = tempfile::tempdir().unwrap();
        let options = HostOptions {
            builtin: true,
            builtins,
            on_builtin_compile: Some(count_notice),
            ..Default::default()
        };
        PluginHost::start(&config(cache.path()), &options).unwrap();
        assert_eq!(NOTICES.load(Ordering::SeqCst), 1, "first run compiles");
        PluginHost::start(&config(cache.path()), &options).unwrap();
        assert_eq!(NOTICES.load(Ordering::SeqCst), 1, "all cached: no notice");
        let one = artifacts(cache.path()).remove(0).0;
        std::fs::remove_file(cache.path().join(one)).unwrap();
        PluginHost::start(&config(cache.path()), &options).unwrap();
        assert_eq!(NOTICES.load(Ordering::SeqCst), 2, "one missing: compiles");
        let no_builtins = HostOptions {
            builtin: false,
            ..options
        };
        let fresh = tempfile::tempdir().unwrap();
        PluginHost::start(&config(fresh.path()), &no_builtins).unwrap();
        assert_eq!(NOTICES.load(Ordering::SeqCst), 2, "no built-ins loaded");
    }
}
