-- Allot foundation schema (SQLite). Keep in step with ../postgres/0001_foundation.sql:
-- a test applies both and compares the resulting schemas.
-- Money and instants are BIGINT (pence, Unix milliseconds); dates are ISO TEXT;
-- yes/no values are BIGINT 0/1 so one set of queries serves both engines.

CREATE TABLE areas (
    id TEXT NOT NULL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE organisations (
    id TEXT NOT NULL PRIMARY KEY,
    area_id TEXT NOT NULL REFERENCES areas (id),
    kind TEXT NOT NULL CHECK (kind IN ('council', 'nhs', 'school', 'provider')),
    name TEXT NOT NULL,
    code TEXT,
    created_at_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (area_id, id)
);

CREATE TABLE professionals (
    id TEXT NOT NULL PRIMARY KEY,
    area_id TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('sen_caseworker', 'social_worker', 'keyworker')),
    team TEXT NOT NULL,
    email TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (area_id, id),
    FOREIGN KEY (area_id, organisation_id) REFERENCES organisations (area_id, id)
);

CREATE TABLE children (
    id TEXT NOT NULL PRIMARY KEY,
    area_id TEXT NOT NULL REFERENCES areas (id),
    reference TEXT NOT NULL,
    legal_given_names TEXT NOT NULL,
    legal_family_name TEXT NOT NULL,
    preferred_name TEXT,
    sort_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    sex TEXT NOT NULL CHECK (sex IN ('female', 'male', 'unknown')),
    upn TEXT,
    nhs_number TEXT,
    address TEXT,
    postcode TEXT,
    address_protected BIGINT NOT NULL CHECK (address_protected IN (0, 1)),
    primary_need TEXT,
    ehc_plan_status TEXT NOT NULL,
    version BIGINT NOT NULL CHECK (version >= 1),
    created_at_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (area_id, reference),
    UNIQUE (area_id, id)
);
CREATE INDEX children_by_name ON children (area_id, sort_name, id);
CREATE INDEX children_by_date_of_birth ON children (area_id, date_of_birth, id);

CREATE TABLE family_members (
    id TEXT NOT NULL PRIMARY KEY,
    area_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    name TEXT NOT NULL,
    relationship TEXT NOT NULL,
    parental_responsibility BIGINT NOT NULL CHECK (parental_responsibility IN (0, 1)),
    contact_by TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    version BIGINT NOT NULL CHECK (version >= 1),
    created_at_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (area_id, id),
    FOREIGN KEY (area_id, child_id) REFERENCES children (area_id, id)
);
CREATE INDEX family_members_by_child ON family_members (child_id);

CREATE TABLE consents (
    id TEXT NOT NULL PRIMARY KEY,
    area_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    -- NULL: the young person gave consent themself.
    given_by_family_member_id TEXT,
    organisation_id TEXT NOT NULL,
    shares TEXT NOT NULL CHECK (shares IN ('education', 'health', 'social_care', 'whole_record')),
    given_on TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    withdrawn_at_ms BIGINT,
    withdrawn_by TEXT,
    CHECK ((withdrawn_at_ms IS NULL) = (withdrawn_by IS NULL)),
    FOREIGN KEY (area_id, child_id) REFERENCES children (area_id, id),
    FOREIGN KEY (area_id, given_by_family_member_id) REFERENCES family_members (area_id, id),
    FOREIGN KEY (area_id, organisation_id) REFERENCES organisations (area_id, id)
);
CREATE INDEX consents_by_child ON consents (child_id);

CREATE TABLE lead_assignments (
    id TEXT NOT NULL PRIMARY KEY,
    area_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    professional_id TEXT NOT NULL,
    from_ms BIGINT NOT NULL,
    until_ms BIGINT,
    assigned_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    CHECK (until_ms IS NULL OR until_ms >= from_ms),
    FOREIGN KEY (area_id, child_id) REFERENCES children (area_id, id),
    FOREIGN KEY (area_id, professional_id) REFERENCES professionals (area_id, id)
);
-- A child has at most one lead professional at a time.
CREATE UNIQUE INDEX lead_assignments_one_open ON lead_assignments (child_id) WHERE until_ms IS NULL;
CREATE INDEX lead_assignments_by_child ON lead_assignments (child_id, from_ms);
CREATE INDEX lead_assignments_open_by_professional ON lead_assignments (professional_id) WHERE until_ms IS NULL;

-- Who changed what, when: one row per change, written in the change's own transaction.
CREATE TABLE change_log (
    seq INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    area_id TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX change_log_by_entity ON change_log (entity_id, seq);
