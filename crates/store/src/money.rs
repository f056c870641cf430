//! Storage for money: the budget ledger, budgets set up from agreed plans,
//! payment runs and bank details. The rules are the domain's (`Ledger`,
//! `year_money`, the run's files); this module loads what they need, in the
//! write transaction, and keeps what they decided.
//!
//! Every ledger write starts by updating the area's `ledger_heads` row, so
//! an area's ledger has one writer at a time on both engines (a row lock on
//! PostgreSQL, the write lock on SQLite): balances read in a transaction
//! stay true until it commits, and two payment runs cannot pay the same
//! instalment.

use crate::rows::Reader;
use crate::sql::{SqlStore, exists_in_area, log_change};
use crate::{PaymentRun, PublishedFinanceSettings, RunOutcome, StoreError, StoreResult, StoredTransfer, pathway};
use allot_domain::finance::bank::{BankChange, BankChangeStatus, BankDetails};
use allot_domain::finance::budget::{AgreedPlan, year_money};
use allot_domain::finance::ledger::{
    AccountKey, Applied, Balances, Ledger, Phase, Transfer, TransferError, TransferKind,
};
use allot_domain::finance::run::{Held, Payee, Prepared, RunStatus, prepare};
use allot_domain::finance::settings::FinanceSettings;
use allot_domain::ids::PaymentRunId;
use allot_domain::ids::TransferId;
use allot_domain::pathway::signoff::PlanStatus;
use allot_domain::{Actor, AreaId, ChildId, FinancialYear, Pence, Stamp};
use jiff::civil::Date;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool};
use std::collections::{BTreeMap, HashSet};

pub(crate) const TRANSFER_COLUMNS: &str = "id, seq, debit_account, credit_account, amount_pence, kind, phase, target_id, \
     item_key, on_date, reference, recorded_at_ms, recorded_by";

pub(crate) fn stored_transfer(row: &AnyRow) -> StoreResult<StoredTransfer> {
    let r = Reader { row, table: "ledger_transfers" };
    let target: Option<TransferId> = r.opt_parsed("target_id", |s| s.parse())?;
    let phase = r.text("phase")?;
    Ok(StoredTransfer {
        transfer: Transfer {
            id: r.parsed("id", |s| s.parse())?,
            debit: r.parsed("debit_account", AccountKey::parse)?,
            credit: r.parsed("credit_account", AccountKey::parse)?,
            amount: Pence::new(r.int("amount_pence")?),
            kind: r.parsed("kind", TransferKind::parse)?,
            phase: Phase::from_parts(&phase, target).map_err(|e| r.corrupt("phase", e))?,
            item: r.opt_text("item_key")?,
            on: r.parsed("on_date", |s| s.parse::<Date>())?,
            reference: r.text("reference")?,
        },
        seq: r.int("seq")?,
        recorded_at: r.time("recorded_at_ms")?,
        recorded_by: r.parsed("recorded_by", Actor::parse)?,
    })
}

fn balances(row: &AnyRow) -> StoreResult<(AccountKey, Balances)> {
    let r = Reader { row, table: "ledger_accounts" };
    Ok((
        r.parsed("id", AccountKey::parse)?,
        Balances {
            debits_pending: Pence::new(r.int("debits_pending")?),
            debits_posted: Pence::new(r.int("debits_posted")?),
            credits_pending: Pence::new(r.int("credits_pending")?),
            credits_posted: Pence::new(r.int("credits_posted")?),
        },
    ))
}

const ACCOUNT_COLUMNS: &str = "id, debits_pending, debits_posted, credits_pending, credits_posted";

/// The part of an area's ledger one write transaction works on: loaded on
/// demand, checked by the domain's `Ledger`, saved at the end.
pub(crate) struct Books {
    area: AreaId,
    pub(crate) ledger: Ledger,
    accounts: HashSet<AccountKey>,
    looked_up: HashSet<TransferId>,
    children: HashSet<ChildId>,
    next_seq: i64,
}

impl Books {
    /// Takes the area's ledger for this transaction.
    pub(crate) async fn open(conn: &mut AnyConnection, area: AreaId) -> StoreResult<Books> {
        sqlx::query("INSERT INTO ledger_heads (area_id, transfers) VALUES ($1, 0) ON CONFLICT (area_id) DO NOTHING")
            .bind(area.to_string())
            .execute(&mut *conn)
            .await?;
        sqlx::query("UPDATE ledger_heads SET transfers = transfers WHERE area_id = $1")
            .bind(area.to_string())
            .execute(&mut *conn)
            .await?;
        let (count,): (i64,) = sqlx::query_as("SELECT transfers FROM ledger_heads WHERE area_id = $1")
            .bind(area.to_string())
            .fetch_one(&mut *conn)
            .await?;
        Ok(Books {
            area,
            ledger: Ledger::default(),
            accounts: HashSet::new(),
            looked_up: HashSet::new(),
            children: HashSet::new(),
            next_seq: count + 1,
        })
    }

    fn load_rows(&mut self, rows: &[AnyRow]) -> StoreResult<Vec<TransferId>> {
        let mut ids = Vec::with_capacity(rows.len());
        for row in rows {
            let t = stored_transfer(row)?.transfer;
            ids.push(t.id);
            self.ledger.load_transfer(t);
        }
        Ok(ids)
    }

    /// Loads all of a child's accounts and transfers.
    pub(crate) async fn load_child(&mut self, conn: &mut AnyConnection, child: ChildId) -> StoreResult<()> {
        if !self.children.insert(child) {
            return Ok(());
        }
        let rows =
            sqlx::query(&format!("SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE area_id = $1 AND child_id = $2"))
                .bind(self.area.to_string())
                .bind(child.to_string())
                .fetch_all(&mut *conn)
                .await?;
        for row in &rows {
            let (key, b) = balances(row)?;
            if self.accounts.insert(key.clone()) {
                self.ledger.load_account(key, b);
            }
        }
        let rows = sqlx::query(&format!(
            "SELECT {TRANSFER_COLUMNS} FROM ledger_transfers WHERE area_id = $1 AND child_id = $2"
        ))
        .bind(self.area.to_string())
        .bind(child.to_string())
        .fetch_all(&mut *conn)
        .await?;
        // A child's transfers and whatever settles them are all the child's,
        // so each of them is fully looked up.
        let ids = self.load_rows(&rows)?;
        self.looked_up.extend(ids);
        Ok(())
    }

    async fn need_account(&mut self, conn: &mut AnyConnection, key: &AccountKey) -> StoreResult<()> {
        if self.accounts.contains(key) {
            return Ok(());
        }
        let row = sqlx::query(&format!("SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE area_id = $1 AND id = $2"))
            .bind(self.area.to_string())
            .bind(key.to_string())
            .fetch_optional(&mut *conn)
            .await?;
        let b = row.as_ref().map(balances).transpose()?.map(|(_, b)| b).unwrap_or_default();
        self.accounts.insert(key.clone());
        self.ledger.load_account(key.clone(), b);
        Ok(())
    }

    /// Loads a transfer and whatever resolved or reversed it.
    async fn need_transfer(&mut self, conn: &mut AnyConnection, id: TransferId) -> StoreResult<()> {
        if self.looked_up.contains(&id) {
            return Ok(());
        }
        let rows = sqlx::query(&format!(
            "SELECT {TRANSFER_COLUMNS} FROM ledger_transfers WHERE area_id = $1 AND (id = $2 OR target_id = $2)"
        ))
        .bind(self.area.to_string())
        .bind(id.to_string())
        .fetch_all(&mut *conn)
        .await?;
        self.looked_up.insert(id);
        self.load_rows(&rows).map(drop)
    }

    /// A stored transfer, if there is one with this id.
    pub(crate) async fn transfer(&mut self, conn: &mut AnyConnection, id: TransferId) -> StoreResult<Option<Transfer>> {
        self.need_transfer(conn, id).await?;
        Ok(self.ledger.transfer(id).cloned())
    }

    async fn prepare(&mut self, conn: &mut AnyConnection, t: &Transfer) -> StoreResult<()> {
        self.need_transfer(conn, t.id).await?;
        if let Some(target) = t.phase.target() {
            self.need_transfer(conn, target).await?;
        }
        self.need_account(conn, &t.debit).await?;
        self.need_account(conn, &t.credit).await
    }

    /// Checks and applies one transfer (saved with the rest by `save`).
    pub(crate) async fn apply(
        &mut self,
        conn: &mut AnyConnection,
        t: &Transfer,
    ) -> StoreResult<Result<Applied, TransferError>> {
        self.prepare(conn, t).await?;
        Ok(self.ledger.apply(t))
    }

    /// Takes money back from a budget, no more than it has left.
    pub(crate) async fn take_back(
        &mut self,
        conn: &mut AnyConnection,
        t: &Transfer,
    ) -> StoreResult<Result<Applied, TransferError>> {
        self.prepare(conn, t).await?;
        Ok(self.ledger.take_back(t))
    }

    /// Writes the transfers applied since `open` and the balances they
    /// changed; returns them.
    pub(crate) async fn save(self, conn: &mut AnyConnection, stamp: &Stamp) -> StoreResult<Vec<Transfer>> {
        let created: Vec<Transfer> = self.ledger.created().cloned().collect();
        let touched: std::collections::BTreeSet<&AccountKey> =
            created.iter().flat_map(|t| [&t.debit, &t.credit]).collect();
        for key in touched {
            let b = self.ledger.balances(key);
            sqlx::query(
                "INSERT INTO ledger_accounts (area_id, id, kind, child_id, debits_pending, debits_posted, \
                 credits_pending, credits_posted) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (area_id, id) DO UPDATE SET debits_pending = excluded.debits_pending, \
                 debits_posted = excluded.debits_posted, credits_pending = excluded.credits_pending, \
                 credits_posted = excluded.credits_posted",
            )
            .bind(self.area.to_string())
            .bind(key.to_string())
            .bind(key.kind())
            .bind(key.child().map(|c| c.to_string()))
            .bind(b.debits_pending.pence())
            .bind(b.debits_posted.pence())
            .bind(b.credits_pending.pence())
            .bind(b.credits_posted.pence())
            .execute(&mut *conn)
            .await?;
        }
        let mut seq = self.next_seq;
        for t in &created {
            sqlx::query(
                "INSERT INTO ledger_transfers (area_id, id, seq, debit_account, credit_account, amount_pence, kind, \
                 phase, target_id, child_id, item_key, on_date, reference, recorded_at_ms, recorded_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(self.area.to_string())
            .bind(t.id.to_string())
            .bind(seq)
            .bind(t.debit.to_string())
            .bind(t.credit.to_string())
            .bind(t.amount.pence())
            .bind(t.kind.code())
            .bind(t.phase.code())
            .bind(t.phase.target().map(|id| id.to_string()))
            .bind(t.child().map(|c| c.to_string()))
            .bind(t.item.clone())
            .bind(t.on.to_string())
            .bind(&t.reference)
            .bind(stamp.at.as_millisecond())
            .bind(stamp.by.to_string())
            .execute(&mut *conn)
            .await?;
            seq += 1;
        }
        sqlx::query("UPDATE ledger_heads SET transfers = $1 WHERE area_id = $2")
            .bind(seq - 1)
            .bind(self.area.to_string())
            .execute(&mut *conn)
            .await?;
        Ok(created)
    }
}

/// Brings a child's budgets and reserved instalments for `year` into line
/// with their agreed plans: sets up budgets, voids the reserved payments of
/// a replaced plan, takes back what the replaced plan no longer needs and
/// reserves the new plan's instalments. Working it out again changes
/// nothing. Returns what could not be done, in words.
pub(crate) async fn sync_year(
    conn: &mut AnyConnection,
    books: &mut Books,
    child: ChildId,
    year: FinancialYear,
    today: Date,
) -> StoreResult<Vec<String>> {
    let versions = pathway::plan_versions(conn, books.area, Some(child)).await?;
    let agreed: Vec<AgreedPlan<'_>> = versions
        .iter()
        .filter_map(|v| {
            v.agreed_on().map(|agreed_on| AgreedPlan { version: v.version, agreed_on, content: &v.content })
        })
        .collect();
    let Some(latest) = agreed.iter().max_by_key(|p| (p.agreed_on, p.version)).map(|p| p.version) else {
        return Ok(Vec::new());
    };
    let money = year_money(child, &agreed, None, year);
    books.load_child(conn, child).await?;
    let wanted: HashSet<TransferId> = money.instalments.iter().map(|t| t.id).collect();
    let stale: Vec<Transfer> = books
        .ledger
        .transfers()
        .filter(|t| {
            t.phase == Phase::Pending
                && t.kind == TransferKind::Payment
                && t.child() == Some(child)
                && year.contains(t.on)
                && !books.ledger.is_settled(t.id)
                && !wanted.contains(&t.id)
        })
        .cloned()
        .collect();
    let mut problems = Vec::new();
    let mut outcome = |what: &str, result: Result<Applied, TransferError>| {
        if let Err(e) = result {
            problems.push(format!("{what}: {e}"));
        }
    };
    for t in stale {
        let void_id = TransferId::derived(&format!("void/{}", t.id));
        let void = Transfer::void(void_id, &t, today, &format!("Plan version {latest} replaced it"));
        outcome(&t.reference, books.apply(conn, &void).await?);
    }
    for t in &money.budgets {
        let result = match t.kind {
            TransferKind::Reduction => books.take_back(conn, t).await?,
            _ => books.apply(conn, t).await?,
        };
        outcome(&t.reference, result);
    }
    for t in &money.instalments {
        outcome(&t.reference, books.apply(conn, t).await?);
    }
    Ok(problems)
}

/// Sets up a child's money after a plan was agreed, recording what was
/// done in the audit trail with the plan decision.
pub(crate) async fn plan_agreed(
    conn: &mut AnyConnection,
    area: AreaId,
    child: ChildId,
    on: Date,
    stamp: &Stamp,
) -> StoreResult<()> {
    let mut books = Books::open(conn, area).await?;
    let year = FinancialYear::containing(on);
    let problems = sync_year(conn, &mut books, child, year, on).await?;
    let created = books.save(conn, stamp).await?;
    let budget = Pence::checked_sum(created.iter().filter(|t| t.kind == TransferKind::Budget).map(|t| t.amount))
        .ok_or_else(|| StoreError::Refused("the budget is too large".into()))?;
    let detail = serde_json::json!({
        "year": year.to_string(),
        "transfers": created.len(),
        "budget_set_up_pence": budget.pence(),
        "problems": problems,
    });
    log_change(conn, area, stamp, Some(child), "budget", &child.to_string(), "set_up", detail).await
}

// Reading and checking the ledger

pub(crate) async fn record_transfer(
    db: &SqlStore,
    area: AreaId,
    transfer: &Transfer,
    stamp: &Stamp,
) -> StoreResult<Applied> {
    let mut tx = db.write().await?;
    let mut books = Books::open(&mut tx, area).await?;
    let applied = books.apply(&mut tx, transfer).await??;
    if applied == Applied::Created {
        books.save(&mut tx, stamp).await?;
        let detail = serde_json::json!({
            "debit": transfer.debit.to_string(),
            "credit": transfer.credit.to_string(),
            "amount_pence": transfer.amount.pence(),
            "kind": transfer.kind.code(),
            "phase": transfer.phase.code(),
            "reference": transfer.reference,
        });
        log_change(&mut tx, area, stamp, transfer.child(), "transfer", &transfer.id.to_string(), "record", detail)
            .await?;
    }
    tx.commit().await?;
    Ok(applied)
}

pub(crate) async fn ledger_accounts(
    pool: &AnyPool,
    area: AreaId,
    child: Option<ChildId>,
) -> StoreResult<Vec<(AccountKey, Balances)>> {
    let rows = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE area_id = $1 AND ($2 = '' OR child_id = $2) ORDER BY id"
    ))
    .bind(area.to_string())
    .bind(child.map(|c| c.to_string()).unwrap_or_default())
    .fetch_all(pool)
    .await?;
    rows.iter().map(balances).collect()
}

pub(crate) async fn transfers(
    pool: &AnyPool,
    area: AreaId,
    child: Option<ChildId>,
) -> StoreResult<Vec<StoredTransfer>> {
    let rows = sqlx::query(&format!(
        "SELECT {TRANSFER_COLUMNS} FROM ledger_transfers WHERE area_id = $1 AND ($2 = '' OR child_id = $2) ORDER BY seq"
    ))
    .bind(area.to_string())
    .bind(child.map(|c| c.to_string()).unwrap_or_default())
    .fetch_all(pool)
    .await?;
    rows.iter().map(stored_transfer).collect()
}

pub(crate) async fn verify_ledger(pool: &AnyPool, area: AreaId) -> StoreResult<Vec<String>> {
    let accounts = ledger_accounts(pool, area, None).await?;
    let transfers = transfers(pool, area, None).await?;
    Ok(allot_domain::finance::ledger::verify(
        accounts.iter().map(|(k, b)| (k, b)),
        transfers.iter().map(|t| &t.transfer),
    ))
}

// Finance settings

fn published_settings(row: &AnyRow) -> StoreResult<PublishedFinanceSettings> {
    let r = Reader { row, table: "finance_settings" };
    let content = r.text("content")?;
    let settings = FinanceSettings::parse(&content)
        .map_err(|e| r.corrupt("content", format!("the stored settings no longer parse: {:?}", e.first())))?;
    Ok(PublishedFinanceSettings {
        version: r.int("version")?,
        settings,
        content,
        content_hash: r.text("content_hash")?,
        published_at: r.time("published_at_ms")?,
        published_by: r.parsed("published_by", Actor::parse)?,
    })
}

pub(crate) async fn publish_finance_settings(
    db: &SqlStore,
    area: AreaId,
    content: &str,
    stamp: &Stamp,
) -> StoreResult<PublishedFinanceSettings> {
    let settings = FinanceSettings::parse(content).map_err(|e| {
        let lines: Vec<String> = e.iter().map(|p| format!("line {}: {}", p.line, p.message)).collect();
        StoreError::Refused(lines.join("; "))
    })?;
    let mut tx = db.write().await?;
    let (version, content_hash) =
        pathway::publish_version(&mut tx, ("finance_settings", "finance_settings"), area, content, stamp).await?;
    tx.commit().await?;
    Ok(PublishedFinanceSettings {
        version,
        settings,
        content: content.to_owned(),
        content_hash,
        published_at: stamp.at,
        published_by: stamp.by.clone(),
    })
}

pub(crate) async fn finance_settings(
    conn: &mut AnyConnection,
    area: AreaId,
) -> StoreResult<Option<PublishedFinanceSettings>> {
    let row = sqlx::query(
        "SELECT version, content, content_hash, published_at_ms, published_by FROM finance_settings \
         WHERE area_id = $1 ORDER BY version DESC LIMIT 1",
    )
    .bind(area.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(published_settings).transpose()
}

// Bank details

const BANK_COLUMNS: &str = "seq, status, details, reason, proposed_at_ms, proposed_by, decided_at_ms, decided_by";

fn bank_change(row: &AnyRow) -> StoreResult<BankChange> {
    let r = Reader { row, table: "bank_details" };
    Ok(BankChange {
        seq: r.int("seq")?,
        status: r.parsed("status", BankChangeStatus::parse)?,
        details: r.parsed("details", |s| serde_json::from_str::<BankDetails>(s))?,
        reason: r.text("reason")?,
        proposed_by: r.parsed("proposed_by", Actor::parse)?,
        proposed_at: r.time("proposed_at_ms")?,
        decided_by: r.opt_parsed("decided_by", Actor::parse)?,
        decided_at: r.opt_time("decided_at_ms")?,
    })
}

/// Bank details, oldest first per payee account: one account's, or every
/// account's in the area.
pub(crate) async fn bank_details(
    conn: &mut AnyConnection,
    area: AreaId,
    account: Option<&AccountKey>,
) -> StoreResult<Vec<(AccountKey, BankChange)>> {
    let rows = sqlx::query(&format!(
        "SELECT account, {BANK_COLUMNS} FROM bank_details WHERE area_id = $1 AND ($2 = '' OR account = $2) \
         ORDER BY account, seq"
    ))
    .bind(area.to_string())
    .bind(account.map(ToString::to_string).unwrap_or_default())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let account = Reader { row, table: "bank_details" }.parsed("account", AccountKey::parse)?;
            Ok((account, bank_change(row)?))
        })
        .collect()
}

/// One payee account's bank details, oldest first.
async fn account_bank_details(
    conn: &mut AnyConnection,
    area: AreaId,
    account: &AccountKey,
) -> StoreResult<Vec<BankChange>> {
    Ok(bank_details(conn, area, Some(account)).await?.into_iter().map(|(_, c)| c).collect())
}

/// Payee accounts exist for a child in the area or an organisation in it.
async fn payee_exists(conn: &mut AnyConnection, area: AreaId, account: &AccountKey) -> StoreResult<()> {
    let found = match account {
        AccountKey::DirectPayment { child } => exists_in_area(conn, "children", area, &child.to_string()).await?,
        AccountKey::Organisation { organisation } => {
            exists_in_area(conn, "organisations", area, &organisation.to_string()).await?
        }
        _ => false,
    };
    if found { Ok(()) } else { Err(StoreError::NotFound) }
}

pub(crate) async fn propose_bank_details(
    db: &SqlStore,
    area: AreaId,
    account: &AccountKey,
    details: &BankDetails,
    reason: &str,
    stamp: &Stamp,
) -> StoreResult<BankChange> {
    let mut tx = db.write().await?;
    payee_exists(&mut tx, area, account).await?;
    let seq = i64::try_from(account_bank_details(&mut tx, area, account).await?.len()).expect("small") + 1;
    sqlx::query(
        "INSERT INTO bank_details (area_id, account, seq, status, details, reason, proposed_at_ms, proposed_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(area.to_string())
    .bind(account.to_string())
    .bind(seq)
    .bind(BankChangeStatus::Proposed.code())
    .bind(serde_json::to_string(details).expect("bank details serialise"))
    .bind(reason)
    .bind(stamp.at.as_millisecond())
    .bind(stamp.by.to_string())
    .execute(&mut *tx)
    .await?;
    // The audit trail never holds the account number itself.
    let detail = serde_json::json!({ "seq": seq, "reason": reason, "account_number": details.account_number.masked() });
    log_change(&mut tx, area, stamp, account.child(), "bank_details", &account.to_string(), "propose", detail).await?;
    let change = account_bank_details(&mut tx, area, account).await?.pop().ok_or(StoreError::NotFound)?;
    tx.commit().await?;
    Ok(change)
}

pub(crate) async fn decide_bank_details(
    db: &SqlStore,
    area: AreaId,
    account: &AccountKey,
    seq: i64,
    confirm: bool,
    stamp: &Stamp,
) -> StoreResult<BankChange> {
    let mut tx = db.write().await?;
    let changes = account_bank_details(&mut tx, area, account).await?;
    let change = changes.iter().find(|c| c.seq == seq).ok_or(StoreError::NotFound)?;
    change.may_decide(&stamp.by).map_err(|e| StoreError::Refused(e.into()))?;
    let set = |status: BankChangeStatus, which: i64| {
        sqlx::query(
            "UPDATE bank_details SET status = $1, decided_at_ms = COALESCE(decided_at_ms, $2), \
             decided_by = COALESCE(decided_by, $3) WHERE area_id = $4 AND account = $5 AND seq = $6",
        )
        .bind(status.code())
        .bind(stamp.at.as_millisecond())
        .bind(stamp.by.to_string())
        .bind(area.to_string())
        .bind(account.to_string())
        .bind(which)
    };
    if confirm {
        for old in changes.iter().filter(|c| c.status == BankChangeStatus::Current) {
            set(BankChangeStatus::Replaced, old.seq).execute(&mut *tx).await?;
        }
    }
    let status = if confirm { BankChangeStatus::Current } else { BankChangeStatus::Rejected };
    set(status, seq).execute(&mut *tx).await?;
    let detail = serde_json::json!({ "seq": seq, "status": status.code() });
    let action = if confirm { "confirm" } else { "reject" };
    log_change(&mut tx, area, stamp, account.child(), "bank_details", &account.to_string(), action, detail).await?;
    let decided = account_bank_details(&mut tx, area, account).await?.into_iter().find(|c| c.seq == seq);
    tx.commit().await?;
    decided.ok_or(StoreError::NotFound)
}

// Payment runs

const RUN_COLUMNS: &str = "id, number, run_date, status, payments, total_pence, held, bacs, journal, prepared_at_ms, \
     prepared_by, decided_at_ms, decided_by, reason";

fn payment_run(row: &AnyRow) -> StoreResult<PaymentRun> {
    let r = Reader { row, table: "payment_runs" };
    Ok(PaymentRun {
        id: r.parsed("id", |s| s.parse())?,
        number: r.int("number")?,
        run_date: r.parsed("run_date", |s| s.parse::<Date>())?,
        status: r.parsed("status", RunStatus::parse)?,
        payments: r.int("payments")?,
        total: Pence::new(r.int("total_pence")?),
        held: r.parsed("held", |s| serde_json::from_str::<Vec<Held>>(s))?,
        bacs: r.text("bacs")?,
        journal: r.text("journal")?,
        prepared_at: r.time("prepared_at_ms")?,
        prepared_by: r.parsed("prepared_by", Actor::parse)?,
        decided_at: r.opt_time("decided_at_ms")?,
        decided_by: r.opt_parsed("decided_by", Actor::parse)?,
        reason: r.opt_text("reason")?,
    })
}

async fn runs(conn: &mut AnyConnection, area: AreaId, id: Option<PaymentRunId>) -> StoreResult<Vec<PaymentRun>> {
    let rows = sqlx::query(&format!(
        "SELECT {RUN_COLUMNS} FROM payment_runs WHERE area_id = $1 AND ($2 = '' OR id = $2) ORDER BY number DESC"
    ))
    .bind(area.to_string())
    .bind(id.map(|i| i.to_string()).unwrap_or_default())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(payment_run).collect()
}

pub(crate) async fn payment_runs(db: &SqlStore, area: AreaId) -> StoreResult<Vec<PaymentRun>> {
    let mut conn = db.pool.acquire().await?;
    runs(&mut conn, area, None).await
}

/// Who each payee account pays: confirmed bank details and the reference
/// they see (a family sees their child's reference; a provider the run).
async fn payees(
    conn: &mut AnyConnection,
    area: AreaId,
    accounts: &HashSet<AccountKey>,
    number: i64,
) -> StoreResult<BTreeMap<AccountKey, Payee>> {
    let rows = sqlx::query("SELECT account, details FROM bank_details WHERE area_id = $1 AND status = $2")
        .bind(area.to_string())
        .bind(BankChangeStatus::Current.code())
        .fetch_all(&mut *conn)
        .await?;
    let mut current: BTreeMap<AccountKey, BankDetails> = BTreeMap::new();
    for row in &rows {
        let r = Reader { row, table: "bank_details" };
        current.insert(
            r.parsed("account", AccountKey::parse)?,
            r.parsed("details", |s| serde_json::from_str::<BankDetails>(s))?,
        );
    }
    // One query for the references of every family with a direct-payment account.
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT a.id, c.reference FROM ledger_accounts a JOIN children c ON c.area_id = a.area_id AND c.id = a.child_id \
         WHERE a.area_id = $1 AND a.kind = 'dp'",
    )
    .bind(area.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let references: BTreeMap<String, String> = rows.into_iter().collect();
    let payees = accounts
        .iter()
        .map(|account| {
            let reference = match references.get(&account.to_string()) {
                Some(child_reference) => format!("DP {child_reference}"),
                None => format!("ALLOT RUN {number}"),
            };
            (account.clone(), Payee { bank: current.get(account).cloned(), reference })
        })
        .collect();
    Ok(payees)
}

pub(crate) async fn prepare_payment_run(
    db: &SqlStore,
    area: AreaId,
    day: Date,
    stamp: &Stamp,
) -> StoreResult<RunOutcome> {
    let mut tx = db.write().await?;
    let settings = finance_settings(&mut tx, area)
        .await?
        .ok_or_else(|| StoreError::Refused("publish the area's finance settings (its bank account) first".into()))?;
    let mut books = Books::open(&mut tx, area).await?;
    let children: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT child_id FROM plan_versions WHERE area_id = $1 AND status = $2 ORDER BY child_id",
    )
    .bind(area.to_string())
    .bind(PlanStatus::Agreed.code())
    .fetch_all(&mut *tx)
    .await?;
    let mut problems = Vec::new();
    for (child,) in children {
        let child: ChildId = child.parse().map_err(|e| StoreError::Corrupt(format!("plan_versions.child_id: {e}")))?;
        problems.extend(sync_year(&mut tx, &mut books, child, FinancialYear::containing(day), day).await?);
    }
    books.save(&mut tx, stamp).await?;
    let rows = sqlx::query(&format!(
        "SELECT {TRANSFER_COLUMNS} FROM ledger_transfers t WHERE t.area_id = $1 AND t.phase = 'pending' \
         AND t.on_date <= $2 \
         AND NOT EXISTS (SELECT 1 FROM ledger_transfers s WHERE s.area_id = t.area_id AND s.target_id = t.id) \
         AND NOT EXISTS (SELECT 1 FROM payment_run_items i WHERE i.area_id = t.area_id AND i.transfer_id = t.id) \
         ORDER BY t.seq"
    ))
    .bind(area.to_string())
    .bind(day.to_string())
    .fetch_all(&mut *tx)
    .await?;
    let due: Vec<Transfer> = rows.iter().map(|r| stored_transfer(r).map(|t| t.transfer)).collect::<StoreResult<_>>()?;
    let (latest,): (Option<i64>,) = sqlx::query_as("SELECT MAX(number) FROM payment_runs WHERE area_id = $1")
        .bind(area.to_string())
        .fetch_one(&mut *tx)
        .await?;
    let number = latest.unwrap_or(0) + 1;
    let accounts: HashSet<AccountKey> = due.iter().map(|t| t.credit.clone()).collect();
    let payees = payees(&mut tx, area, &accounts, number).await?;
    let Prepared { files, held } = prepare(number, day, &settings.settings.originator, &due, &payees)
        .map_err(|e| StoreError::Refused(e.to_string()))?;
    let Some(files) = files else {
        tx.commit().await?;
        return Ok(RunOutcome { run: None, held, problems });
    };
    let id = PaymentRunId::new();
    sqlx::query(
        "INSERT INTO payment_runs (area_id, id, number, run_date, status, payments, total_pence, held, bacs, journal, \
         prepared_at_ms, prepared_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(area.to_string())
    .bind(id.to_string())
    .bind(number)
    .bind(day.to_string())
    .bind(RunStatus::Prepared.code())
    .bind(i64::try_from(files.paid.len()).expect("small"))
    .bind(files.total.pence())
    .bind(serde_json::to_string(&held).expect("held serialises"))
    .bind(&files.bacs)
    .bind(&files.journal)
    .bind(stamp.at.as_millisecond())
    .bind(stamp.by.to_string())
    .execute(&mut *tx)
    .await?;
    for transfer in &files.paid {
        sqlx::query("INSERT INTO payment_run_items (area_id, transfer_id, run_id) VALUES ($1, $2, $3)")
            .bind(area.to_string())
            .bind(transfer.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
    }
    let detail = serde_json::json!({
        "number": number,
        "run_date": day.to_string(),
        "payments": files.paid.len(),
        "credits": files.credits,
        "total_pence": files.total.pence(),
        "held": held.len(),
    });
    log_change(&mut tx, area, stamp, None, "payment_run", &id.to_string(), "prepare", detail).await?;
    let run = runs(&mut tx, area, Some(id)).await?.pop().ok_or(StoreError::NotFound)?;
    tx.commit().await?;
    Ok(RunOutcome { run: Some(run), held, problems })
}

async fn run_items(conn: &mut AnyConnection, area: AreaId, run: PaymentRunId) -> StoreResult<Vec<TransferId>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT transfer_id FROM payment_run_items WHERE area_id = $1 AND run_id = $2 ORDER BY transfer_id",
    )
    .bind(area.to_string())
    .bind(run.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(id,)| id.parse().map_err(|e| StoreError::Corrupt(format!("payment_run_items.transfer_id: {e}"))))
        .collect()
}

/// Marks a prepared run released or cancelled.
async fn decide_run(
    conn: &mut AnyConnection,
    area: AreaId,
    id: PaymentRunId,
    status: RunStatus,
    reason: Option<&str>,
    stamp: &Stamp,
) -> StoreResult<PaymentRun> {
    let done = sqlx::query(
        "UPDATE payment_runs SET status = $1, decided_at_ms = $2, decided_by = $3, reason = $4 \
         WHERE area_id = $5 AND id = $6 AND status = $7",
    )
    .bind(status.code())
    .bind(stamp.at.as_millisecond())
    .bind(stamp.by.to_string())
    .bind(reason)
    .bind(area.to_string())
    .bind(id.to_string())
    .bind(RunStatus::Prepared.code())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Refused("only a prepared run can be released or cancelled".into()));
    }
    let run = runs(conn, area, Some(id)).await?.pop().ok_or(StoreError::NotFound)?;
    let detail = serde_json::json!({ "number": run.number, "status": status.code(), "reason": reason });
    log_change(conn, area, stamp, None, "payment_run", &id.to_string(), status.code(), detail).await?;
    Ok(run)
}

pub(crate) async fn release_payment_run(
    db: &SqlStore,
    area: AreaId,
    id: PaymentRunId,
    stamp: &Stamp,
) -> StoreResult<PaymentRun> {
    let mut tx = db.write().await?;
    let run = runs(&mut tx, area, Some(id)).await?.pop().ok_or(StoreError::NotFound)?;
    let mut books = Books::open(&mut tx, area).await?;
    // Each child paid, and whether it was by direct payment.
    let mut paid: BTreeMap<ChildId, bool> = BTreeMap::new();
    for pending_id in run_items(&mut tx, area, id).await? {
        let pending = books.transfer(&mut tx, pending_id).await?.ok_or(StoreError::NotFound)?;
        let post = Transfer::post(TransferId::derived(&format!("post/{pending_id}")), &pending, run.run_date);
        books.apply(&mut tx, &post).await??;
        if let Some(child) = pending.child() {
            *paid.entry(child).or_default() |= matches!(pending.credit, AccountKey::DirectPayment { .. });
        }
    }
    books.save(&mut tx, stamp).await?;
    let run = decide_run(&mut tx, area, id, RunStatus::Released, None, stamp).await?;
    for (child, by_direct_payment) in paid {
        pathway::paid(&mut tx, area, child, by_direct_payment.then_some(run.run_date), stamp).await?;
    }
    tx.commit().await?;
    Ok(run)
}

pub(crate) async fn cancel_payment_run(
    db: &SqlStore,
    area: AreaId,
    id: PaymentRunId,
    reason: &str,
    stamp: &Stamp,
) -> StoreResult<PaymentRun> {
    let mut tx = db.write().await?;
    let run = decide_run(&mut tx, area, id, RunStatus::Cancelled, Some(reason), stamp).await?;
    sqlx::query("DELETE FROM payment_run_items WHERE area_id = $1 AND run_id = $2")
        .bind(area.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(run)
}
