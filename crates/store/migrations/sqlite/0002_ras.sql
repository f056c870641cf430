-- The resource allocation system: published policies and stored allocations.
-- Keep in step with ../postgres/0002_ras.sql.

-- A published policy is never changed: a new version is a new row.
CREATE TABLE ras_policies (
    id TEXT NOT NULL PRIMARY KEY,
    area_id TEXT NOT NULL REFERENCES areas (id),
    policy_id TEXT NOT NULL,
    version TEXT NOT NULL,
    title TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    -- The file's exact text, so any allocation can be recomputed from it.
    content TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    published_at_ms BIGINT NOT NULL,
    published_by TEXT NOT NULL,
    UNIQUE (area_id, policy_id, version),
    UNIQUE (area_id, id)
);
CREATE INDEX ras_policies_by_effective_from ON ras_policies (area_id, effective_from);

-- One completed questionnaire and its result, with everything needed to
-- recompute it to the penny: the policy, the answers, the date and the
-- current amounts.
CREATE TABLE allocations (
    id TEXT NOT NULL PRIMARY KEY,
    area_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    ras_policy_id TEXT NOT NULL,
    calculated_on TEXT NOT NULL,
    answers TEXT NOT NULL,
    current_amounts TEXT NOT NULL,
    result TEXT NOT NULL,
    integrated_pence BIGINT NOT NULL CHECK (integrated_pence >= 0),
    recorded_at_ms BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    FOREIGN KEY (area_id, child_id) REFERENCES children (area_id, id),
    FOREIGN KEY (area_id, ras_policy_id) REFERENCES ras_policies (area_id, id)
);
CREATE INDEX allocations_by_child ON allocations (child_id, recorded_at_ms);
