//! The tests of the `k8s-manifests` plugin, one test binary (one link) for all.

mod config;
mod remediate;
