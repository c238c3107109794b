//! The sandboxed plugin runtime.
//!
//! One wasmtime [`wasmtime::Engine`] per process ([`engine`]); components compiled once
//! and cached on disk ([`cache`]); each plugin checked at load time ([`loader`]) and kept
//! as an `InstancePre`; every call gets a fresh store with an epoch deadline and a
//! memory cap ([`sandbox`], [`limits`]); the set of loaded plugins is an immutable
//! snapshot swapped atomically ([`registry`]) and kept in step with a plugin directory
//! ([`watcher`]).

pub mod bindings;
pub mod cache;
pub mod capped_output;
pub mod convert;
pub mod engine;
pub mod error;
pub mod host;
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
