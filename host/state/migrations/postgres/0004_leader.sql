-- aiops state (PostgreSQL), version 4: the leader fence. Replicas elect one leader on a
-- Kubernetes Lease; each takeover raises the Lease's transition count, which the new
-- leader claims here. Leader-only writes (cycles, pull requests, notifications sent)
-- carry their token and are refused when a higher one is stored, so a replica that
-- lost the Lease cannot write after another took over. Keep in step with
-- ../sqlite/0004_leader.sql.

-- One row: the highest leader token claimed so far (0: none yet).
CREATE TABLE leader_fence (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    token BIGINT NOT NULL
);
INSERT INTO leader_fence (id, token) VALUES (1, 0);
