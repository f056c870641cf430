-- Receipts families send for what the direct payment bought, each with the
-- file exactly as sent (at most 5 MB, checked before it gets here). The
-- list of a child's receipts never reads the bytes; opening one does.
-- Keep in step with ../sqlite/0008_receipts.sql.
CREATE TABLE receipts (
    area_id TEXT NOT NULL,
    id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    spent_on TEXT NOT NULL,
    amount_pence BIGINT NOT NULL,
    what TEXT NOT NULL,
    item_key TEXT,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    sent_at_ms BIGINT NOT NULL,
    sent_by TEXT NOT NULL,
    PRIMARY KEY (area_id, id),
    FOREIGN KEY (area_id, child_id) REFERENCES children (area_id, id)
);
CREATE INDEX receipts_by_child ON receipts (area_id, child_id, spent_on);
