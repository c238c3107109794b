//! # aiops-runtime
//!
//! The sandboxed plugin runtime. One wasmtime engine per process ([`SandboxEngine`]);
//! components compiled once and cached on disk ([`CompileCache`]); each plugin checked
//! at load time ([`Loader`]) and kept pre-linked; every call gets a fresh store with a
//! CPU and a wall-clock deadline, a memory cap over all its memories, hostcall budgets
//! and a capped log ([`PluginLimits`]); the set of loaded plugins is an
//! immutable snapshot swapped atomically ([`PluginRegistry`]) and kept in step with a
//! plugin directory ([`PluginDir`]). [`PluginHost`] assembles them from the `plugins:`
//! config section ([`PluginsConfig`]), which this crate owns and validates. Each
//! plugin counts its calls by outcome and duration ([`CallStats`]); the registry
//! counts loads ([`PluginRegistry::loads`]).

mod bindings;
mod bounds;
mod cache;
mod cache_dir;
mod cache_key;
mod capped_output;
mod config;
mod convert;
mod engine;
mod error;
mod executor;
mod guest_log;
mod host;
mod hostcall_fuel;
mod inspect;
mod limits;
mod loader;
mod plugin;
mod registry;
mod sandbox;
mod stats;
mod watcher;

pub use cache::{CompileCache, content_hash};
pub use config::{
    DEFAULT_MAX_PLUGIN_BYTES, LimitOverrides, PluginSettings, PluginsConfig, PluginsConfigError,
};
pub use engine::{MAX_PLUGIN_MEMORY, SandboxEngine};
pub use error::{LoadError, PluginError};
pub use host::{BuiltinPlugin, HostOptions, PluginHost, builtin_origin};
pub use inspect::{Import, Inspection, inspect};
pub use limits::PluginLimits;
pub use loader::Loader;
pub use plugin::{CallSettings, LoadedPlugin, PluginKind};
pub use registry::{LoadOutcome, PluginEntry, PluginRegistry, RegistrySnapshot};
pub use sandbox::new_store;
pub use stats::{CALL_DURATION_BUCKETS, CallOutcome, CallStats, CallStatsSnapshot};
pub use watcher::{DEBOUNCE, PluginDir, WatchHandle};
