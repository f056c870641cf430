-- Money: the budget ledger (accounts and immutable transfers), payment
-- runs and their files, bank details, and the area's finance settings.
-- Keep in step with ../postgres/0006_money.sql.

-- One row per area, updated first by every ledger write so that the area's
-- ledger has one writer at a time; it also numbers the transfers.
CREATE TABLE ledger_heads (
    area_id TEXT NOT NULL PRIMARY KEY REFERENCES areas (id),
    transfers BIGINT NOT NULL
);

-- An account's running totals; its id is the domain's AccountKey text.
CREATE TABLE ledger_accounts (
    area_id TEXT NOT NULL REFERENCES areas (id),
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    child_id TEXT,
    debits_pending BIGINT NOT NULL,
    debits_posted BIGINT NOT NULL,
    credits_pending BIGINT NOT NULL,
    credits_posted BIGINT NOT NULL,
    PRIMARY KEY (area_id, id),
    FOREIGN KEY (area_id, child_id) REFERENCES children (area_id, id)
);
CREATE INDEX ledger_accounts_by_child ON ledger_accounts (area_id, child_id);

-- Transfers are only ever inserted. A transfer that posts, voids or
-- reverses another names it in target_id, which is unique: a pending
-- transfer is resolved at most once and a transfer reversed at most once.
CREATE TABLE ledger_transfers (
    area_id TEXT NOT NULL,
    id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    debit_account TEXT NOT NULL,
    credit_account TEXT NOT NULL,
    amount_pence BIGINT NOT NULL,
    kind TEXT NOT NULL,
    phase TEXT NOT NULL,
    target_id TEXT,
    child_id TEXT,
    item_key TEXT,
    on_date TEXT NOT NULL,
    reference TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (area_id, id),
    UNIQUE (area_id, target_id),
    UNIQUE (area_id, seq),
    FOREIGN KEY (area_id, debit_account) REFERENCES ledger_accounts (area_id, id),
    FOREIGN KEY (area_id, credit_account) REFERENCES ledger_accounts (area_id, id),
    FOREIGN KEY (area_id, child_id) REFERENCES children (area_id, id)
);
CREATE INDEX ledger_transfers_by_child ON ledger_transfers (area_id, child_id, on_date);
CREATE INDEX ledger_transfers_by_phase ON ledger_transfers (area_id, phase, on_date);

-- A payment run: the payments due on one day, its Bacs file and journal.
CREATE TABLE payment_runs (
    area_id TEXT NOT NULL REFERENCES areas (id),
    id TEXT NOT NULL,
    number BIGINT NOT NULL,
    run_date TEXT NOT NULL,
    status TEXT NOT NULL,
    payments BIGINT NOT NULL,
    total_pence BIGINT NOT NULL,
    held TEXT NOT NULL,
    bacs TEXT NOT NULL,
    journal TEXT NOT NULL,
    prepared_at_ms BIGINT NOT NULL,
    prepared_by TEXT NOT NULL,
    decided_at_ms BIGINT,
    decided_by TEXT,
    reason TEXT,
    PRIMARY KEY (area_id, id),
    UNIQUE (area_id, number)
);

-- The pending transfers a run pays. A transfer is in at most one run; a
-- cancelled run lets go of its transfers so a later run can pay them.
CREATE TABLE payment_run_items (
    area_id TEXT NOT NULL,
    transfer_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    PRIMARY KEY (area_id, transfer_id),
    FOREIGN KEY (area_id, transfer_id) REFERENCES ledger_transfers (area_id, id),
    FOREIGN KEY (area_id, run_id) REFERENCES payment_runs (area_id, id)
);
CREATE INDEX payment_run_items_by_run ON payment_run_items (area_id, run_id);

-- Bank details of a payee account (a family's direct-payment account or an
-- organisation), in order. A change is proposed by one person and becomes
-- current only when a second person confirms it.
CREATE TABLE bank_details (
    area_id TEXT NOT NULL REFERENCES areas (id),
    account TEXT NOT NULL,
    seq BIGINT NOT NULL,
    status TEXT NOT NULL,
    details TEXT NOT NULL,
    reason TEXT NOT NULL,
    proposed_at_ms BIGINT NOT NULL,
    proposed_by TEXT NOT NULL,
    decided_at_ms BIGINT,
    decided_by TEXT,
    PRIMARY KEY (area_id, account, seq)
);

-- The area's finance settings (the council's bank account for Bacs,
-- monitoring thresholds, audit intervals): published versions, never changed.
CREATE TABLE finance_settings (
    area_id TEXT NOT NULL REFERENCES areas (id),
    version BIGINT NOT NULL,
    content TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    published_at_ms BIGINT NOT NULL,
    published_by TEXT NOT NULL,
    PRIMARY KEY (area_id, version)
);
