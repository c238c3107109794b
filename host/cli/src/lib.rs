//! # aiops
//!
//! The `aiops` binary's library: the command line ([`cli`]), the root config composed of
//! each crate's section ([`config`]), and the built-in plugins embedded at build time
//! ([`builtin`]). This is the only crate that wires implementations to traits.

#![forbid(unsafe_code)]

pub mod builtin;
pub mod cli;
pub mod config;
pub mod config_cmd;
pub mod cycle_cmd;
pub mod notify_cmd;
pub mod plugin_cmd;
pub mod remediations_cmd;
pub mod serve;
pub mod store_cmd;
