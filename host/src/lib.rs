//! # aiops host
//!
//! Collects inventory, runs sandboxed WebAssembly detector plugins on it and reports
//! findings. The binary `aiops` is a thin CLI over this library.

pub mod builtin;
pub mod cli;
pub mod collect;
pub mod config;
pub mod fix;
pub mod inventory;
pub mod report;
pub mod runtime;
pub mod scan;
