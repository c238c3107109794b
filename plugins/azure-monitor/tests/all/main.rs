//! The tests of the `azure-monitor` plugin, one test binary (one link) for all.

mod alerts;
mod common;
mod config;
mod coverage;
mod cpu;
mod fixtures;
mod robustness;
mod schema;
