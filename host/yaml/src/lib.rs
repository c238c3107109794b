//! # aiops-yaml
//!
//! Reading Kubernetes manifests fast and pointing at their lines: [`parse`] is a reader
//! for the block-style YAML subset manifests are written in (declining everything else
//! to serde_norway, and held to it by differential tests), and [`lines`] finds where
//! each document and list item of a file starts; [`nesting`] refuses documents nested past
//! the parsers' limit in linear time, before any parser sees them.

#![forbid(unsafe_code)]

mod block;
pub mod lines;
pub mod nesting;

pub use block::parse;
