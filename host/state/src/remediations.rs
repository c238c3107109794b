//! Remediations: the GitOps proposals for groups of findings, their state and their
//! approvals. Every change of a remediation is written with its audit entry (subject
//! `remediation:ID`) and its outbox events in one transaction, and a change is made
//! only from the state the caller read (compare and set), so a cycle and a human
//! approving at the same moment cannot both win.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use sqlx::{Any, Row as _, Transaction};

use crate::audit::{AuditRecord, insert_audit};
use crate::error::StateError;
use crate::outbox::OutboxEvent;
use crate::store::Store;

/// Where a remediation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RemediationState {
    /// Proposed; waits for a human.
    AwaitingApproval,
    /// Approved (by a human or by the policy); not merged yet.
    Approved,
    /// Merged into the base branch; waits for a cycle to see its findings resolved.
    Merged,
    /// Merged, and a later cycle saw every finding resolved.
    Verified,
    /// Merged, but its findings are still reported cycles later (not deployed, or wrong).
    NotEffective,
    /// Closed without merging: remembered, not proposed again until the change differs.
    Rejected,
    /// Replaced by a newer proposal for the same group.
    Superseded,
    /// The fix is already on the base branch: nothing to propose.
    FixedInSource,
    /// The policy allows no change (critical findings): people are told only.
    NotifyOnly,
    /// The change touches a path aiops must never edit.
    NeverEdit,
    /// Proposing or merging failed; the note says why.
    Failed,
}

impl RemediationState {
    /// Every state, in the order of a remediation's life.
    pub const ALL: [RemediationState; 11] = [
        RemediationState::AwaitingApproval,
        RemediationState::Approved,
        RemediationState::Merged,
        RemediationState::Verified,
        RemediationState::NotEffective,
        RemediationState::Rejected,
        RemediationState::Superseded,
        RemediationState::FixedInSource,
        RemediationState::NotifyOnly,
        RemediationState::NeverEdit,
        RemediationState::Failed,
    ];

    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            RemediationState::AwaitingApproval => "awaiting_approval",
            RemediationState::Approved => "approved",
            RemediationState::Merged => "merged",
            RemediationState::Verified => "verified",
            RemediationState::NotEffective => "not_effective",
            RemediationState::Rejected => "rejected",
            RemediationState::Superseded => "superseded",
            RemediationState::FixedInSource => "fixed_in_source",
            RemediationState::NotifyOnly => "notify_only",
            RemediationState::NeverEdit => "never_edit",
            RemediationState::Failed => "failed",
        }
    }

    /// True while the proposal is open (at most one per group).
    pub fn is_live(self) -> bool {
        matches!(
            self,
            RemediationState::AwaitingApproval | RemediationState::Approved
        )
    }
}

impl fmt::Display for RemediationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RemediationState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RemediationState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = RemediationState::ALL.iter().map(|s| s.as_str()).collect();
                format!(
                    "unknown remediation state {s:?} (one of {})",
                    names.join(", ")
                )
            })
    }
}

/// A finding a remediation fixes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RemediationFinding {
    /// Its fingerprint.
    pub fingerprint: String,
    /// Its rule.
    pub rule: String,
    /// Its severity when proposed.
    pub severity: String,
}

/// A remediation as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Remediation {
    /// Its id (0 before it is written).
    pub id: i64,
    /// The group's stable fingerprint.
    pub group_fingerprint: String,
    /// What the group's findings share (a resource id, a fingerprint, a file).
    pub group_key: String,
    /// The branch the change is proposed on.
    pub branch: String,
    /// `local` or `github`.
    pub provider: String,
    /// Its state.
    pub state: RemediationState,
    /// The policy's action (`auto_merge`, `approval`, `notify_only`, `never_edit`).
    pub action: String,
    /// The policy's reasons for it.
    pub policy: Vec<String>,
    /// Hash of the proposed files' contents.
    pub change_hash: String,
    /// The unified diff of the change.
    pub diff: String,
    /// The paths it changes.
    pub files: Vec<String>,
    /// Commit / pull request title.
    pub title: String,
    /// Commit message body / pull request body.
    pub body: String,
    /// The base commit the change was made on.
    pub base_commit: Option<String>,
    /// The branch commit aiops last pushed (the lease).
    pub head_commit: Option<String>,
    /// The pull request's number (GitHub).
    pub pr_number: Option<i64>,
    /// The pull request's address (GitHub).
    pub pr_url: Option<String>,
    /// Created (Unix ms).
    pub created_at: i64,
    /// Last changed (Unix ms).
    pub updated_at: i64,
    /// The cycle that proposed it.
    pub cycle: Option<i64>,
    /// Merged (Unix ms).
    pub merged_at: Option<i64>,
    /// The newest cycle when it was merged: cycles after it count toward "not effective".
    pub merged_cycle: Option<i64>,
    /// The commit on base that holds the change.
    pub merge_commit: Option<String>,
    /// Who approved or rejected it.
    pub decided_by: Option<String>,
    /// Why (a rejection's reason, an approval's comment).
    pub decision_reason: Option<String>,
    /// The latest thing worth saying about it.
    pub note: Option<String>,
    /// The findings it fixes.
    pub findings: Vec<RemediationFinding>,
}

/// What a change of a remediation records: the audit entry and the events.
#[derive(Debug, Clone)]
pub struct RemediationStep {
    /// Who made it: `cycle:42`, `user:alice`, `github:bob`.
    pub actor: String,
    /// The audit action: `remediation.proposed`, `remediation.approved`, …
    pub action: String,
    /// Why, in words.
    pub reason: Option<String>,
    /// Outbox events to write with it (their `subject` may be left empty: it is set
    /// to `remediation:ID`).
    pub events: Vec<OutboxEvent>,
}

const COLUMNS: &str = "group_fingerprint, group_key, branch, provider, state, action, policy, \
    change_hash, diff, files, title, body, base_commit, head_commit, pr_number, pr_url, \
    created_at, updated_at, cycle_id, merged_at, merged_cycle, merge_commit, decided_by, \
    decision_reason, note";

type Query<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>;

/// Binds `r`'s columns in the order of [`COLUMNS`].
fn bind_columns<'q>(query: Query<'q>, r: &Remediation) -> Query<'q> {
    query
        .bind(r.group_fingerprint.clone())
        .bind(r.group_key.clone())
        .bind(r.branch.clone())
        .bind(r.provider.clone())
        .bind(r.state.as_str())
        .bind(r.action.clone())
        .bind(serde_json::to_string(&r.policy).unwrap_or_default())
        .bind(r.change_hash.clone())
        .bind(r.diff.clone())
        .bind(serde_json::to_string(&r.files).unwrap_or_default())
        .bind(r.title.clone())
        .bind(r.body.clone())
        .bind(r.base_commit.clone())
        .bind(r.head_commit.clone())
        .bind(r.pr_number)
        .bind(r.pr_url.clone())
        .bind(r.created_at)
        .bind(r.updated_at)
        .bind(r.cycle)
        .bind(r.merged_at)
        .bind(r.merged_cycle)
        .bind(r.merge_commit.clone())
        .bind(r.decided_by.clone())
        .bind(r.decision_reason.clone())
        .bind(r.note.clone())
}

fn placeholders(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

const COLUMN_COUNT: usize = 25;

impl Store {
    /// Writes a new remediation with its findings, audit entry and events; its id.
    /// A second live remediation for the same group is refused (the store keeps one).
    pub async fn insert_remediation(
        &self,
        remediation: &Remediation,
        step: &RemediationStep,
    ) -> Result<i64, StateError> {
        let mut tx = self.begin_write().await?;
        self.check_fence(&mut tx).await?;
        let sql = format!(
            "INSERT INTO remediations ({COLUMNS}) VALUES ({}) RETURNING id",
            placeholders(1, COLUMN_COUNT)
        );
        let row = bind_columns(sqlx::query(sqlx::AssertSqlSafe(sql)), remediation)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| self.query_error(e))?;
        let id: i64 = row.try_get("id").map_err(|e| self.query_error(e))?;
        self.write_findings(&mut tx, id, &remediation.findings)
            .await?;
        self.record_step(&mut tx, id, remediation, step).await?;
        tx.commit().await.map_err(|e| self.query_error(e))?;
        Ok(id)
    }

    /// Writes `remediation`'s new state and fields, with `step`, only if it is still in
    /// state `expected` (compare and set); false when someone changed it first.
    pub async fn update_remediation(
        &self,
        remediation: &Remediation,
        expected: RemediationState,
        step: &RemediationStep,
    ) -> Result<bool, StateError> {
        let mut tx = self.begin_write().await?;
        self.check_fence(&mut tx).await?;
        let sets = COLUMNS
            .split(',')
            .map(str::trim)
            .enumerate()
            .map(|(i, c)| format!("{c} = ${}", i + 1))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE remediations SET {sets} WHERE id = ${} AND state = ${}",
            COLUMN_COUNT + 1,
            COLUMN_COUNT + 2
        );
        let done = bind_columns(sqlx::query(sqlx::AssertSqlSafe(sql)), remediation)
            .bind(remediation.id)
            .bind(expected.as_str())
            .execute(&mut *tx)
            .await
            .map_err(|e| self.query_error(e))?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        // The group's findings may have changed with the proposal.
        sqlx::query("DELETE FROM remediation_findings WHERE remediation_id = $1")
            .bind(remediation.id)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.query_error(e))?;
        self.write_findings(&mut tx, remediation.id, &remediation.findings)
            .await?;
        self.record_step(&mut tx, remediation.id, remediation, step)
            .await?;
        tx.commit().await.map_err(|e| self.query_error(e))?;
        Ok(true)
    }

    async fn write_findings(
        &self,
        tx: &mut Transaction<'static, Any>,
        id: i64,
        findings: &[RemediationFinding],
    ) -> Result<(), StateError> {
        for f in findings {
            sqlx::query(
                "INSERT INTO remediation_findings (remediation_id, fingerprint, rule, severity) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(f.fingerprint.clone())
            .bind(f.rule.clone())
            .bind(f.severity.clone())
            .execute(&mut **tx)
            .await
            .map_err(|e| self.query_error(e))?;
        }
        Ok(())
    }

    async fn record_step(
        &self,
        tx: &mut Transaction<'static, Any>,
        id: i64,
        remediation: &Remediation,
        step: &RemediationStep,
    ) -> Result<(), StateError> {
        let subject = format!("remediation:{id}");
        let record = AuditRecord {
            at: remediation.updated_at,
            actor: step.actor.clone(),
            action: step.action.clone(),
            subject: subject.clone(),
            reason: step.reason.clone(),
            details: Some(serde_json::json!({
                "state": remediation.state.as_str(),
                "group": remediation.group_fingerprint,
                "branch": remediation.branch,
                "change": remediation.change_hash,
                "head": remediation.head_commit,
                "pr": remediation.pr_number,
                "findings": remediation.findings.iter().map(|f| &f.fingerprint).collect::<Vec<_>>(),
            })),
        };
        insert_audit(self, tx, &[record]).await?;
        let events: Vec<OutboxEvent> = step
            .events
            .iter()
            .map(|e| OutboxEvent {
                subject: if e.subject.is_empty() {
                    subject.clone()
                } else {
                    e.subject.clone()
                },
                dedup_key: e.dedup_key.replace("{id}", &id.to_string()),
                ..e.clone()
            })
            .collect();
        self.enqueue_events(tx, &events).await
    }

    /// The remediation with `id`.
    pub async fn remediation(&self, id: i64) -> Result<Remediation, StateError> {
        self.select_remediations("WHERE id = $1", |q| q.bind(id))
            .await?
            .pop()
            .ok_or_else(|| StateError::NotFound(format!("no remediation {id}")))
    }

    /// The live (awaiting approval or approved) remediation of a group, if any.
    pub async fn live_remediation(
        &self,
        group_fingerprint: &str,
    ) -> Result<Option<Remediation>, StateError> {
        let group = group_fingerprint.to_string();
        Ok(self
            .select_remediations(
                "WHERE group_fingerprint = $1 AND state IN ('awaiting_approval', 'approved')",
                |q| q.bind(group),
            )
            .await?
            .pop())
    }

    /// Every remediation of a group, oldest first.
    pub async fn group_remediations(
        &self,
        group_fingerprint: &str,
    ) -> Result<Vec<Remediation>, StateError> {
        let group = group_fingerprint.to_string();
        self.select_remediations("WHERE group_fingerprint = $1", |q| q.bind(group))
            .await
    }

    /// Remediations in any of `states` (all when empty), newest first.
    pub async fn list_remediations(
        &self,
        states: &[RemediationState],
    ) -> Result<Vec<Remediation>, StateError> {
        let mut all = self.select_remediations("", |q| q).await?;
        all.retain(|r| states.is_empty() || states.contains(&r.state));
        all.reverse();
        Ok(all)
    }

    /// How many remediations are in each state (states with none left out), in one
    /// `GROUP BY` (what `/metrics` reads at each scrape).
    pub async fn remediation_counts(&self) -> Result<Vec<(RemediationState, i64)>, StateError> {
        let rows = sqlx::query("SELECT state, COUNT(*) FROM remediations GROUP BY state")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.query_error(e))?;
        let mut counts = Vec::with_capacity(rows.len());
        for row in &rows {
            let state: String = row.try_get(0).map_err(|e| self.query_error(e))?;
            let n: i64 = row.try_get(1).map_err(|e| self.query_error(e))?;
            let state = state
                .parse::<RemediationState>()
                .map_err(|message| StateError::Query {
                    url: self.url().redacted(),
                    message,
                })?;
            counts.push((state, n));
        }
        counts.sort_by_key(|(state, _)| state.as_str());
        Ok(counts)
    }

    async fn select_remediations(
        &self,
        clause: &str,
        bind: impl for<'q> FnOnce(Query<'q>) -> Query<'q>,
    ) -> Result<Vec<Remediation>, StateError> {
        let sql = format!("SELECT id, {COLUMNS} FROM remediations {clause} ORDER BY id");
        let rows = bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.query_error(e))?;
        let mut found = Vec::with_capacity(rows.len());
        for row in &rows {
            found.push(self.remediation_of(row)?);
        }
        for r in &mut found {
            r.findings = self.remediation_findings(r.id).await?;
        }
        Ok(found)
    }

    async fn remediation_findings(&self, id: i64) -> Result<Vec<RemediationFinding>, StateError> {
        let rows = sqlx::query(
            "SELECT fingerprint, rule, severity FROM remediation_findings \
             WHERE remediation_id = $1 ORDER BY fingerprint",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.query_error(e))?;
        rows.iter()
            .map(|row| {
                let get = |e: sqlx::Error| self.query_error(e);
                Ok(RemediationFinding {
                    fingerprint: row.try_get("fingerprint").map_err(get)?,
                    rule: row.try_get("rule").map_err(get)?,
                    severity: row.try_get("severity").map_err(get)?,
                })
            })
            .collect()
    }

    fn remediation_of(&self, row: &sqlx::any::AnyRow) -> Result<Remediation, StateError> {
        let get = |e: sqlx::Error| self.query_error(e);
        let json_list =
            |text: String| serde_json::from_str::<Vec<String>>(&text).unwrap_or_default();
        let state: String = row.try_get("state").map_err(get)?;
        Ok(Remediation {
            id: row.try_get("id").map_err(get)?,
            group_fingerprint: row.try_get("group_fingerprint").map_err(get)?,
            group_key: row.try_get("group_key").map_err(get)?,
            branch: row.try_get("branch").map_err(get)?,
            provider: row.try_get("provider").map_err(get)?,
            state: state.parse().map_err(|message| StateError::Query {
                url: self.url().redacted(),
                message,
            })?,
            action: row.try_get("action").map_err(get)?,
            policy: json_list(row.try_get("policy").map_err(get)?),
            change_hash: row.try_get("change_hash").map_err(get)?,
            diff: row.try_get("diff").map_err(get)?,
            files: json_list(row.try_get("files").map_err(get)?),
            title: row.try_get("title").map_err(get)?,
            body: row.try_get("body").map_err(get)?,
            base_commit: row.try_get("base_commit").map_err(get)?,
            head_commit: row.try_get("head_commit").map_err(get)?,
            pr_number: row.try_get("pr_number").map_err(get)?,
            pr_url: row.try_get("pr_url").map_err(get)?,
            created_at: row.try_get("created_at").map_err(get)?,
            updated_at: row.try_get("updated_at").map_err(get)?,
            cycle: row.try_get("cycle_id").map_err(get)?,
            merged_at: row.try_get("merged_at").map_err(get)?,
            merged_cycle: row.try_get("merged_cycle").map_err(get)?,
            merge_commit: row.try_get("merge_commit").map_err(get)?,
            decided_by: row.try_get("decided_by").map_err(get)?,
            decision_reason: row.try_get("decision_reason").map_err(get)?,
            note: row.try_get("note").map_err(get)?,
            findings: Vec::new(),
        })
    }

    /// The state of each of `fingerprints` the store knows (`open` or `resolved`).
    pub async fn finding_states(
        &self,
        fingerprints: &[String],
    ) -> Result<Vec<(String, String)>, StateError> {
        let mut found = Vec::with_capacity(fingerprints.len());
        for fingerprint in fingerprints {
            let row = sqlx::query("SELECT state FROM findings WHERE fingerprint = $1")
                .bind(fingerprint.clone())
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| self.query_error(e))?;
            if let Some(row) = row {
                found.push((
                    fingerprint.clone(),
                    row.try_get("state").map_err(|e| self.query_error(e))?,
                ));
            }
        }
        Ok(found)
    }

    /// The newest cycle's id (0 when none ran).
    pub async fn latest_cycle_id(&self) -> Result<i64, StateError> {
        let row = sqlx::query("SELECT MAX(id) AS id FROM cycles")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.query_error(e))?;
        Ok(row
            .try_get::<Option<i64>, _>("id")
            .map_err(|e| self.query_error(e))?
            .unwrap_or(0))
    }
}
