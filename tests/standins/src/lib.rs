//! # aiops-standins
//!
//! What the tests talk to where the real service cannot run here, each speaking the
//! real wire format: a Kubernetes API server ([`k8s_api`]), Azure Resource Manager with
//! Entra ID ([`arm`]), GitHub REST and GraphQL ([`github`]); git over smart HTTP with token auth ([`git_http`]); a webhook receiver ([`http_sink`]); a real SMTP server (`aiosmtpd`, [`smtp`]); and real AWS through `moto_server` ([`moto`]), with seeding
//! ([`moto_seed`]), a fault proxy in front of it ([`moto_proxy`]), a proxy counting the
//! calls by operation ([`moto_calls`]) and a recorder that replays answers
//! ([`moto_replay`]); and a real PostgreSQL server from Debian's package ([`postgres`]).
//! Nothing here depends on the host.

pub mod arm;
pub mod git_http;
pub mod github;
pub mod http_sink;
pub mod k8s_api;
mod k8s_leases;
pub mod moto;
pub mod moto_calls;
mod moto_gaps;
pub mod moto_proxy;
pub mod moto_replay;
pub mod moto_seed;
pub mod postgres;
pub mod schemathesis;
mod serve;
pub mod smtp;

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}
