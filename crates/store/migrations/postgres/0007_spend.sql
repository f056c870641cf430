-- Spend and direct-payment audits: statements of families' direct-payment
-- accounts and prepaid cards, and providers' invoice lines, each put against
-- a plan item by a rule or by a person; audits of direct payments.
-- Keep in step with ../sqlite/0007_spend.sql.

-- A file of spend imported: all of it or none of it.
CREATE TABLE spend_imports (
    area_id TEXT NOT NULL REFERENCES areas (id),
    id TEXT NOT NULL,
    format TEXT NOT NULL,
    file_name TEXT NOT NULL,
    lines BIGINT NOT NULL,
    added BIGINT NOT NULL,
    seen_before BIGINT NOT NULL,
    matched BIGINT NOT NULL,
    imported_at_ms BIGINT NOT NULL,
    imported_by TEXT NOT NULL,
    PRIMARY KEY (area_id, id)
);

-- One transaction or invoice line. A transaction is the same one again
-- when it is on the same child's account, in the same format, from the same
-- source (empty for a statement, the provider for an invoice) with the same
-- id: a file imported twice adds nothing. The key starts with the child, so
-- it also finds a child's spend: one index, kept as a file of millions of
-- lines goes in. Signed pence: negative is money out. item_key and
-- matched_by are empty until a rule or a person puts the line against an
-- item. import_id and import_line say which file and line it came from; the
-- spend_imports row is written first in the same
-- transaction (no foreign key: checking one per line would slow a large
-- import for nothing).
CREATE TABLE spend_lines (
    area_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    format TEXT NOT NULL,
    source TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    on_date TEXT NOT NULL,
    amount_pence BIGINT NOT NULL,
    description TEXT NOT NULL,
    merchant TEXT NOT NULL,
    category TEXT,
    item_key TEXT,
    matched_by TEXT,
    import_id TEXT NOT NULL,
    import_line BIGINT NOT NULL,
    PRIMARY KEY (area_id, child_id, format, source, transaction_id),
    FOREIGN KEY (area_id, child_id) REFERENCES children (area_id, id)
);

-- What a person taught Allot when they put a line against an item and
-- ticked "remember this": later lines like it go to that item.
CREATE TABLE spend_rules (
    area_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    field TEXT NOT NULL,
    pattern TEXT NOT NULL,
    item_key TEXT NOT NULL,
    made_at_ms BIGINT NOT NULL,
    made_by TEXT NOT NULL,
    PRIMARY KEY (area_id, child_id, seq),
    FOREIGN KEY (area_id, child_id) REFERENCES children (area_id, id)
);

-- Audits of a child's direct payment: the events of each, in order, only
-- ever added to (the domain's dp_audit works out where an audit stands).
CREATE TABLE dp_audits (
    area_id TEXT NOT NULL,
    id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    events BIGINT NOT NULL,
    PRIMARY KEY (area_id, id),
    FOREIGN KEY (area_id, child_id) REFERENCES children (area_id, id)
);
CREATE INDEX dp_audits_by_child ON dp_audits (area_id, child_id);

CREATE TABLE dp_audit_events (
    area_id TEXT NOT NULL,
    audit_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    event TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (area_id, audit_id, seq),
    FOREIGN KEY (area_id, audit_id) REFERENCES dp_audits (area_id, id)
);
