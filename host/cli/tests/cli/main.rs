//! End-to-end tests of the `aiops` binary, one test binary (one link) for all: scans
//! and reports, `collect` against moto, the ARM and Kubernetes stand-ins, and `--fix`
//! on a copy of the local IaC repository.

mod collect_aws;
mod collect_azure;
mod collect_k8s;
mod config_schema;
mod console;
mod cycle;
mod deploy;
mod dev;
mod fix;
mod github;
mod kustomize;
mod notify;
mod plugin_fixtures;
mod plugin_inspect;
mod plugin_langs;
mod plugin_scaffold;
mod remediate;
mod replicas;
mod scan;
mod serve;
mod serve_e2e;
mod serving;
