-- aiops state (SQLite), version 6: a generation number of what a findings page shows,
-- raised by every change of the `findings` and `coverage` tables (a finding's
-- `covered_at` comes from `coverage`), whoever makes it: this process, another one on
-- the same file (`aiops cycle`, `aiops store prune`) or a replica. `aiops serve` keeps
-- rendered pages of findings under the generation they were read at, and reads this one
-- row to know whether a page it keeps is still what the store holds. SQLite triggers run
-- for each row, in the writing transaction. Keep in step with
-- ../postgres/0006_findings_generation.sql.

CREATE TABLE findings_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO findings_generation (id, generation) VALUES (1, 0);

CREATE TRIGGER findings_generation_on_insert AFTER INSERT ON findings
BEGIN UPDATE findings_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER findings_generation_on_update AFTER UPDATE ON findings
BEGIN UPDATE findings_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER findings_generation_on_delete AFTER DELETE ON findings
BEGIN UPDATE findings_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER coverage_generation_on_insert AFTER INSERT ON coverage
BEGIN UPDATE findings_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER coverage_generation_on_update AFTER UPDATE ON coverage
BEGIN UPDATE findings_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER coverage_generation_on_delete AFTER DELETE ON coverage
BEGIN UPDATE findings_generation SET generation = generation + 1 WHERE id = 1; END;
