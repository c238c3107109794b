//! The sandboxed plugin runtime.
//!
//! One wasmtime [`wasmtime::Engine`] per process ([`engine`]); components compiled once
//! and cached on disk ([`cache`]); each plugin checked at load time ([`loader`]) and kept
//! as an `InstancePre`; every call gets a fresh store with a CPU and a wall-clock
//! deadline ([`executor`]), a memory cap over all its memories, hostcall budgets
//! ([`hostcall_fuel`]) and a capped log ([`guest_log`]) ([`sandbox`], [`limits`]); the set of loaded plugins is an immutable
//! snapshot swapped atomically ([`registry`]) and kept in step with a plugin directory
//! ([`watcher`]).

pub mod bindings;
pub mod bounds;
pub mod cache;
pub mod cache_dir;
pub mod cache_key;
pub mod capped_output;
pub mod convert;
pub mod engine;
pub mod error;
pub mod executor;
pub mod guest_log;
pub mod host;
pub mod hostcall_fuel;
pub mod limits;
pub mod loader;
pub mod plugin;
pub mod registry;
pub mod sandbox;
pub mod watcher;

pub use engine::SandboxEngine;
pub use error::{LoadError, PluginError};
pub use host::{HostOptions, PluginHost};
pub use limits::PluginLimits;
pub use loader::Loader;
pub use plugin::{LoadedPlugin, PluginKind};
pub use registry::{PluginEntry, PluginRegistry, RegistrySnapshot};
