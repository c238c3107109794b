//! # aiops-yaml
//!
//! Reading Kubernetes manifests fast and pointing at their lines: [`parse`] is a reader
//! for the block-style YAML subset manifests are written in (declining everything else
//! to serde_norway, and held to it by differential tests), and [`lines`] finds where
//! each document and list item of a file starts.

#![forbid(unsafe_code)]

mod block;
pub mod lines;

pub use block::parse;
