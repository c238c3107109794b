//! The tests of the `terraform` plugin, one test binary (one link) for all.

mod alerts;
mod cannot_fix;
mod common;
mod fixtures;
mod kinesis;
mod rds;
mod schema;
mod sizes;
mod wasm;
