//! The remediation stage of a cycle: every reported finding with a remediation hint
//! goes through the remediators on a fresh checkout of base, grouped; each group's
//! change is held against what the store remembers for the group (open proposal,
//! rejection, fix already on base) and the policy, and becomes a branch, an update of
//! one, a record, or nothing. Then merged remediations are checked: verified when their
//! findings are resolved, flagged not effective when they are still reported N cycles on.

use std::collections::BTreeSet;

use aiops_core::{Inventory, ReportedFinding, ScanReport, fingerprint};
use aiops_engine::fix::{FixStatus, Fixer, IacRepo};
use aiops_runtime::{PluginsConfig, RegistrySnapshot};
use aiops_sdk::Platform;
use aiops_state::{Remediation, RemediationFinding, RemediationState, Store, now_millis};
use git2::Oid;
use serde::Serialize;

use crate::group::{Group, change_hash, group};
use crate::policy::{Action, Decision, FindingFacts};
use crate::proposal::describe;
use crate::provider::{Provider, ReviewState};
use crate::workflow::{Gitops, GitopsError, MergeOutcome, event, step};

/// What the stage works on.
pub struct RemediateInput<'a> {
    /// The store.
    pub store: &'a Store,
    /// The cycle's id.
    pub cycle: i64,
    /// What the cycle collected.
    pub inventory: &'a Inventory,
    /// What it found.
    pub report: &'a ScanReport,
    /// The plugins it ran with.
    pub plugins: &'a RegistrySnapshot,
    /// The `plugins:` section.
    pub plugins_config: &'a PluginsConfig,
    /// Show what would be done, change nothing.
    pub dry_run: bool,
}

/// What happened to one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum GroupOutcome {
    /// A new proposal on its branch.
    Proposed {
        /// The remediation.
        id: i64,
    },
    /// A new proposal, merged at once by the policy.
    AutoMerged {
        /// The remediation.
        id: i64,
    },
    /// An approved proposal this cycle merged (its merge had been cut short).
    Merged {
        /// The remediation.
        id: i64,
    },
    /// Approved; the provider merges it once the required checks pass.
    MergeQueued {
        /// The remediation.
        id: i64,
    },
    /// A rejected proposal whose pull request was re-opened: it waits for review again.
    Reopened {
        /// The remediation.
        id: i64,
    },
    /// Its open proposal was updated (the change differs, or base moved under it).
    Updated {
        /// The remediation.
        id: i64,
    },
    /// Its open proposal already says this.
    Unchanged {
        /// The remediation.
        id: i64,
    },
    /// An approved proposal that could not be merged stays approved (see its note).
    Held {
        /// The remediation.
        id: i64,
        /// Why.
        reason: String,
    },
    /// A human pushed to its branch: aiops leaves it alone.
    HumanPushed {
        /// The remediation.
        id: i64,
    },
    /// The same change was rejected before: nothing is proposed.
    RejectedBefore {
        /// The rejected remediation.
        id: i64,
        /// True when the rejection is this cycle's: its pull request was closed at the
        /// provider, or aiops closed it on a change request (only given when true).
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        closed: bool,
    },
    /// The fix is already on base.
    FixedInSource,
    /// The policy allows no change (critical, or a `never_edit` path): recorded, notified.
    NotProposed {
        /// `notify_only` or `never_edit`.
        action: String,
    },
    /// Over `gitops.limits`: a later cycle proposes it.
    Deferred {
        /// Which limit.
        reason: String,
    },
    /// No remediator could fix it.
    CannotFix {
        /// Each finding's outcome.
        reasons: Vec<String>,
    },
    /// A dry run would propose (or update) this.
    WouldPropose {
        /// The diff.
        diff: String,
    },
    /// Something failed for this group (the others go on).
    Failed {
        /// What.
        error: String,
    },
}

/// One group's line in the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupReport {
    /// What the findings share.
    pub key: String,
    /// Its branch.
    pub branch: String,
    /// The policy's action.
    pub action: String,
    /// Its findings' fingerprints.
    pub findings: Vec<String>,
    /// What happened.
    #[serde(flatten)]
    pub outcome: GroupOutcome,
}

/// What the stage did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RemediationReport {
    /// Each group, by key.
    pub groups: Vec<GroupReport>,
    /// Merged remediations whose findings are now resolved.
    pub verified: Vec<i64>,
    /// Merged remediations whose findings are still reported N cycles on.
    pub not_effective: Vec<i64>,
    /// True for a dry run.
    pub dry_run: bool,
}

/// A group after its fixes ran on base.
struct Fixed {
    changes: Vec<(String, String, String)>,
    statuses: Vec<FixStatus>,
    diff: String,
}

/// Runs the stage.
pub async fn remediate(
    gitops: &Gitops,
    input: RemediateInput<'_>,
) -> Result<RemediationReport, GitopsError> {
    let clone = gitops.iac_clone();
    clone.fetch()?;
    let base = clone.base_tip()?;
    clone.checkout(base)?;
    let repo = IacRepo::open(&gitops.iac_dir()).map_err(|e| GitopsError::Repo(e.to_string()))?;
    let candidates: Vec<ReportedFinding> = input
        .report
        .findings
        .iter()
        .filter(|f| f.finding.remediation.is_some())
        .cloned()
        .collect();
    let builtin = builtin_plugins(input.plugins);
    let mut report = RemediationReport {
        dry_run: input.dry_run,
        ..Default::default()
    };
    let mut new_this_cycle = 0usize;
    for g in group(&candidates, gitops.config.group_by) {
        let members: Vec<&ReportedFinding> = g.members.iter().map(|&i| &candidates[i]).collect();
        let fixed = fix_group(&repo, &input, &members);
        let paths: Vec<String> = fixed
            .changes
            .iter()
            .map(|(p, _, _)| gitops.repo_path(p))
            .collect();
        let facts: Vec<FindingFacts> = members
            .iter()
            .map(|f| facts_of(f, input.inventory, &builtin, &paths))
            .collect();
        let decision = gitops.policy.decide_group(&facts);
        let fingerprints: Vec<String> = members.iter().map(|f| fingerprint(f)).collect();
        let outcome = match handle_group(
            gitops,
            &input,
            &g,
            &members,
            &fixed,
            &paths,
            &decision,
            base,
            &mut new_this_cycle,
        )
        .await
        {
            Ok(outcome) => outcome,
            Err(err) => GroupOutcome::Failed {
                error: err.to_string(),
            },
        };
        report.groups.push(GroupReport {
            key: g.key.clone(),
            branch: g.branch(),
            action: decision.action.to_string(),
            findings: fingerprints,
            outcome,
        });
    }
    if !input.dry_run {
        verify_merged(gitops, &input, &mut report).await?;
    }
    Ok(report)
}

/// The names of the built-in plugins of `plugins`.
fn builtin_plugins(plugins: &RegistrySnapshot) -> BTreeSet<String> {
    plugins
        .entries
        .values()
        .filter(|e| e.origin.starts_with("builtin:"))
        .filter_map(|e| e.plugin.as_ref().map(|p| p.name().to_string()))
        .collect()
}

fn fix_group(repo: &IacRepo, input: &RemediateInput<'_>, members: &[&ReportedFinding]) -> Fixed {
    let mut fixer = Fixer::new(repo, input.plugins, input.plugins_config);
    let statuses = members
        .iter()
        .map(|f| match input.inventory.get(&f.resource.id) {
            Some(resource) => {
                fixer.fix(&f.finding, resource, input.inventory.location(&resource.id))
            }
            None => FixStatus::NotLocated {
                reason: format!("resource {} is not in the inventory", f.resource.id),
            },
        })
        .collect();
    let changes = fixer.changes();
    Fixed {
        diff: changes.iter().map(|c| c.unified_diff()).collect(),
        changes: changes
            .into_iter()
            .map(|c| (c.path, c.before, c.after))
            .collect(),
        statuses,
    }
}

fn facts_of(
    f: &ReportedFinding,
    inventory: &Inventory,
    builtin: &BTreeSet<String>,
    paths: &[String],
) -> FindingFacts {
    let resource = inventory.get(&f.resource.id);
    let platform = resource.map(|r| r.platform);
    let (namespace, account, region) = match platform {
        Some(Platform::Aws) => {
            // arn:aws:SERVICE:REGION:ACCOUNT:…
            let parts: Vec<&str> = f.resource.id.split(':').collect();
            let account = parts
                .get(4)
                .filter(|a| !a.is_empty())
                .map(|a| a.to_string());
            (None, account, f.resource.namespace.clone())
        }
        _ => (f.resource.namespace.clone(), None, None),
    };
    FindingFacts {
        rule: f.finding.rule.clone(),
        severity: Some(f.finding.severity),
        plugin: f.plugin.clone(),
        builtin_plugin: builtin.contains(&f.plugin),
        namespace,
        account,
        region,
        labels: resource.map(|r| r.labels.clone()).unwrap_or_default(),
        paths: paths.to_vec(),
    }
}

#[allow(clippy::too_many_arguments)]
async fn handle_group(
    gitops: &Gitops,
    input: &RemediateInput<'_>,
    g: &Group,
    members: &[&ReportedFinding],
    fixed: &Fixed,
    paths: &[String],
    decision: &Decision,
    base: Oid,
    new_this_cycle: &mut usize,
) -> Result<GroupOutcome, GitopsError> {
    let store = input.store;
    let actor = format!("cycle:{}", input.cycle);
    let mut live = store.live_remediation(&g.fingerprint).await?;
    if !input.dry_run
        && let Some(r) = live.take()
    {
        match sync_review(gitops, store, r, &actor).await? {
            Ok(r) => live = Some(r),
            Err(outcome) => return Ok(outcome),
        }
    }
    if fixed.changes.is_empty() {
        let already = !fixed.statuses.is_empty()
            && fixed
                .statuses
                .iter()
                .all(|s| matches!(s, FixStatus::AlreadyFixed { .. }));
        if !already {
            return Ok(GroupOutcome::CannotFix {
                reasons: fixed.statuses.iter().map(FixStatus::describe).collect(),
            });
        }
        if input.dry_run {
            return Ok(GroupOutcome::FixedInSource);
        }
        match live {
            Some(r) if r.state == RemediationState::Approved && merged_into(gitops, &r, base) => {
                // Merged by a process killed before it recorded so: record it now.
                return merge_outcome(gitops.merge(store, r, &actor).await?, false);
            }
            Some(mut r) => {
                let expected = r.state;
                r.state = RemediationState::FixedInSource;
                r.note = Some(format!("the fix is already on {}", gitops.config.repo.base));
                r.updated_at = now_millis();
                let s = step(
                    &actor,
                    "remediation.fixed_in_source",
                    r.note.clone(),
                    Vec::new(),
                );
                if store.update_remediation(&r, expected, &s).await? {
                    let _ = gitops.delete_branch(&r);
                }
            }
            None => {
                let latest = store.group_remediations(&g.fingerprint).await?.pop();
                // A merged fix waiting for its deploy, or one already marked, says it.
                let recorded = latest.is_some_and(|l| {
                    matches!(
                        l.state,
                        RemediationState::FixedInSource
                            | RemediationState::Merged
                            | RemediationState::NotEffective
                    )
                });
                if !recorded {
                    let r = new_remediation(
                        gitops,
                        input,
                        g,
                        members,
                        fixed,
                        paths,
                        decision,
                        RemediationState::FixedInSource,
                    );
                    let s = step(&actor, "remediation.fixed_in_source", None, Vec::new());
                    store.insert_remediation(&r, &s).await?;
                }
            }
        }
        return Ok(GroupOutcome::FixedInSource);
    }
    let hash = change_hash(
        fixed
            .changes
            .iter()
            .map(|(p, _, after)| (p.as_str(), after.as_str())),
    );
    let fingerprints: Vec<String> = members.iter().map(|f| fingerprint(f)).collect();
    let proposal = describe(members, paths, decision);
    let message = proposal.commit_message(&g.fingerprint, &hash, &fingerprints);
    let files: Vec<(String, String)> = fixed
        .changes
        .iter()
        .map(|(p, _, after)| (gitops.repo_path(p), after.clone()))
        .collect();
    let clone = gitops.iac_clone();
    let branch = g.branch();

    if let Some(mut r) = live {
        let head = r.head_commit.as_deref().and_then(|h| Oid::from_str(h).ok());
        let remote = clone.remote_branch(&branch);
        let mut adopted = false;
        if remote != head {
            // Not where aiops left it: adopt it when it is ours for this very change
            // (a cycle killed after the push), else a human pushed or deleted it.
            match remote {
                Some(tip)
                    if gitops.is_ours(tip, &g.fingerprint)?
                        && gitops.change_of(tip)?.as_deref() == Some(&hash) =>
                {
                    r.head_commit = Some(tip.to_string());
                    adopted = true;
                }
                Some(_) => {
                    if r.note.as_deref() != Some(HUMAN_PUSHED) && !input.dry_run {
                        let expected = r.state;
                        r.note = Some(HUMAN_PUSHED.into());
                        r.updated_at = now_millis();
                        let s = step(&actor, "remediation.left_alone", r.note.clone(), Vec::new());
                        store.update_remediation(&r, expected, &s).await?;
                    }
                    return Ok(GroupOutcome::HumanPushed { id: r.id });
                }
                None if r.state == RemediationState::Approved && merged_into(gitops, &r, base) => {
                    // Merged by a process killed before it recorded so: record it now.
                    if input.dry_run {
                        return Ok(GroupOutcome::Unchanged { id: r.id });
                    }
                    return merge_outcome(gitops.merge(store, r, &actor).await?, false);
                }
                None => {
                    // The branch was deleted without a merge: a rejection, remembered.
                    if input.dry_run {
                        return Ok(GroupOutcome::RejectedBefore {
                            id: r.id,
                            closed: false,
                        });
                    }
                    let reason = format!("{branch} was deleted without a merge");
                    let r = record_rejection(store, r, "git", &reason, &actor).await?;
                    return Ok(GroupOutcome::RejectedBefore {
                        id: r.id,
                        closed: false,
                    });
                }
            }
        }
        let head = r.head_commit.as_deref().and_then(|h| Oid::from_str(h).ok());
        let conflicts = match head {
            Some(h) => !clone.conflicts(base, h)?.is_empty(),
            None => true,
        };
        if r.change_hash == hash && !conflicts {
            if input.dry_run {
                return Ok(GroupOutcome::Unchanged { id: r.id });
            }
            if adopted {
                // Pushed by a process killed before it recorded the push.
                let expected = r.state;
                r.updated_at = now_millis();
                let s = step(
                    &actor,
                    "remediation.adopted",
                    Some(format!("{branch} was pushed before the record")),
                    Vec::new(),
                );
                if !store.update_remediation(&r, expected, &s).await? {
                    return Err(GitopsError::Raced { id: r.id });
                }
            }
            if r.pr_number.is_none() {
                // Killed after the pull request was opened and before it was recorded
                // (found by its head branch), or before it was opened.
                r = open_review(gitops, store, r, &actor).await?;
            }
            if r.state == RemediationState::Approved {
                // Approved but not merged yet (killed, or held last time): merge now.
                return merge_outcome(gitops.merge(store, r, &actor).await?, false);
            }
            if decision.action == Action::AutoMerge && r.decided_by.is_none() {
                // Recorded by a process killed before the policy approved it.
                return approve_by_policy(gitops, store, r, decision, &actor).await;
            }
            return Ok(GroupOutcome::Unchanged { id: r.id });
        }
        if input.dry_run {
            return Ok(GroupOutcome::WouldPropose {
                diff: fixed.diff.clone(),
            });
        }
        // The proposal changed or base moved under it: rebuild on the current base.
        let commit = clone.commit_files(base, &files, &message, &gitops.config.author)?;
        crate::crash::point(crate::crash::COMMITTED);
        clone.push(&branch, Some(commit), head)?;
        crate::crash::point(crate::crash::PUSHED);
        let expected = r.state;
        let changed = r.change_hash != hash;
        let fresh = new_remediation(gitops, input, g, members, fixed, paths, decision, r.state);
        r = Remediation {
            id: r.id,
            created_at: r.created_at,
            cycle: r.cycle,
            decided_by: r.decided_by,
            decision_reason: r.decision_reason,
            head_commit: Some(commit.to_string()),
            base_commit: Some(base.to_string()),
            ..fresh
        };
        r.change_hash = hash;
        // An approval was for the old content: a changed proposal waits again.
        if changed && r.state == RemediationState::Approved {
            r.state = RemediationState::AwaitingApproval;
        }
        let what = if changed {
            "remediation.updated"
        } else {
            "remediation.rebased"
        };
        let s = step(
            &actor,
            what,
            Some(if changed {
                "the proposed change differs".into()
            } else {
                format!("recreated from the new {}", gitops.config.repo.base)
            }),
            event(what, &r),
        );
        if !store.update_remediation(&r, expected, &s).await? {
            return Err(GitopsError::Raced { id: r.id });
        }
        if r.pr_number.is_some() {
            gitops.provider().update(&r).await?;
        } else {
            r = open_review(gitops, store, r, &actor).await?;
        }
        return Ok(GroupOutcome::Updated { id: r.id });
    }

    // No open proposal. Remember rejections and earlier records of the same change.
    if let Some(prior) = store.group_remediations(&g.fingerprint).await?.pop()
        && prior.change_hash == hash
    {
        match prior.state {
            RemediationState::Rejected => {
                if prior.pr_number.is_some() && !input.dry_run {
                    return reopened_or_rejected(gitops, store, prior, &actor).await;
                }
                return Ok(GroupOutcome::RejectedBefore {
                    id: prior.id,
                    closed: false,
                });
            }
            RemediationState::NotifyOnly | RemediationState::NeverEdit
                if !decision.action.proposes() =>
            {
                return Ok(GroupOutcome::NotProposed {
                    action: decision.action.to_string(),
                });
            }
            _ => {}
        }
    }
    if !decision.action.proposes() {
        let state = if decision.action == Action::NeverEdit {
            RemediationState::NeverEdit
        } else {
            RemediationState::NotifyOnly
        };
        if !input.dry_run {
            let mut r = new_remediation(gitops, input, g, members, fixed, paths, decision, state);
            r.change_hash = hash;
            let kind = format!("remediation.{}", state.as_str());
            let s = step(
                &actor,
                &kind,
                Some(decision.reasons.join("; ")),
                event(&kind, &r),
            );
            store.insert_remediation(&r, &s).await?;
        }
        return Ok(GroupOutcome::NotProposed {
            action: decision.action.to_string(),
        });
    }
    let open = store
        .list_remediations(&[
            RemediationState::AwaitingApproval,
            RemediationState::Approved,
        ])
        .await?
        .len();
    let limits = gitops.config.limits;
    if open >= limits.max_open {
        return Ok(GroupOutcome::Deferred {
            reason: format!(
                "{open} proposals open (gitops.limits.max_open: {})",
                limits.max_open
            ),
        });
    }
    if *new_this_cycle >= limits.max_new_per_cycle {
        return Ok(GroupOutcome::Deferred {
            reason: format!(
                "gitops.limits.max_new_per_cycle: {}",
                limits.max_new_per_cycle
            ),
        });
    }
    if input.dry_run {
        *new_this_cycle += 1;
        return Ok(GroupOutcome::WouldPropose {
            diff: fixed.diff.clone(),
        });
    }
    let head = match clone.remote_branch(&branch) {
        // Pushed by a cycle killed before it recorded the proposal: adopt it.
        Some(tip)
            if gitops.is_ours(tip, &g.fingerprint)?
                && gitops.change_of(tip)?.as_deref() == Some(&hash)
                && clone.conflicts(base, tip)?.is_empty() =>
        {
            tip
        }
        Some(tip) if gitops.is_ours(tip, &g.fingerprint)? => {
            let commit = clone.commit_files(base, &files, &message, &gitops.config.author)?;
            crate::crash::point(crate::crash::COMMITTED);
            clone.push(&branch, Some(commit), Some(tip))?;
            commit
        }
        Some(_) => {
            return Ok(GroupOutcome::Failed {
                error: format!("{branch} exists and is not aiops's: aiops leaves it alone"),
            });
        }
        None => {
            let commit = clone.commit_files(base, &files, &message, &gitops.config.author)?;
            crate::crash::point(crate::crash::COMMITTED);
            clone.push(&branch, Some(commit), None)?;
            commit
        }
    };
    crate::crash::point(crate::crash::PUSHED);
    let mut r = new_remediation(
        gitops,
        input,
        g,
        members,
        fixed,
        paths,
        decision,
        RemediationState::AwaitingApproval,
    );
    r.change_hash = hash;
    r.head_commit = Some(head.to_string());
    r.base_commit = Some(base.to_string());
    let s = step(
        &actor,
        "remediation.proposed",
        Some(decision.reasons.join("; ")),
        event("remediation.proposed", &r),
    );
    r.id = store.insert_remediation(&r, &s).await?;
    *new_this_cycle += 1;
    crate::crash::point(crate::crash::RECORDED);
    let r = open_review(gitops, store, r, &actor).await?;
    if decision.action != Action::AutoMerge {
        return Ok(GroupOutcome::Proposed { id: r.id });
    }
    approve_by_policy(gitops, store, r, decision, &actor).await
}

/// Opens `r`'s review request at the provider (a pull request) and records it.
async fn open_review(
    gitops: &Gitops,
    store: &Store,
    mut r: Remediation,
    actor: &str,
) -> Result<Remediation, GitopsError> {
    let Some(request) = gitops.provider().open(gitops, &r).await? else {
        return Ok(r);
    };
    let expected = r.state;
    r.pr_number = Some(request.number);
    r.pr_url = Some(request.url.clone());
    r.updated_at = now_millis();
    let s = step(
        actor,
        "remediation.pr_opened",
        Some(format!("pull request #{} {}", request.number, request.url)),
        event("remediation.pr_opened", &r),
    );
    if !store.update_remediation(&r, expected, &s).await? {
        return Err(GitopsError::Raced { id: r.id });
    }
    Ok(r)
}

/// Records `r` rejected by `by` for `reason`.
async fn record_rejection(
    store: &Store,
    mut r: Remediation,
    by: &str,
    reason: &str,
    actor: &str,
) -> Result<Remediation, GitopsError> {
    let expected = r.state;
    r.state = RemediationState::Rejected;
    r.decided_by = Some(by.into());
    r.decision_reason = Some(reason.into());
    r.updated_at = now_millis();
    let s = step(
        actor,
        "remediation.rejected",
        Some(reason.into()),
        event("remediation.rejected", &r),
    );
    if !store.update_remediation(&r, expected, &s).await? {
        return Err(GitopsError::Raced { id: r.id });
    }
    Ok(r)
}

const REOPENED: &str = "its pull request was re-opened: the rejection is taken back";

/// Reads back `r`'s review request: merged or closed at the provider, approved or
/// changes requested by a reviewer (recorded with the reviewer's name), its checks.
/// `Err(outcome)` when that settles the group for this cycle.
async fn sync_review(
    gitops: &Gitops,
    store: &Store,
    mut r: Remediation,
    actor: &str,
) -> Result<Result<Remediation, GroupOutcome>, GitopsError> {
    let Some(number) = r.pr_number else {
        return Ok(Ok(r));
    };
    match gitops.provider().review_state(&r).await? {
        ReviewState::Merged { commit, by } => {
            let expected = r.state;
            if r.decided_by.is_none() {
                r.decided_by = by.clone();
            }
            let who = format!("github:{}", by.as_deref().unwrap_or("unknown"));
            let m = gitops
                .record_merged(store, r, &who, expected, &commit.unwrap_or_default())
                .await?;
            Ok(Err(GroupOutcome::Merged { id: m.id }))
        }
        ReviewState::Closed => {
            let reason = format!("pull request #{number} was closed without merging");
            let r = record_rejection(store, r, "github", &reason, actor).await?;
            Ok(Err(GroupOutcome::RejectedBefore {
                id: r.id,
                closed: true,
            }))
        }
        ReviewState::Open {
            approved_by,
            changes_requested_by,
            checks,
        } => {
            if r.state != RemediationState::AwaitingApproval {
                return Ok(Ok(r));
            }
            if let Some((user, body)) = changes_requested_by
                && r.note.as_deref() != Some(REOPENED)
            {
                let reason = if body.trim().is_empty() {
                    "changes requested".to_string()
                } else {
                    format!("changes requested: {}", body.trim())
                };
                let r =
                    record_rejection(store, r, &user, &reason, &format!("github:{user}")).await?;
                if let Err(err) = gitops.provider().close(gitops, &r, &reason).await {
                    tracing::warn!(id = r.id, error = %err, "could not close a rejected pull request");
                }
                return Ok(Err(GroupOutcome::RejectedBefore {
                    id: r.id,
                    closed: true,
                }));
            }
            if let Some((user, body)) = approved_by {
                r.state = RemediationState::Approved;
                r.decided_by = Some(user.clone());
                r.decision_reason = Some(body).filter(|b| !b.trim().is_empty());
                r.updated_at = now_millis();
                let s = step(
                    &format!("github:{user}"),
                    "remediation.approved",
                    Some(format!("approving review on pull request #{number}")),
                    event("remediation.approved", &r),
                );
                if !store
                    .update_remediation(&r, RemediationState::AwaitingApproval, &s)
                    .await?
                {
                    return Err(GitopsError::Raced { id: r.id });
                }
                return Ok(Ok(r));
            }
            if let Some(checks) = checks
                && r.note.as_deref() != Some(checks.as_str())
                && r.note.as_deref().is_none_or(|n| n.starts_with("checks:"))
            {
                r.note = Some(checks);
                r.updated_at = now_millis();
                let s = step(actor, "remediation.checks", r.note.clone(), Vec::new());
                if !store
                    .update_remediation(&r, RemediationState::AwaitingApproval, &s)
                    .await?
                {
                    return Err(GitopsError::Raced { id: r.id });
                }
            }
            Ok(Ok(r))
        }
    }
}

/// A rejected remediation whose pull request a user re-opened waits for review again.
async fn reopened_or_rejected(
    gitops: &Gitops,
    store: &Store,
    mut r: Remediation,
    actor: &str,
) -> Result<GroupOutcome, GitopsError> {
    if !matches!(
        gitops.provider().review_state(&r).await?,
        ReviewState::Open { .. }
    ) {
        return Ok(GroupOutcome::RejectedBefore {
            id: r.id,
            closed: false,
        });
    }
    r.state = RemediationState::AwaitingApproval;
    r.decided_by = None;
    r.decision_reason = None;
    r.note = Some(REOPENED.into());
    r.updated_at = now_millis();
    let s = step(
        actor,
        "remediation.reopened",
        r.note.clone(),
        event("remediation.reopened", &r),
    );
    if !store
        .update_remediation(&r, RemediationState::Rejected, &s)
        .await?
    {
        return Err(GitopsError::Raced { id: r.id });
    }
    Ok(GroupOutcome::Reopened { id: r.id })
}

/// Approves `r` on the policy's behalf (auto-merge) and merges it.
async fn approve_by_policy(
    gitops: &Gitops,
    store: &Store,
    mut r: Remediation,
    decision: &Decision,
    actor: &str,
) -> Result<GroupOutcome, GitopsError> {
    let expected = r.state;
    r.state = RemediationState::Approved;
    r.decided_by = Some("policy".into());
    r.decision_reason = Some(decision.reasons.join("; "));
    r.updated_at = now_millis();
    let s = step(
        actor,
        "remediation.approved",
        r.decision_reason.clone(),
        Vec::new(),
    );
    if !store.update_remediation(&r, expected, &s).await? {
        return Err(GitopsError::Raced { id: r.id });
    }
    crate::crash::point(crate::crash::APPROVED);
    merge_outcome(gitops.merge(store, r, actor).await?, true)
}

/// True when `r`'s head commit is on `base` (merged).
fn merged_into(gitops: &Gitops, r: &Remediation, base: Oid) -> bool {
    r.head_commit
        .as_deref()
        .and_then(|h| Oid::from_str(h).ok())
        .is_some_and(|h| gitops.iac_clone().is_ancestor(h, base).unwrap_or(false))
}

/// A group's outcome from a merge's (`by_policy`: approved by the policy just now).
fn merge_outcome(outcome: MergeOutcome, by_policy: bool) -> Result<GroupOutcome, GitopsError> {
    Ok(match outcome {
        MergeOutcome::Merged(m) if by_policy => GroupOutcome::AutoMerged { id: m.id },
        MergeOutcome::Merged(m) => GroupOutcome::Merged { id: m.id },
        MergeOutcome::Held(h) => GroupOutcome::Held {
            id: h.id,
            reason: h.note.unwrap_or_default(),
        },
        MergeOutcome::Queued(q) => GroupOutcome::MergeQueued { id: q.id },
    })
}

const HUMAN_PUSHED: &str = "someone else pushed to the branch: aiops leaves it alone";

#[allow(clippy::too_many_arguments)]
fn new_remediation(
    gitops: &Gitops,
    input: &RemediateInput<'_>,
    g: &Group,
    members: &[&ReportedFinding],
    fixed: &Fixed,
    paths: &[String],
    decision: &Decision,
    state: RemediationState,
) -> Remediation {
    let proposal = describe(members, paths, decision);
    let now = now_millis();
    Remediation {
        id: 0,
        group_fingerprint: g.fingerprint.clone(),
        group_key: g.key.clone(),
        branch: g.branch(),
        provider: gitops.config.provider.as_str().into(),
        state,
        action: decision.action.to_string(),
        policy: decision.reasons.clone(),
        change_hash: String::new(),
        diff: fixed.diff.clone(),
        files: paths.to_vec(),
        title: proposal.title,
        body: proposal.body,
        base_commit: None,
        head_commit: None,
        pr_number: None,
        pr_url: None,
        created_at: now,
        updated_at: now,
        cycle: Some(input.cycle),
        merged_at: None,
        merged_cycle: None,
        merge_commit: None,
        decided_by: None,
        decision_reason: None,
        note: None,
        findings: members
            .iter()
            .map(|f| RemediationFinding {
                fingerprint: fingerprint(f),
                rule: f.finding.rule.clone(),
                severity: f.finding.severity.as_str().into(),
            })
            .collect(),
    }
}

/// Merged remediations: verified once every finding is resolved; not effective when
/// one is still open `not_effective_after_cycles` cycles after the merge.
async fn verify_merged(
    gitops: &Gitops,
    input: &RemediateInput<'_>,
    report: &mut RemediationReport,
) -> Result<(), GitopsError> {
    let store = input.store;
    let actor = format!("cycle:{}", input.cycle);
    for mut r in store.list_remediations(&[RemediationState::Merged]).await? {
        let fps: Vec<String> = r.findings.iter().map(|f| f.fingerprint.clone()).collect();
        let states = store.finding_states(&fps).await?;
        let open = states.iter().filter(|(_, s)| s == "open").count();
        let cycles_since = input.cycle - r.merged_cycle.unwrap_or(input.cycle);
        let (state, action, note) = if open == 0 && cycles_since > 0 {
            (
                RemediationState::Verified,
                "remediation.verified",
                "its findings are resolved".to_string(),
            )
        } else if open > 0 && cycles_since >= i64::from(gitops.config.not_effective_after_cycles) {
            (
                RemediationState::NotEffective,
                "remediation.not_effective",
                format!(
                    "merged but not effective: {open} finding(s) still reported {cycles_since} cycles after the merge (was it deployed?)"
                ),
            )
        } else {
            continue;
        };
        r.state = state;
        r.note = Some(note.clone());
        r.updated_at = now_millis();
        let s = step(&actor, action, Some(note), event(action, &r));
        if store
            .update_remediation(&r, RemediationState::Merged, &s)
            .await?
        {
            match state {
                RemediationState::Verified => report.verified.push(r.id),
                _ => report.not_effective.push(r.id),
            }
        }
    }
    Ok(())
}
