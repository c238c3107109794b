//! # aiops-core
//!
//! The pure types and traits every other crate of the host speaks: the [`Inventory`] a
//! cycle works on, the findings a scan reports ([`ReportedFinding`], [`ScanReport`]),
//! their stable [`fingerprint`], what became of a fix ([`FixStatus`]), and the contract
//! of a live inventory source ([`Collector`]). Nothing here does I/O.

#![forbid(unsafe_code)]

mod collector;
mod finding;
mod fingerprint;
mod fix_status;
mod inventory;

pub use collector::{CollectError, CollectFuture, Collector, CollectorProgress};
pub use finding::{PluginFailure, ReportedFinding, ResourceRef, ScanReport};
pub use fingerprint::fingerprint;
pub use fix_status::FixStatus;
pub use inventory::{Inventory, InventoryProblem, PatchedFields, SourceLocation};
