//! The tests of the `aws-kinesis-shards` plugin, one test binary (one link) for all.

mod common;
mod config;
mod fixtures;
mod policy;
mod robustness;
mod shards;
