//! The integration tests, one test binary (one link) for all: collectors against moto
//! and the stand-ins, hostile plugins, the sandbox, hot reload, and scan batching.

mod aws_calls;
mod call_stats;
mod collect_aws;
mod collect_azure;
mod collect_k8s;
mod configmap_plugins;
mod hostile_plugins;
mod hot_reload;
mod inspect;
mod sandbox;
mod sandbox_hardening;
mod scan_batches;
