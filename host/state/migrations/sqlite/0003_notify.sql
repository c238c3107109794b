-- aiops state (sqlite), version 3: notifications (routed from the outbox, grouped,
-- delivered with retries, silenced). Times are Unix milliseconds (UTC). Keep in step
-- with ../postgres/0003_notify.sql.

-- The resource's labels or tags (JSON object), for routing by team, env, ...
ALTER TABLE findings ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';

-- How far routing has read the outbox (one row, moved with compare and set).
CREATE TABLE notify_cursor (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    outbox_id BIGINT NOT NULL
);
INSERT INTO notify_cursor (id, outbox_id) VALUES (1, 0);

-- One message for one channel: the events a route grouped (a JSON list of outbox
-- events). grouping: still taking events until due_at; pending: to send (again at
-- next_attempt_at); sent; dead: gave up after max_attempts (kept, listed).
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    route TEXT NOT NULL,
    group_key TEXT NOT NULL,
    -- the same on every attempt: Idempotency-Key, Message-ID
    idempotency_key TEXT NOT NULL UNIQUE,
    events TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    sent_at BIGINT
);
CREATE INDEX notifications_by_state ON notifications (state, next_attempt_at);
CREATE INDEX notifications_by_group ON notifications (channel, route, group_key);

-- The last time an event about a subject was routed to a channel (repeat_interval).
CREATE TABLE notify_repeats (
    channel TEXT NOT NULL,
    event_key TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (channel, event_key)
);

-- Silences: events matching them are not sent until ends_at (or until expired).
CREATE TABLE silences (
    id INTEGER PRIMARY KEY,
    -- JSON object of matchers, as routes match
    matchers TEXT NOT NULL,
    comment TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    expired_at BIGINT
);
