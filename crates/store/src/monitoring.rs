//! Storage for watching over direct payments: the alerts on each family's
//! account and the audits, done fairly. The rules are the domain's
//! (`monitoring::alerts`, `dp_audit`); this module gathers what they need
//! and keeps an audit's events, posting a recovery to the ledger only when
//! the domain allows it.

use crate::money::{Books, finance_settings};
use crate::rows::Reader;
use crate::spend::{child_money_in, current_plan};
use crate::sql::{SqlStore, child_exists, log_change};
use crate::{StoreError, StoreResult};
use allot_domain::dates::date_in_england;
use allot_domain::finance::dp_audit::{AuditEvent, AuditState, next_audit_due, surplus};
use allot_domain::finance::ledger::{AccountKey, Phase, Transfer, TransferKind};
use allot_domain::finance::monitoring::{Alert, DirectPaymentPicture, alerts};
use allot_domain::finance::settings::FinanceSettings;
use allot_domain::ids::{DpAuditId, TransferId};
use allot_domain::pathway::plan::ManagementRoute;
use allot_domain::{Actor, AreaId, ChildId, FinancialYear, Pence, Stamp};
use jiff::civil::Date;
use sqlx::AnyConnection;

/// An audit of a child's direct payment: where it stands and what happened.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DpAudit {
    pub id: DpAuditId,
    pub child: ChildId,
    pub state: AuditState,
    pub events: Vec<RecordedAuditEvent>,
}

/// One event of an audit, with who recorded it and when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecordedAuditEvent {
    pub event: AuditEvent,
    pub at: jiff::Timestamp,
    pub by: Actor,
}

/// What a finance officer looks at for one family's direct payment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DirectPaymentReview {
    pub child: ChildId,
    pub reference: String,
    pub balance: Pence,
    pub alerts: Vec<Alert>,
    /// When the next audit is due (none before the first payment).
    pub audit_due: Option<Date>,
    /// An audit under way.
    pub open_audit: Option<DpAuditId>,
}

async fn settings(conn: &mut AnyConnection, area: AreaId) -> StoreResult<FinanceSettings> {
    finance_settings(conn, area).await?.map(|p| p.settings).ok_or_else(|| {
        StoreError::Refused("the area has no finance settings yet: publish them with `allot finance publish`".into())
    })
}

/// A child's audits (or one audit), oldest first.
pub(crate) async fn audits(
    conn: &mut AnyConnection,
    area: AreaId,
    child: Option<ChildId>,
    id: Option<DpAuditId>,
) -> StoreResult<Vec<DpAudit>> {
    let heads: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, child_id FROM dp_audits WHERE area_id = $1 AND ($2 = '' OR child_id = $2) \
         AND ($3 = '' OR id = $3) ORDER BY id",
    )
    .bind(area.to_string())
    .bind(child.map(|c| c.to_string()).unwrap_or_default())
    .bind(id.map(|c| c.to_string()).unwrap_or_default())
    .fetch_all(&mut *conn)
    .await?;
    let mut audits = Vec::new();
    for (id, child) in heads {
        let rows = sqlx::query(
            "SELECT event, recorded_at_ms, recorded_by FROM dp_audit_events WHERE area_id = $1 AND audit_id = $2 \
             ORDER BY seq",
        )
        .bind(area.to_string())
        .bind(&id)
        .fetch_all(&mut *conn)
        .await?;
        let events = rows
            .iter()
            .map(|row| {
                let r = Reader { row, table: "dp_audit_events" };
                Ok(RecordedAuditEvent {
                    event: r.parsed("event", |s| serde_json::from_str::<AuditEvent>(s))?,
                    at: r.time("recorded_at_ms")?,
                    by: r.parsed("recorded_by", Actor::parse)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let list: Vec<AuditEvent> = events.iter().map(|e| e.event.clone()).collect();
        let corrupt = |e: &dyn std::fmt::Display| StoreError::Corrupt(format!("dp_audits: {e}"));
        audits.push(DpAudit {
            id: id.parse().map_err(|e| corrupt(&e))?,
            child: child.parse().map_err(|e| corrupt(&e))?,
            state: AuditState::from_events(&list).map_err(|e| corrupt(&e))?,
            events,
        });
    }
    // Newest audits are made later; ids are random, so order by start.
    audits.sort_by_key(|a| (a.state.started_on(), a.events[0].at));
    Ok(audits)
}

async fn add_event(
    conn: &mut AnyConnection,
    area: AreaId,
    audit: DpAuditId,
    seq: i64,
    event: &AuditEvent,
    stamp: &Stamp,
) -> StoreResult<()> {
    let json = serde_json::to_string(event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO dp_audit_events (area_id, audit_id, seq, event, recorded_at_ms, recorded_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(area.to_string())
    .bind(audit.to_string())
    .bind(seq)
    .bind(json)
    .bind(stamp.at.as_millisecond())
    .bind(stamp.by.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn start_dp_audit(
    db: &SqlStore,
    area: AreaId,
    child: ChildId,
    on: Date,
    stamp: &Stamp,
) -> StoreResult<DpAudit> {
    let mut tx = db.write().await?;
    child_exists(&mut tx, area, child).await?;
    AuditState::start(on, date_in_england(stamp.at)).map_err(StoreError::Invalid)?;
    if audits(&mut tx, area, Some(child), None).await?.iter().any(|a| a.state.closed().is_none()) {
        return Err(StoreError::Refused("this child's direct payment already has an audit under way".into()));
    }
    let id = DpAuditId::new();
    sqlx::query("INSERT INTO dp_audits (area_id, id, child_id, events) VALUES ($1, $2, $3, 1)")
        .bind(area.to_string())
        .bind(id.to_string())
        .bind(child.to_string())
        .execute(&mut *tx)
        .await?;
    let event = AuditEvent::Started { on };
    add_event(&mut tx, area, id, 1, &event, stamp).await?;
    let detail = serde_json::to_value(&event).unwrap_or_default();
    log_change(&mut tx, area, stamp, Some(child), "dp_audit", &id.to_string(), "started", detail).await?;
    let audit = audits(&mut tx, area, None, Some(id)).await?.remove(0);
    tx.commit().await?;
    Ok(audit)
}

/// What may be recovered from the family's account today: the balance less
/// the contingency the plan gives the direct payment.
async fn surplus_today(conn: &mut AnyConnection, area: AreaId, child: ChildId, today: Date) -> StoreResult<Pence> {
    let money = child_money_in(conn, area, child, FinancialYear::containing(today)).await?;
    let balance = money.direct_payment.map_or(Pence::ZERO, |d| d.balance);
    let contingency: i64 = (money.streams.iter())
        .filter(|s| s.route == ManagementRoute::DirectPayment)
        .map(|s| s.contingency.pence())
        .sum();
    Ok(surplus(balance, Pence::new(contingency), Pence::ZERO))
}

/// Records an event of an audit, checked by the domain against the audit so
/// far, the area's rules and today's surplus. A recovery is posted to the
/// ledger (the family's account to money recovered) in the same
/// transaction.
pub(crate) async fn record_dp_audit_event(
    db: &SqlStore,
    area: AreaId,
    id: DpAuditId,
    event: &AuditEvent,
    stamp: &Stamp,
) -> StoreResult<DpAudit> {
    let mut tx = db.write().await?;
    let audit = audits(&mut tx, area, None, Some(id)).await?.pop().ok_or(StoreError::NotFound)?;
    let rules = settings(&mut tx, area).await?.audit;
    let today = date_in_england(stamp.at);
    let surplus = surplus_today(&mut tx, area, audit.child, today).await?;
    audit.state.check(event, today, surplus, &rules).map_err(StoreError::Invalid)?;
    if let AuditEvent::RecoveryPosted { on, amount } = event {
        let mut books = Books::open(&mut tx, area).await?;
        let recovery = Transfer {
            id: TransferId::derived(&format!("recovery/{id}")),
            debit: AccountKey::DirectPayment { child: audit.child },
            credit: AccountKey::Recovered { year: FinancialYear::containing(*on) },
            amount: *amount,
            kind: TransferKind::Recovery,
            phase: Phase::Posted,
            item: None,
            on: *on,
            reference: "Unspent direct payment recovered after an audit and a notice".into(),
        };
        books.apply(&mut tx, &recovery).await??;
        books.save(&mut tx, stamp).await?;
    }
    let seq = i64::try_from(audit.events.len()).unwrap_or(i64::MAX) + 1;
    let moved = sqlx::query("UPDATE dp_audits SET events = $1 WHERE area_id = $2 AND id = $3 AND events = $4")
        .bind(seq)
        .bind(area.to_string())
        .bind(id.to_string())
        .bind(seq - 1)
        .execute(&mut *tx)
        .await?;
    if moved.rows_affected() != 1 {
        return Err(StoreError::VersionConflict { expected: seq - 1, current: seq });
    }
    add_event(&mut tx, area, id, seq, event, stamp).await?;
    let detail = serde_json::to_value(event).unwrap_or_default();
    let action = detail["kind"].as_str().unwrap_or("event").to_owned();
    log_change(&mut tx, area, stamp, Some(audit.child), "dp_audit", &id.to_string(), &action, detail).await?;
    let audit = audits(&mut tx, area, None, Some(id)).await?.remove(0);
    tx.commit().await?;
    Ok(audit)
}

pub(crate) async fn dp_audits(db: &SqlStore, area: AreaId, child: ChildId) -> StoreResult<Vec<DpAudit>> {
    let mut conn = db.pool.acquire().await?;
    child_exists(&mut conn, area, child).await?;
    audits(&mut conn, area, Some(child), None).await
}

/// Every family with a direct-payment account: its balance, its alerts and
/// when its next audit is due.
pub(crate) async fn direct_payment_reviews(
    db: &SqlStore,
    area: AreaId,
    today: Date,
) -> StoreResult<Vec<DirectPaymentReview>> {
    let mut conn = db.pool.acquire().await?;
    let rules = settings(&mut conn, area).await?;
    let families: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.id, c.reference FROM ledger_accounts a JOIN children c ON c.area_id = a.area_id AND c.id = a.child_id \
         WHERE a.area_id = $1 AND a.kind = 'dp' ORDER BY c.reference",
    )
    .bind(area.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut reviews = Vec::with_capacity(families.len());
    for (child, reference) in families {
        let child: ChildId = child.parse().map_err(|e| StoreError::Corrupt(format!("children.id: {e}")))?;
        let money = child_money_in(&mut conn, area, child, FinancialYear::containing(today)).await?;
        let plan = current_plan(&mut conn, area, child).await?;
        let picture = DirectPaymentPicture::of(&money, plan.as_ref());
        let audits = audits(&mut conn, area, Some(child), None).await?;
        let last_completed = audits.iter().filter_map(|a| a.state.closed().map(|c| c.on)).max();
        reviews.push(DirectPaymentReview {
            child,
            reference,
            balance: picture.balance,
            alerts: alerts(&picture, &rules.monitoring, today),
            audit_due: picture.first_paid_on.map(|first| next_audit_due(first, last_completed, &rules.audit)),
            open_audit: audits.iter().find(|a| a.state.closed().is_none()).map(|a| a.id),
        });
    }
    Ok(reviews)
}
