//! The tests of the `k8s-workloads` plugin, one test binary (one link) for all.

mod availability;
mod common;
mod containers;
mod fixtures;
mod kinds;
mod namespaces;
mod robustness;
mod schema;
mod usage;
