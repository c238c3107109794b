//! The built-in plugins: the crates under `plugins/`, compiled to components by the
//! build script and embedded in the binary.

include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));
