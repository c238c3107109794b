//! # aiops-engine
//!
//! What the host does with an inventory and its plugins: [`scan`] hands each detector
//! the resources of the kinds it declared and gathers the findings; [`fix`] turns
//! findings into edits of the IaC source through the remediators; [`report`] renders a
//! scan for people and tools; [`cycle`] runs them in order (collect → detect → fix) for
//! the command line and, later, the server.

#![forbid(unsafe_code)]

pub mod cycle;
pub mod fix;
pub mod report;
pub mod scan;
