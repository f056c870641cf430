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
use crate::sql::{SqlStore, log_change};
use crate::{StoreError, StoreResult, StoredTransfer, pathway};
use allot_domain::finance::budget::{AgreedPlan, year_money};
use allot_domain::finance::ledger::{
    AccountKey, Applied, Balances, Ledger, Phase, Transfer, TransferError, TransferKind,
};
use allot_domain::ids::TransferId;
use allot_domain::{Actor, AreaId, ChildId, FinancialYear, Pence, Stamp};
use jiff::civil::Date;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool};
use std::collections::HashSet;

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

    fn load_rows(&mut self, rows: &[AnyRow]) -> StoreResult<()> {
        for row in rows {
            let t = stored_transfer(row)?.transfer;
            self.looked_up.insert(t.id);
            self.ledger.load_transfer(t);
        }
        Ok(())
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
        self.load_rows(&rows)
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
        if self.looked_up.contains(&id) && self.ledger.transfer(id).is_some() {
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
        self.load_rows(&rows)
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
