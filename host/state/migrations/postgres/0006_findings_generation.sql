-- aiops state (PostgreSQL), version 6: a generation number of what a findings page
-- shows, raised by every change of the `findings` and `coverage` tables (a finding's
-- `covered_at` comes from `coverage`), whoever makes it: this process, the CLI or
-- another replica. `aiops serve` keeps rendered pages of findings under the generation
-- they were read at, and reads this one row to know whether a page it keeps is still
-- what the store holds. The triggers run once per statement (the store writes findings
-- in batches), in the writing transaction. Keep in step with
-- ../sqlite/0006_findings_generation.sql.

CREATE TABLE findings_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO findings_generation (id, generation) VALUES (1, 0);

CREATE FUNCTION aiops_raise_findings_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE findings_generation SET generation = generation + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER findings_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON findings
    FOR EACH STATEMENT EXECUTE FUNCTION aiops_raise_findings_generation();
CREATE TRIGGER coverage_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON coverage
    FOR EACH STATEMENT EXECUTE FUNCTION aiops_raise_findings_generation();
