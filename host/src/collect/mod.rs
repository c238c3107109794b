//! Collectors: where inventory comes from.
//!
//! Today the file sources: Kubernetes manifests on disk ([`manifests`]) and inventory
//! snapshot files ([`snapshot`]), the embedded default and the fixture format. Live
//! collectors (Kubernetes, AWS, Azure) join here behind one trait, each filling the same
//! [`Inventory`](crate::inventory::Inventory) and writing the same snapshot format.
//!
//! What cannot be read at all is an error; what is wrong inside a source (a broken
//! document, an object that is not one) is an
//! [`InventoryProblem`](crate::inventory::InventoryProblem) with its file and line, and
//! the rest of the inventory is still used.

mod lines;
pub mod manifests;
pub mod snapshot;
pub mod source;

pub use snapshot::SnapshotError;
