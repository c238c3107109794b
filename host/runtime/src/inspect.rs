//! What `aiops plugin inspect` tells about a component: its size, how long it takes to
//! compile, what it imports and exports (each import marked granted or not), and
//! whether this host would load it — the same checks the loader runs — with its
//! `info()` when it would.

use std::time::{Duration, Instant};

use serde::Serialize;
use wasmtime::component::Component;

use crate::loader::{Loader, is_granted};
use crate::plugin::LoadedPlugin;

/// One import of a component.
#[derive(Debug, Clone, Serialize)]
pub struct Import {
    /// The interface, e.g. `aiops:plugin/log@0.1.0`.
    pub name: String,
    /// Whether aiops grants it to plugins.
    pub granted: bool,
}

/// The inspection of one component.
#[derive(Debug)]
pub struct Inspection {
    /// Size of the file in bytes.
    pub size: usize,
    /// Time to compile it with the host's engine settings (not from the cache).
    pub compile_time: Duration,
    /// Its imports, in order.
    pub imports: Vec<Import>,
    /// Its exports.
    pub exports: Vec<String>,
    /// The plugin as the host loads it, or why it would not.
    pub load: Result<LoadedPlugin, String>,
}

/// Inspects `bytes` with `loader` (which should not cache: the compile is timed).
pub fn inspect(loader: &Loader, bytes: &[u8], origin: &str) -> Inspection {
    let engine = loader.engine().engine();
    let started = Instant::now();
    let component = Component::new(engine, bytes);
    let compile_time = started.elapsed();
    let (imports, exports) = match &component {
        Ok(component) => {
            let ty = component.component_type();
            let imports = ty
                .imports(engine)
                .map(|(name, _)| Import {
                    granted: is_granted(name),
                    name: name.to_string(),
                })
                .collect();
            let exports = ty
                .exports(engine)
                .map(|(name, _)| name.to_string())
                .collect();
            (imports, exports)
        }
        Err(_) => (Vec::new(), Vec::new()),
    };
    Inspection {
        size: bytes.len(),
        compile_time,
        imports,
        exports,
        load: loader.load_bytes(bytes, origin).map_err(|e| e.to_string()),
    }
}
