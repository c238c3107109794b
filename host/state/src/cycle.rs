//! Cycles as the store records them: begun (`running`) before collection, completed in
//! the same transaction as the findings they changed, `abandoned` when the process
//! died before that (found by the next cycle under the lock).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use crate::audit::{AuditRecord, insert_audit};
use crate::error::StateError;
use crate::model::{CycleProblem, CycleSummary};
use crate::store::Store;
use crate::time::now_millis;

/// How one source of a cycle went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SourceStatus {
    /// The source as `sources:` spells it (`k8s`, `manifests:DIR`, …).
    pub source: String,
    /// True for a file source (`manifests:`, `snapshot:`): its problems name files.
    pub file_source: bool,
    /// Resources it yielded.
    pub resources: usize,
    /// What could not be read (empty: all of it was read).
    pub problems: Vec<CycleProblem>,
    /// True when nothing at all could be read from it.
    pub failed: bool,
}

impl SourceStatus {
    /// True when the source's resources can be trusted to be complete: read without
    /// problems, or a file source whose problems are confined to some files.
    pub(crate) fn is_usable(&self) -> bool {
        !self.failed && (self.problems.is_empty() || self.file_source)
    }

    /// Why a finding on a resource read from `file` is not covered, if it is not.
    pub(crate) fn failure_for(&self, file: Option<&Path>) -> Option<String> {
        let first = |problems: &[&CycleProblem]| {
            problems
                .first()
                .map_or(String::new(), |p| p.message.clone())
        };
        if self.failed || (!self.problems.is_empty() && !self.file_source) {
            let all: Vec<&CycleProblem> = self.problems.iter().collect();
            return Some(format!("source {} failed: {}", self.source, first(&all)));
        }
        let file = file?;
        let hits: Vec<&CycleProblem> = self
            .problems
            .iter()
            .filter(|p| {
                p.source
                    .as_deref()
                    .is_some_and(|s| file.starts_with(PathBuf::from(s)))
            })
            .collect();
        (!hits.is_empty()).then(|| {
            format!(
                "{} could not be read by this cycle: {}",
                file.display(),
                first(&hits)
            )
        })
    }
}

/// Where a cycle stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CycleStatus {
    /// Begun and not finished (or still running).
    Running,
    /// Finished; its changes are stored.
    Completed,
    /// The process died before it finished; nothing of it was stored.
    Abandoned,
}

impl CycleStatus {
    /// The name the store keeps.
    pub fn as_str(self) -> &'static str {
        match self {
            CycleStatus::Running => "running",
            CycleStatus::Completed => "completed",
            CycleStatus::Abandoned => "abandoned",
        }
    }

    fn parse(text: &str) -> CycleStatus {
        match text {
            "completed" => CycleStatus::Completed,
            "abandoned" => CycleStatus::Abandoned,
            _ => CycleStatus::Running,
        }
    }
}

/// A cycle as `aiops cycles list` shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CycleRecord {
    /// Its id.
    pub id: i64,
    /// When it began (Unix ms).
    pub started_at: i64,
    /// When it finished or was found abandoned.
    pub finished_at: Option<i64>,
    /// How it stands.
    pub status: CycleStatus,
    /// Who ran it (`aiops cycle (pid 42 on host)`).
    pub owner: String,
    /// Its sources and how each went.
    pub sources: Vec<SourceStatus>,
    /// What it changed.
    pub summary: Option<CycleSummary>,
    /// What failed.
    pub problems: Vec<CycleProblem>,
}

impl Store {
    /// Marks cycles left `running` by a process that died as `abandoned` (call with the
    /// cycle lock held: then no other cycle can be running). Returns their ids.
    pub async fn abandon_unfinished(&self) -> Result<Vec<i64>, StateError> {
        let mut tx = self.begin_write().await?;
        self.check_fence(&mut tx).await?;
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM cycles WHERE status = 'running' ORDER BY id")
                .fetch_all(&mut *tx)
                .await
                .map_err(|e| self.query_error(e))?;
        let now = now_millis();
        for &id in &ids {
            sqlx::query("UPDATE cycles SET status = 'abandoned', finished_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.query_error(e))?;
        }
        let records: Vec<AuditRecord> = ids
            .iter()
            .map(|id| AuditRecord {
                at: now,
                actor: "aiops".into(),
                action: "cycle.abandoned".into(),
                subject: format!("cycle:{id}"),
                reason: Some(
                    "the process running it stopped before it finished; nothing of it was stored"
                        .into(),
                ),
                details: None,
            })
            .collect();
        insert_audit(self, &mut tx, &records).await?;
        tx.commit().await.map_err(|e| self.query_error(e))?;
        Ok(ids)
    }

    /// Records a new cycle as running and returns its id.
    pub async fn begin_cycle(&self, owner: &str) -> Result<i64, StateError> {
        let mut tx = self.begin_write().await?;
        self.check_fence(&mut tx).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO cycles (started_at, status, owner) VALUES ($1, 'running', $2) RETURNING id",
        )
        .bind(now_millis())
        .bind(owner.to_string())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| self.query_error(e))?;
        tx.commit().await.map_err(|e| self.query_error(e))?;
        Ok(id)
    }

    /// The most recent cycles, newest first.
    pub async fn list_cycles(&self, limit: i64) -> Result<Vec<CycleRecord>, StateError> {
        let rows = sqlx::query(
            "SELECT id, started_at, finished_at, status, owner, sources, summary, problems \
             FROM cycles ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.query_error(e))?;
        rows.iter()
            .map(|row| {
                let get = |e: sqlx::Error| self.query_error(e);
                Ok(CycleRecord {
                    id: row.try_get("id").map_err(get)?,
                    started_at: row.try_get("started_at").map_err(get)?,
                    finished_at: row.try_get("finished_at").map_err(get)?,
                    status: CycleStatus::parse(&row.try_get::<String, _>("status").map_err(get)?),
                    owner: row.try_get("owner").map_err(get)?,
                    sources: from_json(row.try_get("sources").map_err(get)?).unwrap_or_default(),
                    summary: from_json(row.try_get("summary").map_err(get)?),
                    problems: from_json(row.try_get("problems").map_err(get)?).unwrap_or_default(),
                })
            })
            .collect()
    }
}

/// A JSON column read back; unreadable text reads as absent.
fn from_json<T: serde::de::DeserializeOwned>(text: Option<String>) -> Option<T> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}
