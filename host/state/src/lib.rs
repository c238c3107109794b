//! aiops's memory: the state store. One schema on SQLite (the embedded default, a file
//! under the data directory, WAL mode) or PostgreSQL (shared deployments), migrated at
//! open; the finding lifecycle (`open` → `resolved` → reopened, `stale` when a cycle could
//! not cover a finding), the cycles, and an append-only audit log written in the same
//! transaction as every change it records.
//!
//! The store speaks through sqlx's `Any` driver, so every query is written once; the
//! few statements that differ between the backends (locks, pragmas) are picked by
//! [`Backend`].
#![forbid(unsafe_code)]

mod audit;
mod batch;
mod config;
pub mod crash;
mod cycle;
mod error;
mod fence;
mod finding_counts;
mod finding_query;
mod findings;
mod lock;
mod model;
mod notify;
mod outbox;
mod reconcile;
mod remediations;
mod retention;
mod schema;
mod store;
mod time;
mod url;

pub use audit::{AuditEntry, AuditQuery, AuditRecord};
pub use config::{DEFAULT_RETENTION_DAYS, StateConfig, default_data_dir};
pub use cycle::{CycleRecord, CycleStatus, SourceStatus};
pub use error::StateError;
pub use finding_counts::FindingCount;
pub use finding_query::{FindingFilter, FindingPage, FindingParams, FindingQuery, MAX_PAGE};
pub use findings::{HistoryEntry, StoredFinding};
pub use lock::CycleLock;
pub use model::{
    Coverage, CycleProblem, CycleSummary, FindingState, ObservedFinding, SeverityCounts,
};
pub use notify::{DeliveryState, MAX_EVENTS_PER_MESSAGE, Notification, RoutedEvent, Silence};
pub use outbox::OutboxEvent;
pub use reconcile::ReconcileOutcome;
pub use remediations::{Remediation, RemediationFinding, RemediationState, RemediationStep};
pub use schema::SCHEMA_VERSION;
pub use store::{Backend, Store};
pub use time::{format_millis, now_millis, parse_since};
pub use url::StoreUrl;
