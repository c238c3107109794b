//! # aiops-engine
//!
//! What the host does with an inventory and its plugins: [`scan`] hands each detector
//! the resources of the kinds it declared and gathers the findings; [`fix`] turns
//! findings into edits of the IaC source through the remediators; [`report`] renders a
//! scan for people and tools; [`cycle`] runs them in order (collect → detect → fix) for
//! the command line and the server; [`recorded`] runs a cycle with memory: each source
//! collected on its own ([`sources`]), what it found and covered ([`observe`]) reconciled
//! with the state store.

#![forbid(unsafe_code)]

pub mod cycle;
pub mod fix;
pub mod observe;
pub mod recorded;
pub mod report;
pub mod scan;
pub mod sources;
