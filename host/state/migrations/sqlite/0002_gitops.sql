-- aiops state (sqlite), version 2: remediations (GitOps proposals and their approvals).
-- Times are Unix milliseconds (UTC). Keep in step with ../postgres/0002_gitops.sql.

-- One proposed change for a group of findings: a branch (and, with GitHub, a pull
-- request). Its steps (proposed, approved by whom, merged, rejected and why, superseded)
-- are in the audit log under the subject `remediation:ID`.
CREATE TABLE remediations (
    id INTEGER PRIMARY KEY,
    -- the group's stable fingerprint and what its findings share (resource, finding, file)
    group_fingerprint TEXT NOT NULL,
    group_key TEXT NOT NULL,
    branch TEXT NOT NULL,
    -- local | github
    provider TEXT NOT NULL,
    -- awaiting_approval | approved | merged | verified | not_effective | rejected |
    -- superseded | fixed_in_source | notify_only | never_edit | failed
    state TEXT NOT NULL,
    -- the policy's action (auto_merge | approval | notify_only | never_edit) and, as a
    -- JSON list, its reasons
    action TEXT NOT NULL,
    policy TEXT NOT NULL,
    -- sha256 of the proposed files' contents: a later cycle proposing the same change
    -- for the group is this one
    change_hash TEXT NOT NULL,
    diff TEXT NOT NULL,
    -- JSON list of the changed paths
    files TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    -- the base commit the change was made on, and the branch commit aiops last pushed
    -- (the lease: a branch tip that is not this one was pushed by someone else)
    base_commit TEXT,
    head_commit TEXT,
    pr_number BIGINT,
    pr_url TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    cycle_id BIGINT,
    merged_at BIGINT,
    merged_cycle BIGINT,
    merge_commit TEXT,
    decided_by TEXT,
    decision_reason TEXT,
    -- the latest thing worth saying (a human pushed to the branch, a merge that failed)
    note TEXT
);
-- At most one live proposal per group: a second cycle, or one restarted after a crash,
-- finds it instead of opening another.
CREATE UNIQUE INDEX remediations_one_live_per_group ON remediations (group_fingerprint)
    WHERE state IN ('awaiting_approval', 'approved');
CREATE INDEX remediations_by_group ON remediations (group_fingerprint, id);
CREATE INDEX remediations_by_state ON remediations (state, id);

-- The findings a remediation fixes.
CREATE TABLE remediation_findings (
    remediation_id BIGINT NOT NULL,
    fingerprint TEXT NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    PRIMARY KEY (remediation_id, fingerprint)
);
CREATE INDEX remediation_findings_by_fingerprint ON remediation_findings (fingerprint);
