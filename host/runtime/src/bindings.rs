//! Host-side bindings of the WIT contract (`wit/aiops.wit`), one module per world.
//! The remediator world reuses the detector world's shared interfaces.

#![allow(missing_docs, clippy::too_many_arguments)]

/// Bindings of the `detector` world and of the shared `types`, `log` and `config` interfaces.
pub(crate) mod detector {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "aiops:plugin/detector@0.1.0",
    });
}

/// Bindings of the `remediator` world.
pub(crate) mod remediator {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "aiops:plugin/remediator@0.1.0",
        with: {
            "aiops:plugin/types": super::detector::aiops::plugin::types,
            "aiops:plugin/log": super::detector::aiops::plugin::log,
            "aiops:plugin/config": super::detector::aiops::plugin::config,
        },
    });
}

pub(crate) use detector::aiops::plugin::{config as wit_config, log as wit_log, types as wit};
