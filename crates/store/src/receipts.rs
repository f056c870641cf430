//! Receipts families send, with their files.

use crate::rows::Reader;
use crate::sql::{SqlStore, child_exists, log_change};
use crate::{StoreError, StoreResult};
use allot_domain::dates::parse_date;
use allot_domain::finance::receipt::{Receipt, ReceiptDetails, ReceiptFile, ReceiptKind};
use allot_domain::ids::ReceiptId;
use allot_domain::{AreaId, ChildId, Pence, Stamp};
use sqlx::Row;
use sqlx::any::AnyRow;

const COLUMNS: &str =
    "id, child_id, spent_on, amount_pence, what, item_key, file_name, content_type, size_bytes, sent_at_ms, sent_by";

fn receipt(row: &AnyRow) -> StoreResult<Receipt> {
    let r = Reader { row, table: "receipts" };
    Ok(Receipt {
        id: r.parsed("id", str::parse)?,
        child_id: r.parsed("child_id", str::parse)?,
        details: ReceiptDetails {
            spent_on: r.parsed("spent_on", parse_date)?,
            amount: Pence::new(r.int("amount_pence")?),
            what: r.text("what")?,
            item_key: r.opt_text("item_key")?,
        },
        file_name: r.text("file_name")?,
        kind: r.parsed("content_type", ReceiptKind::parse)?,
        size_bytes: u64::try_from(r.int("size_bytes")?).map_err(|e| r.corrupt("size_bytes", e))?,
        sent_by: r.text("sent_by")?,
        sent_at: r.time("sent_at_ms")?,
    })
}

pub(crate) async fn add_receipt(
    db: &SqlStore,
    area: AreaId,
    child: ChildId,
    details: &ReceiptDetails,
    file: &ReceiptFile,
    stamp: &Stamp,
) -> StoreResult<Receipt> {
    let mut tx = db.write().await?;
    child_exists(&mut tx, area, child).await?;
    let id = ReceiptId::new();
    sqlx::query(&format!(
        "INSERT INTO receipts (area_id, {COLUMNS}, bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    ))
    .bind(area.to_string())
    .bind(id.to_string())
    .bind(child.to_string())
    .bind(details.spent_on.to_string())
    .bind(details.amount.pence())
    .bind(&details.what)
    .bind(details.item_key.clone())
    .bind(&file.name)
    .bind(file.kind.code())
    .bind(i64::try_from(file.bytes.len()).unwrap_or(i64::MAX))
    .bind(stamp.at.as_millisecond())
    .bind(stamp.by.to_string())
    .bind(file.bytes.clone())
    .execute(&mut *tx)
    .await?;
    // The trail says what the receipt is for, never what is in it.
    let detail = serde_json::json!({ "amount_pence": details.amount.pence(), "spent_on": details.spent_on.to_string(),
        "file_type": file.kind.code(), "size_bytes": file.bytes.len() });
    log_change(&mut tx, area, stamp, Some(child), "receipt", &id.to_string(), "create", detail).await?;
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM receipts WHERE area_id = $1 AND id = $2"))
        .bind(area.to_string())
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    receipt(&row)
}

pub(crate) async fn receipts(db: &SqlStore, area: AreaId, child: ChildId) -> StoreResult<Vec<Receipt>> {
    let mut conn = db.pool.acquire().await?;
    child_exists(&mut conn, area, child).await?;
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM receipts WHERE area_id = $1 AND child_id = $2 ORDER BY spent_on DESC, sent_at_ms DESC"
    ))
    .bind(area.to_string())
    .bind(child.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(receipt).collect()
}

/// One receipt and its file; not found unless it is this child's.
pub(crate) async fn receipt_file(
    db: &SqlStore,
    area: AreaId,
    child: ChildId,
    id: ReceiptId,
) -> StoreResult<(Receipt, Vec<u8>)> {
    let mut conn = db.pool.acquire().await?;
    let row =
        sqlx::query(&format!("SELECT {COLUMNS}, bytes FROM receipts WHERE area_id = $1 AND child_id = $2 AND id = $3"))
            .bind(area.to_string())
            .bind(child.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound)?;
    let bytes: Vec<u8> = row.try_get("bytes").map_err(|e| StoreError::Corrupt(format!("receipts.bytes: {e}")))?;
    Ok((receipt(&row)?, bytes))
}
