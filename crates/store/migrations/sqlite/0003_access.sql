-- People and access: users, sessions, sign-in attempts, organisations'
-- involvement with children, and the tamper-evident audit trail.
-- Keep in step with ../postgres/0003_access.sql.

-- How an organisation is involved with a child; it gives the organisation's
-- staff their access, and ending it takes that access away at once.
CREATE TABLE involvements (
    id TEXT NOT NULL PRIMARY KEY,
    area_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('school_placement', 'isf_holder', 'commissioned', 'health_funding')),
    from_date TEXT NOT NULL,
    -- The first day it no longer applies.
    until_date TEXT,
    recorded_at_ms BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    CHECK (until_date IS NULL OR until_date >= from_date),
    UNIQUE (area_id, id),
    FOREIGN KEY (area_id, child_id) REFERENCES children (area_id, id),
    FOREIGN KEY (area_id, organisation_id) REFERENCES organisations (area_id, id)
);
CREATE INDEX involvements_by_child ON involvements (child_id);
CREATE INDEX involvements_by_organisation ON involvements (organisation_id, kind);

CREATE TABLE users (
    id TEXT NOT NULL PRIMARY KEY,
    area_id TEXT NOT NULL REFERENCES areas (id),
    -- Sign-in names are unique across the whole service: sign-in does not
    -- ask which area.
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    organisation_id TEXT,
    professional_id TEXT,
    -- An argon2id hash in PHC form; NULL for someone who signs in only
    -- through the council's identity provider.
    password_hash TEXT,
    -- The TOTP secret (base32), and the last time step used, so a code
    -- cannot be replayed.
    totp_secret TEXT,
    totp_last_step BIGINT,
    disabled BIGINT NOT NULL CHECK (disabled IN (0, 1)),
    created_at_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (area_id, id),
    FOREIGN KEY (area_id, organisation_id) REFERENCES organisations (area_id, id),
    FOREIGN KEY (area_id, professional_id) REFERENCES professionals (area_id, id)
);

CREATE TABLE user_teams (
    user_id TEXT NOT NULL REFERENCES users (id),
    team TEXT NOT NULL,
    PRIMARY KEY (user_id, team)
);

CREATE TABLE user_children (
    user_id TEXT NOT NULL,
    area_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    PRIMARY KEY (user_id, child_id),
    FOREIGN KEY (area_id, user_id) REFERENCES users (area_id, id),
    FOREIGN KEY (area_id, child_id) REFERENCES children (area_id, id)
);

-- Server-side sessions. Only a hash of the token is stored, so a copy of
-- the database cannot be used to sign in.
CREATE TABLE sessions (
    token_hash TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    last_seen_ms BIGINT NOT NULL,
    second_factor_at_ms BIGINT,
    ended_at_ms BIGINT,
    ended_reason TEXT
);
CREATE INDEX sessions_open_by_user ON sessions (user_id) WHERE ended_at_ms IS NULL;

-- Every sign-in attempt, known user or not (failures are slowed by these).
CREATE TABLE sign_in_attempts (
    username TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    succeeded BIGINT NOT NULL CHECK (succeeded IN (0, 1)),
    reason TEXT NOT NULL
);
CREATE INDEX sign_in_attempts_by_username ON sign_in_attempts (username, at_ms);

-- The audit trail: a hash chain per area (see allot_domain::audit).
CREATE TABLE audit_trail (
    area_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    child_id TEXT,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (area_id, seq)
);
CREATE INDEX audit_trail_by_child ON audit_trail (area_id, child_id, seq);
CREATE INDEX audit_trail_by_entity ON audit_trail (area_id, entity_id, seq);

-- The last entry of each area's chain. Appending updates this row first,
-- which also makes concurrent appends in one area take turns.
CREATE TABLE audit_heads (
    area_id TEXT NOT NULL PRIMARY KEY REFERENCES areas (id),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);

-- The change log becomes the start of the audit trail; the migration seals
-- these entries (computes their hashes) in the same transaction.
INSERT INTO audit_trail (area_id, seq, at_ms, actor, role, child_id, entity, entity_id, action, outcome, detail, prev_hash, hash)
SELECT area_id, ROW_NUMBER() OVER (PARTITION BY area_id ORDER BY seq), at_ms, actor, 'system',
       CASE WHEN entity = 'child' THEN entity_id END, entity, entity_id, action, 'allowed', detail, '', ''
FROM change_log;
INSERT INTO audit_heads (area_id, seq, hash)
SELECT id, 0, '0000000000000000000000000000000000000000000000000000000000000000' FROM areas;
DROP TABLE change_log;
