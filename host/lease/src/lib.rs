//! Leader election for several `aiops serve` replicas on one Kubernetes Lease
//! (`coordination.k8s.io/v1`): the replica holding it runs cycles, opens pull requests
//! and sends notifications; the others serve the API from the shared store.
//!
//! [`LeaseClient`] reads and writes the Lease with optimistic concurrency (a `replace`
//! carrying the `resourceVersion` it read: a 409 Conflict means another replica won);
//! [`Elector`] acquires it when it is free, expired or ours, renews it every retry
//! period and gives leadership up as soon as a renewal has not succeeded within the
//! renew deadline, which is shorter than the lease duration, so a replica stops leader
//! work before another can take over. The Lease's `spec.leaseTransitions`, raised on
//! every takeover and read back from the same `replace`, is the fencing token leader-only
//! writes carry into the state store.
#![forbid(unsafe_code)]

mod client;
mod config;
mod elector;
mod error;

pub use client::{Attempt, LeaseClient};
pub use config::{LeaderElectionConfig, Timing};
pub use elector::{Elector, Leadership};
pub use error::LeaseError;
