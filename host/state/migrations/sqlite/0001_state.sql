-- aiops state (SQLite), version 1: cycles, findings with their history, coverage, the audit log.
-- Times are Unix milliseconds (UTC). Keep in step with ../postgres/0001_state.sql.

CREATE TABLE cycles (
    id INTEGER PRIMARY KEY,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    -- running | completed | abandoned
    status TEXT NOT NULL,
    -- JSON: [{"source", "ok", "resources", "problems"}]
    sources TEXT NOT NULL DEFAULT '[]',
    -- JSON: {"new", "open", "resolved", "reopened", "stale", "by_severity": {...}}
    summary TEXT,
    -- JSON: [{"source", "line", "message"} | {"plugin", "message"}]
    problems TEXT NOT NULL DEFAULT '[]',
    owner TEXT NOT NULL
);

CREATE TABLE findings (
    fingerprint TEXT PRIMARY KEY,
    plugin TEXT NOT NULL,
    rule TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    resource_kind TEXT NOT NULL,
    resource_namespace TEXT,
    resource_name TEXT NOT NULL,
    component TEXT,
    -- The cycle source the resource came from (`k8s`, `manifests:DIR`, ...) and its file.
    source TEXT NOT NULL,
    file TEXT,
    line BIGINT,
    -- open | resolved
    state TEXT NOT NULL,
    stale BIGINT NOT NULL DEFAULT 0,
    stale_reason TEXT,
    severity TEXT NOT NULL,
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    -- JSON [[key, value], ...]
    evidence TEXT NOT NULL,
    -- JSON remediation hint or NULL
    remediation TEXT,
    content_hash TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    resolved_at BIGINT,
    times_reopened BIGINT NOT NULL DEFAULT 0,
    first_cycle BIGINT NOT NULL,
    last_cycle BIGINT NOT NULL
);
CREATE INDEX findings_by_state ON findings (state, resolved_at);

CREATE TABLE finding_history (
    id INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    cycle_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    -- opened | resolved | reopened | severity | stale | fresh
    change TEXT NOT NULL,
    from_value TEXT,
    to_value TEXT,
    reason TEXT
);
CREATE INDEX finding_history_by_fingerprint ON finding_history (fingerprint, id);

-- The last cycle that collected a source and ran a plugin successfully: an open finding
-- that is not stale was seen then (so a cycle does not rewrite every unchanged finding).
CREATE TABLE coverage (
    source TEXT NOT NULL,
    plugin TEXT NOT NULL,
    cycle_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (source, plugin)
);

-- Events for the notifiers, written in the same transaction as the change that causes
-- them; `dedup_key` makes writing one twice (a retried cycle) a no-op.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL,
    -- finding.new | finding.reopened | finding.resolved | remediation.* | ...
    kind TEXT NOT NULL,
    -- what it is about (a finding's fingerprint, a proposal id, a source)
    subject TEXT NOT NULL,
    severity TEXT,
    cycle_id BIGINT,
    -- JSON object
    payload TEXT NOT NULL,
    dedup_key TEXT NOT NULL UNIQUE
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    reason TEXT,
    -- JSON object or NULL
    details TEXT
);
CREATE INDEX audit_log_by_time ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
