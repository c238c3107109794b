-- aiops state (SQLite), version 5: indexes for pages of findings (the API's and the
-- console's `GET /api/v1/findings?state=…&severity=…&after=…&limit=…`), which run in
-- fingerprint order: one per state, one per state and severity. SQLite compares text
-- bytewise (BINARY), the order the cursor relies on. Keep in step with
-- ../postgres/0005_finding_pages.sql.

CREATE INDEX findings_by_state_fingerprint ON findings (state, fingerprint);
CREATE INDEX findings_by_state_severity ON findings (state, severity, fingerprint);
