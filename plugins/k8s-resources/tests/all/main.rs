//! The tests of the `k8s-resources` plugin, one test binary (one link) for all.

mod common;
mod config;
mod fixtures;
mod kinds;
mod rules;
mod throughput;
