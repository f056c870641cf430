//! The audit trail in the database: appending sealed entries inside the
//! caller's transaction, reading a child's entries, and checking a chain.

use crate::rows::Reader;
use crate::{StoreError, StoreResult};
use allot_domain::audit::{AuditEntry, ChainCheck, Checkpoint, Outcome, SealedEntry, seal};
use allot_domain::{AreaId, ChildId, Stamp};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

const COLUMNS: &str = "seq, at_ms, actor, role, child_id, entity, entity_id, action, outcome, detail, prev_hash, hash";

/// Appends `entries` to the area's chain, in the caller's transaction: the
/// entries commit or roll back with the change they record.
///
/// The head row is updated first; that takes its row lock (PostgreSQL) or
/// runs inside the write lock (SQLite), so appends in one area take turns
/// and the chain never forks.
pub(crate) async fn append(conn: &mut AnyConnection, area: AreaId, entries: Vec<AuditEntry>) -> StoreResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let head: Option<(i64, String)> =
        sqlx::query_as("UPDATE audit_heads SET seq = seq WHERE area_id = $1 RETURNING seq, hash")
            .bind(area.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    let (mut seq, mut hash) = head.ok_or(StoreError::NotFound)?;
    for entry in entries {
        let sealed = seal((seq > 0).then_some((seq, hash.as_str())), entry);
        insert(conn, area, &sealed).await?;
        (seq, hash) = (sealed.seq, sealed.hash);
    }
    sqlx::query("UPDATE audit_heads SET seq = $1, hash = $2 WHERE area_id = $3")
        .bind(seq)
        .bind(&hash)
        .bind(area.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn insert(conn: &mut AnyConnection, area: AreaId, s: &SealedEntry) -> StoreResult<()> {
    let e = &s.entry;
    sqlx::query(
        "INSERT INTO audit_trail (area_id, seq, at_ms, actor, role, child_id, entity, entity_id, action, outcome, \
         detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(area.to_string())
    .bind(s.seq)
    .bind(e.at.as_millisecond())
    .bind(&e.actor)
    .bind(&e.role)
    .bind(e.child_id.map(|c| c.to_string()))
    .bind(&e.entity)
    .bind(&e.entity_id)
    .bind(&e.action)
    .bind(e.outcome.code())
    .bind(&e.detail)
    .bind(&s.prev_hash)
    .bind(&s.hash)
    .execute(conn)
    .await?;
    Ok(())
}

/// A change, as an audit entry.
pub(crate) fn change(
    stamp: &Stamp,
    child: Option<ChildId>,
    entity: &str,
    entity_id: &str,
    action: &str,
    detail: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        at: stamp.at,
        actor: stamp.by.to_string(),
        role: stamp.role_code().to_owned(),
        child_id: child,
        entity: entity.to_owned(),
        entity_id: entity_id.to_owned(),
        action: action.to_owned(),
        outcome: Outcome::Allowed,
        detail: detail.to_string(),
    }
}

pub(crate) fn sealed(row: &AnyRow) -> StoreResult<SealedEntry> {
    let r = Reader { row, table: "audit_trail" };
    Ok(SealedEntry {
        seq: r.int("seq")?,
        entry: AuditEntry {
            at: r.time("at_ms")?,
            actor: r.text("actor")?,
            role: r.text("role")?,
            child_id: r.opt_parsed("child_id", str::parse::<ChildId>)?,
            entity: r.text("entity")?,
            entity_id: r.text("entity_id")?,
            action: r.text("action")?,
            outcome: r.parsed("outcome", Outcome::parse)?,
            detail: r.text("detail")?,
        },
        prev_hash: r.text("prev_hash")?,
        hash: r.text("hash")?,
    })
}

/// Entries in chain order after `after_seq`, at most `limit`; only those
/// whose `column` (`child_id` or `entity_id`, never user input) equals the
/// value, if one is given.
pub(crate) async fn entries(
    conn: &mut AnyConnection,
    area: AreaId,
    filter: Option<(&'static str, String)>,
    after_seq: i64,
    limit: u32,
) -> StoreResult<Vec<SealedEntry>> {
    let condition = filter.as_ref().map(|(column, _)| format!("AND {column} = $3")).unwrap_or_default();
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_trail WHERE area_id = $1 AND seq > $2 {condition} ORDER BY seq LIMIT {limit}"
    );
    let mut query = sqlx::query(&sql).bind(area.to_string()).bind(after_seq);
    if let Some((_, value)) = filter {
        query = query.bind(value);
    }
    let rows = query.fetch_all(conn).await?;
    rows.iter().map(sealed).collect()
}

/// The latest entry of the area's chain.
pub(crate) async fn head(conn: &mut AnyConnection, area: AreaId) -> StoreResult<Option<Checkpoint>> {
    let head: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE area_id = $1")
        .bind(area.to_string())
        .fetch_optional(conn)
        .await?;
    Ok(head.filter(|(seq, _)| *seq > 0).map(|(seq, hash)| Checkpoint { seq, hash }))
}

/// Checks the whole chain of an area, a page at a time, against its head
/// and `checkpoints`.
pub(crate) async fn verify(
    conn: &mut AnyConnection,
    area: AreaId,
    checkpoints: Vec<Checkpoint>,
) -> StoreResult<Vec<String>> {
    const PAGE: u32 = 10_000;
    let mut check = ChainCheck::new(checkpoints);
    let mut after = 0;
    loop {
        // Every row after the last one seen, gaps included: the check, not
        // the query, decides whether the numbering is whole.
        let page = entries(conn, area, None, after, PAGE).await?;
        for entry in &page {
            check.push(entry);
        }
        match page.last() {
            Some(last) if page.len() == PAGE as usize => after = last.seq,
            _ => break,
        }
    }
    let head = head(conn, area).await?;
    Ok(check.finish(Some(&head.unwrap_or(Checkpoint { seq: 0, hash: allot_domain::audit::GENESIS_HASH.into() }))))
}

/// Seals entries copied in by a migration (their hashes are empty), area
/// by area in sequence order, and sets each area's head.
pub(crate) async fn seal_copied(conn: &mut AnyConnection) -> StoreResult<()> {
    let areas: Vec<(String,)> = sqlx::query_as("SELECT id FROM areas").fetch_all(&mut *conn).await?;
    for (area,) in areas {
        let sql = format!("SELECT {COLUMNS} FROM audit_trail WHERE area_id = $1 ORDER BY seq");
        let rows = sqlx::query(&sql).bind(&area).fetch_all(&mut *conn).await?;
        let mut head: Option<(i64, String)> = None;
        for row in &rows {
            let stored = sealed(row)?;
            let s = seal(head.as_ref().map(|(q, h)| (*q, h.as_str())), stored.entry);
            sqlx::query("UPDATE audit_trail SET prev_hash = $1, hash = $2 WHERE area_id = $3 AND seq = $4")
                .bind(&s.prev_hash)
                .bind(&s.hash)
                .bind(&area)
                .bind(s.seq)
                .execute(&mut *conn)
                .await?;
            head = Some((s.seq, s.hash));
        }
        if let Some((seq, hash)) = head {
            sqlx::query("UPDATE audit_heads SET seq = $1, hash = $2 WHERE area_id = $3")
                .bind(seq)
                .bind(hash)
                .bind(&area)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}
