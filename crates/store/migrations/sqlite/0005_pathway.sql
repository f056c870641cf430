-- The pathway: delegation policies, each child's pathway events, support
-- plan versions and the decisions on them, and case records.
-- Keep in step with ../postgres/0005_pathway.sql.

-- A published delegation policy is never changed: a new version is a new row.
CREATE TABLE delegation_policies (
    area_id TEXT NOT NULL REFERENCES areas (id),
    version BIGINT NOT NULL,
    content TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    published_at_ms BIGINT NOT NULL,
    published_by TEXT NOT NULL,
    PRIMARY KEY (area_id, version)
);

-- A child's pathway record: dated events, in the order they were recorded.
-- The current step, the clocks and the due dates are worked out from them.
CREATE TABLE pathway_events (
    area_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    event TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (area_id, child_id, seq),
    FOREIGN KEY (area_id, child_id) REFERENCES children (area_id, id)
);

-- Each version of a child's support plan. A draft is edited in place
-- (guarded by row_version); a submitted version is frozen.
CREATE TABLE plan_versions (
    area_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    status TEXT NOT NULL,
    content TEXT NOT NULL,
    authors TEXT NOT NULL,
    submitted_by TEXT,
    submitted_at_ms BIGINT,
    delegation_version BIGINT,
    required_roles TEXT,
    council_pence BIGINT,
    health_pence BIGINT,
    total_pence BIGINT NOT NULL,
    indicative TEXT,
    row_version BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (area_id, child_id, version),
    FOREIGN KEY (area_id, child_id) REFERENCES children (area_id, id)
);
CREATE INDEX plan_versions_by_status ON plan_versions (area_id, status);

-- Decisions and signatures on a plan version, in order.
CREATE TABLE plan_decisions (
    area_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    role TEXT NOT NULL,
    stands_for TEXT,
    reason TEXT,
    signed_for TEXT,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (area_id, child_id, version, seq),
    FOREIGN KEY (area_id, child_id, version) REFERENCES plan_versions (area_id, child_id, version)
);

-- Personal assistants, safeguarding concerns, risks (a child's, or the
-- area's when child_id is empty), review requests and gate exceptions.
CREATE TABLE case_records (
    area_id TEXT NOT NULL,
    id TEXT NOT NULL,
    child_id TEXT,
    kind TEXT NOT NULL,
    record TEXT NOT NULL,
    row_version BIGINT NOT NULL,
    recorded_at_ms BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (area_id, id),
    FOREIGN KEY (area_id, child_id) REFERENCES children (area_id, id)
);
CREATE INDEX case_records_by_child ON case_records (area_id, child_id);
