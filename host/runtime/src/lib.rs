//! # aiops-runtime
//!
//! The sandboxed plugin runtime. One wasmtime engine per process ([`SandboxEngine`]);
//! components compiled once and cached on disk ([`CompileCache`]); each plugin checked
//! at load time ([`Loader`]) and kept pre-linked; every call gets a fresh store with an
//! epoch deadline and a memory cap ([`PluginLimits`]); the set of loaded plugins is an
//! immutable snapshot swapped atomically ([`PluginRegistry`]) and kept in step with a
//! plugin directory ([`PluginDir`]). [`PluginHost`] assembles them from the `plugins:`
//! config section ([`PluginsConfig`]), which this crate owns and validates.

mod bindings;
mod cache;
mod capped_output;
mod config;
mod convert;
mod engine;
mod error;
mod host;
mod limits;
mod loader;
mod plugin;
mod registry;
mod sandbox;
mod watcher;

pub use cache::{CompileCache, content_hash};
pub use config::{LimitOverrides, PluginSettings, PluginsConfig, PluginsConfigError};
pub use engine::{MAX_PLUGIN_MEMORY, SandboxEngine};
pub use error::{LoadError, PluginError};
pub use host::{BuiltinPlugin, HostOptions, PluginHost, builtin_origin};
pub use limits::PluginLimits;
pub use loader::Loader;
pub use plugin::{CallSettings, LoadedPlugin, PluginKind};
pub use registry::{PluginEntry, PluginRegistry, RegistrySnapshot};
pub use sandbox::new_store;
pub use watcher::{DEBOUNCE, PluginDir, WatchHandle};
