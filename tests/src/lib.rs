//! Helpers for aiops's integration tests: the fixture plugins built by `build.rs`,
//! plugin directories in temp dirs, and waiting for hot reloads. The stand-ins for
//! outside services come from `aiops-standins` and are re-exported here.

use std::path::Path;
use std::time::{Duration, Instant};

pub use aiops_standins::{
    arm, k8s_api, moto, moto_calls, moto_proxy, moto_replay, moto_seed, repo_root,
};

include!(concat!(env!("OUT_DIR"), "/fixture_plugins.rs"));

/// The bytes of fixture plugin `package` (e.g. `hostile-loop`).
pub fn fixture(package: &str) -> &'static [u8] {
    FIXTURE_PLUGINS
        .iter()
        .find(|(name, _)| *name == package)
        .map(|(_, bytes)| *bytes)
        .unwrap_or_else(|| panic!("no fixture plugin `{package}`"))
}

/// The bytes of built-in plugin `package` (e.g. `k8s-resources`).
pub fn builtin(package: &str) -> &'static [u8] {
    aiops::builtin::BUILTIN_PLUGINS
        .iter()
        .find(|(name, _)| *name == package)
        .map(|(_, bytes)| *bytes)
        .unwrap_or_else(|| panic!("no built-in plugin `{package}`"))
}

/// Writes `bytes` to `dir/name` atomically (temp file + rename), as a deploy would.
pub fn install_plugin(dir: &Path, name: &str, bytes: &[u8]) {
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, dir.join(name)).unwrap();
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes; returns whether it held.
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    condition()
}

/// A WebAssembly component (text format) that imports `wasi:http`, which aiops never grants.
pub const COMPONENT_IMPORTING_WASI_HTTP: &str = r#"
(component
  (import "wasi:http/outgoing-handler@0.2.0" (instance
    (export "handle" (func))
  ))
)
"#;

/// A valid component exporting an unrelated interface: the wrong world.
pub const COMPONENT_OF_WRONG_WORLD: &str = r#"
(component
  (core module $m (func (export "run") (result i32) i32.const 42))
  (core instance $i (instantiate $m))
  (func $run (result s32) (canon lift (core func $i "run")))
  (instance $api (export "run" (func $run)))
  (export "acme:other/api@1.0.0" (instance $api))
)
"#;

/// A component exporting the detector interface by name, with functions of the wrong
/// types: the names match the contract, the signatures do not.
pub const COMPONENT_WITH_MISTYPED_DETECT: &str = r#"
(component
  (core module $m (func (export "run") (result i32) i32.const 42))
  (core instance $i (instantiate $m))
  (func $run (result s32) (canon lift (core func $i "run")))
  (instance $api (export "info" (func $run)) (export "detect" (func $run)))
  (export "aiops:plugin/detect@0.1.0" (instance $api))
)
"#;
