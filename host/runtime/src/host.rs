//! Assembles the runtime from config: engine, compile cache, loader, registry with the
//! built-in plugins and the plugin directory (optionally watched for hot reload).

use std::path::PathBuf;
use std::sync::Arc;

use crate::cache::CompileCache;
use crate::config::PluginsConfig;
use crate::engine::SandboxEngine;
use crate::loader::Loader;
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
            // Independent loads (hash, cached artifact, link, info()): in parallel.
            let loaded: Vec<_> = std::thread::scope(|scope| {
                let handles: Vec<_> = options
                    .builtins
                    .iter()
                    .map(|(package, bytes)| {
                        let loader = &loader;
                        scope.spawn(move || {
                            let origin = builtin_origin(package);
                            let result = loader.load_bytes(bytes, &origin);
                            (origin, result)
                        })
                    })
                    .collect();
                handles.into_iter().filter_map(|h| h.join().ok()).collect()
            });
            for (origin, result) in loaded {
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
                let dir = Arc::new(PluginDir::new(path, loader.clone(), registry.clone()));
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
