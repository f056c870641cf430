-- Spend lines keyed by small integers: a statement of ten million lines
-- must go in at close to the speed the database can write a bare table, and
-- repeating the area, child, format and source as text on every line (and
-- in both of its indexes) roughly doubled the cost. A child's account in one
-- format from one source is now named once, in spend_accounts, and each line
-- carries its number; each import is numbered likewise.
-- Keep in step with ../postgres/0009_spend_accounts.sql.

-- Where a child's lines come from: their family's direct-payment account or
-- prepaid card in one statement format (source empty), or a provider's
-- invoices (source = the provider).
CREATE TABLE spend_accounts (
    no INTEGER PRIMARY KEY,
    area_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    format TEXT NOT NULL,
    source TEXT NOT NULL,
    UNIQUE (area_id, child_id, format, source),
    FOREIGN KEY (area_id, child_id) REFERENCES children (area_id, id)
);
INSERT INTO spend_accounts (area_id, child_id, format, source)
    SELECT DISTINCT area_id, child_id, format, source FROM spend_lines ORDER BY 1, 2, 3, 4;

CREATE TABLE spend_imports_numbered (
    no INTEGER PRIMARY KEY,
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
    UNIQUE (area_id, id)
);
INSERT INTO spend_imports_numbered (area_id, id, format, file_name, lines, added, seen_before, matched,
        imported_at_ms, imported_by)
    SELECT area_id, id, format, file_name, lines, added, seen_before, matched, imported_at_ms, imported_by
    FROM spend_imports ORDER BY imported_at_ms, id;
DROP TABLE spend_imports;
ALTER TABLE spend_imports_numbered RENAME TO spend_imports;

-- One transaction or invoice line: the same transaction again when it has
-- the same id on the same account, so a file imported twice adds nothing.
-- The key also finds an account's lines. No index by date: a family's
-- account has thousands of lines a year, not millions, so a child's year is
-- found by reading their lines, while a second index over every line cost a
-- large import a third of its time. No foreign keys, for the same reason
-- (the account and the import are written first, in the same transaction).
CREATE TABLE spend_lines_numbered (
    account_no BIGINT NOT NULL,
    transaction_id TEXT NOT NULL,
    on_date TEXT NOT NULL,
    amount_pence BIGINT NOT NULL,
    description TEXT NOT NULL,
    merchant TEXT NOT NULL,
    category TEXT,
    item_key TEXT,
    matched_by TEXT,
    import_no BIGINT NOT NULL,
    import_line BIGINT NOT NULL,
    PRIMARY KEY (account_no, transaction_id)
);
INSERT INTO spend_lines_numbered (account_no, transaction_id, on_date, amount_pence, description, merchant, category,
        item_key, matched_by, import_no, import_line)
    SELECT a.no, l.transaction_id, l.on_date, l.amount_pence, l.description, l.merchant, l.category, l.item_key,
        l.matched_by, i.no, l.import_line
    FROM spend_lines l
    JOIN spend_accounts a ON a.area_id = l.area_id AND a.child_id = l.child_id AND a.format = l.format
        AND a.source = l.source
    JOIN spend_imports i ON i.area_id = l.area_id AND i.id = l.import_id;
DROP TABLE spend_lines;
ALTER TABLE spend_lines_numbered RENAME TO spend_lines;
