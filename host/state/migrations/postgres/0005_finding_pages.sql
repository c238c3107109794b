-- aiops state (PostgreSQL), version 5: indexes for pages of findings (the API's and the
-- console's `GET /api/v1/findings?state=…&severity=…&after=…&limit=…`), which run in
-- fingerprint order: one per state, one per state and severity. Fingerprints compare
-- bytewise ("C"), as on SQLite, whatever the database's locale: pages come in the same
-- order on both, and `LIKE 'prefix%'` can use the key's index. Keep in step with
-- ../sqlite/0005_finding_pages.sql.

ALTER TABLE findings ALTER COLUMN fingerprint TYPE TEXT COLLATE "C";
CREATE INDEX findings_by_state_fingerprint ON findings (state, fingerprint);
CREATE INDEX findings_by_state_severity ON findings (state, severity, fingerprint);
