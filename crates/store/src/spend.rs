//! Storage for spend: importing statements and invoices (all of a file or
//! none of it, a transaction seen before skipped and counted), matching each
//! line to a plan item by the domain's rules, a person putting a line
//! against an item, and a child's money worked out from the ledger and the
//! spend.
//!
//! An import may be millions of lines, so the lines arrive in chunks over a
//! channel while the caller is still reading the file, and go into the
//! database many to a statement, their text bound by reference.

use crate::money::{TRANSFER_COLUMNS, stored_transfer};
use crate::rows::Reader;
use crate::sql::{SqlStore, child_exists, log_change};
use crate::{Engine, StoreError, StoreResult, audit, pathway};
use allot_domain::finance::spend::{ItemMatcher, LearnedField, LearnedRule, SpendRecord, StatementFormat};
use allot_domain::finance::statement::{ChildMoney, SpendTotal, child_money};
use allot_domain::ids::SpendImportId;
use allot_domain::invalid::LineError;
use allot_domain::pathway::content::PlanContent;
use allot_domain::{AreaId, ChildId, FinancialYear, Pence, Stamp};
use jiff::civil::Date;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, HashMap};
use tokio::sync::mpsc::Receiver;

/// What the reader of a file sends the import.
#[derive(Debug)]
pub enum SpendChunk {
    /// Lines that passed the domain's checks.
    Lines(Vec<SpendRecord>),
    /// The end of the file: how many lines it had (not counting the
    /// header) and what was wrong with the lines that failed the checks.
    End { lines: u64, problems: Vec<LineError> },
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SpendImported {
    pub id: SpendImportId,
    /// Lines in the file.
    pub lines: u64,
    /// New transactions recorded.
    pub added: u64,
    /// Transactions recorded before (same source and id), skipped.
    pub seen_before: u64,
    /// Of those added, how many a rule put against a plan item; the rest
    /// wait for a person.
    pub matched: u64,
}

/// An import done, as finance looks back on it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SpendImportRecord {
    pub id: SpendImportId,
    pub format: StatementFormat,
    pub file_name: String,
    pub lines: u64,
    pub added: u64,
    pub seen_before: u64,
    pub matched: u64,
    pub imported_at: jiff::Timestamp,
    pub imported_by: String,
}

pub(crate) async fn spend_imports(db: &SqlStore, area: AreaId, limit: u32) -> StoreResult<Vec<SpendImportRecord>> {
    let mut conn = db.pool.acquire().await?;
    let rows = sqlx::query(
        "SELECT id, format, file_name, lines, added, seen_before, matched, imported_at_ms, imported_by \
         FROM spend_imports WHERE area_id = $1 ORDER BY imported_at_ms DESC, id LIMIT $2",
    )
    .bind(area.to_string())
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let r = Reader { row, table: "spend_imports" };
            let count = |column: &str| r.int(column).and_then(|n| u64::try_from(n).map_err(|e| r.corrupt(column, e)));
            Ok(SpendImportRecord {
                id: r.parsed("id", str::parse)?,
                format: r.parsed("format", StatementFormat::parse)?,
                file_name: r.text("file_name")?,
                lines: count("lines")?,
                added: count("added")?,
                seen_before: count("seen_before")?,
                matched: count("matched")?,
                imported_at: r.time("imported_at_ms")?,
                imported_by: r.text("imported_by")?,
            })
        })
        .collect()
}

/// A line of spend as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredSpend {
    pub format: StatementFormat,
    pub source: String,
    pub transaction_id: String,
    pub date: Date,
    /// Negative is money out.
    pub amount: Pence,
    pub description: String,
    pub merchant: String,
    pub category: Option<String>,
    /// The plan item it was put against, and by which rule (or `person`).
    pub item_key: Option<String>,
    pub matched_by: Option<String>,
}

/// Columns a line is inserted with, in order.
const INSERT_COLUMNS: &str = "area_id, child_id, format, source, transaction_id, on_date, amount_pence, description, \
     merchant, category, item_key, matched_by, import_id, import_line";

/// A line as the insert reads it from JSON: child id, source, transaction
/// id, date, pence, description, merchant, category, item key, rule, and
/// the file's line number.
type JsonLine<'a> =
    (&'a str, &'a str, &'a str, Date, i64, &'a str, &'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>, u64);

/// A child's plan items, for matching, worked out once per import.
struct ChildMatcher {
    id: String,
    matcher: ItemMatcher,
}

/// The state of one import while its lines arrive.
struct Import {
    area: AreaId,
    area_text: String,
    import_text: String,
    format: StatementFormat,
    engine: Engine,
    /// Child reference → the child (`None`: no such child in the area).
    children: HashMap<String, Option<ChildId>>,
    matchers: HashMap<ChildId, ChildMatcher>,
    problems: Vec<LineError>,
    done: SpendImported,
    /// Child id → lines added and matched, for the audit trail.
    per_child: BTreeMap<String, (u64, u64)>,
}

impl Import {
    async fn child(&mut self, conn: &mut AnyConnection, reference: &str) -> StoreResult<Option<ChildId>> {
        if let Some(found) = self.children.get(reference) {
            return Ok(*found);
        }
        let row: Option<(String,)> = sqlx::query_as("SELECT id FROM children WHERE area_id = $1 AND reference = $2")
            .bind(&self.area_text)
            .bind(reference)
            .fetch_optional(&mut *conn)
            .await?;
        let child =
            row.map(|(id,)| id.parse()).transpose().map_err(|e| StoreError::Corrupt(format!("children.id: {e}")))?;
        if let Some(child) = child
            && !self.matchers.contains_key(&child)
        {
            let matcher = matcher(conn, self.area, child).await?;
            self.matchers.insert(child, ChildMatcher { id: child.to_string(), matcher });
        }
        self.children.insert(reference.to_owned(), child);
        Ok(child)
    }

    async fn lines(&mut self, conn: &mut AnyConnection, records: Vec<SpendRecord>) -> StoreResult<()> {
        let mut children = Vec::with_capacity(records.len());
        for r in &records {
            let line = r.as_line();
            let child = self.child(conn, line.account).await?;
            if child.is_none() {
                self.problems.push(LineError::new(
                    r.line,
                    self.format.account_column(),
                    format!("no child in this area has the reference {}", line.account),
                ));
            }
            children.push(child);
        }
        // After the first problem nothing more is written; the rest of the
        // file is still read, so every problem is reported at once.
        if !self.problems.is_empty() {
            return Ok(());
        }
        self.insert(conn, &records, &children).await
    }

    async fn insert(
        &mut self,
        conn: &mut AnyConnection,
        records: &[SpendRecord],
        children: &[Option<ChildId>],
    ) -> StoreResult<()> {
        // The lines travel as one JSON array bound to one parameter: binding
        // a dozen values a line costs more than the database's own work.
        let from = match self.engine {
            Engine::Sqlite => "json_each($4)",
            Engine::Postgres => "json_array_elements($4::json) AS j(value)",
        };
        let sql = format!(
            "INSERT INTO spend_lines ({INSERT_COLUMNS}) SELECT $1, value ->> 0, $2, value ->> 1, value ->> 2, \
             value ->> 3, CAST(value ->> 4 AS BIGINT), value ->> 5, value ->> 6, value ->> 7, value ->> 8, \
             value ->> 9, $3, CAST(value ->> 10 AS BIGINT) FROM {from} WHERE true \
             ON CONFLICT (area_id, child_id, format, source, transaction_id) DO NOTHING"
        );
        let lines: Vec<JsonLine<'_>> = records
            .iter()
            .zip(children)
            .map(|(r, child)| {
                let line = r.as_line();
                let child = &self.matchers[&child.expect("checked")];
                let found = child.matcher.match_line(&line);
                (
                    child.id.as_str(),
                    line.source(),
                    r.transaction_id(),
                    line.date,
                    line.amount.pence(),
                    line.description,
                    line.merchant,
                    line.category,
                    found.map(|(key, _)| key),
                    found.map(|(_, rule)| rule.code()),
                    r.line,
                )
            })
            .collect();
        let json = serde_json::to_string(&lines).map_err(|e| StoreError::Corrupt(format!("spend lines: {e}")))?;
        let added = sqlx::query(&sql)
            .bind(&self.area_text)
            .bind(self.format.code())
            .bind(&self.import_text)
            .bind(&json)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        // Usually every line is new. When some were seen before, ask which
        // lines this import added (by their line numbers: a file may repeat
        // a transaction), so the counts stay exact. (Returning a
        // row per line from the insert costs a thread switch per line.)
        let new: Vec<bool> = if added == lines.len() as u64 {
            vec![true; lines.len()]
        } else {
            let (from, index) = match self.engine {
                Engine::Sqlite => ("json_each($4) AS j", "j.key"),
                Engine::Postgres => ("json_array_elements($4::json) WITH ORDINALITY AS j(value, n)", "j.n - 1"),
            };
            let ours: Vec<(i64,)> = sqlx::query_as(&format!(
                // CROSS JOIN: SQLite then looks each line up by the key
                // rather than reading the table.
                "SELECT CAST({index} AS BIGINT) FROM {from} CROSS JOIN spend_lines s WHERE s.area_id = $1 \
                 AND s.child_id = j.value ->> 0 AND s.format = $2 AND s.source = j.value ->> 1 \
                 AND s.transaction_id = j.value ->> 2 \
                 AND s.import_id = $3 AND s.import_line = CAST(j.value ->> 10 AS BIGINT)"
            ))
            .bind(&self.area_text)
            .bind(self.format.code())
            .bind(&self.import_text)
            .bind(&json)
            .fetch_all(&mut *conn)
            .await?;
            let mut new = vec![false; lines.len()];
            ours.into_iter().filter_map(|(i,)| usize::try_from(i).ok()).for_each(|i| new[i] = true);
            new
        };
        for (line, _) in lines.iter().zip(&new).filter(|(_, new)| **new) {
            let matched = line.9.is_some();
            let counts = self.per_child.entry(line.0.to_owned()).or_default();
            counts.0 += 1;
            counts.1 += u64::from(matched);
            self.done.matched += u64::from(matched);
        }
        self.done.added += added;
        self.done.seen_before += lines.len() as u64 - added;
        Ok(())
    }
}

/// The matcher for a child's latest agreed plan (an empty one if none was
/// agreed), with their providers' names and what people taught Allot.
async fn matcher(conn: &mut AnyConnection, area: AreaId, child: ChildId) -> StoreResult<ItemMatcher> {
    let Some(plan) = current_plan(conn, area, child).await? else { return Ok(ItemMatcher::default()) };
    let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for item in &plan.items {
        for org in [item.item.provider, item.item.isf_holder].into_iter().flatten() {
            let row: Option<(String,)> =
                sqlx::query_as("SELECT name FROM organisations WHERE area_id = $1 AND id = $2")
                    .bind(area.to_string())
                    .bind(org.to_string())
                    .fetch_optional(&mut *conn)
                    .await?;
            names.entry(item.key.clone()).or_default().extend(row.map(|(n,)| n));
        }
    }
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT field, pattern, item_key FROM spend_rules WHERE area_id = $1 AND child_id = $2 ORDER BY seq",
    )
    .bind(area.to_string())
    .bind(child.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let learned = rows
        .into_iter()
        .map(|(field, pattern, item_key)| {
            let field =
                LearnedField::parse(&field).map_err(|e| StoreError::Corrupt(format!("spend_rules.field: {e}")))?;
            Ok(LearnedRule { field, pattern, item_key })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(ItemMatcher::new(&plan.items, &names, &learned))
}

/// The content of the child's latest agreed plan.
pub(crate) async fn current_plan(
    conn: &mut AnyConnection,
    area: AreaId,
    child: ChildId,
) -> StoreResult<Option<PlanContent>> {
    let versions = pathway::plan_versions(conn, area, Some(child)).await?;
    Ok(versions
        .into_iter()
        .filter_map(|v| Some((v.agreed_on()?, v.version, v.content)))
        .max_by_key(|(on, version, _)| (*on, *version))
        .map(|(_, _, content)| content))
}

pub(crate) async fn import_spend(
    db: &SqlStore,
    area: AreaId,
    format: StatementFormat,
    file_name: &str,
    mut chunks: Receiver<SpendChunk>,
    stamp: &Stamp,
) -> StoreResult<SpendImported> {
    let mut tx = db.write().await?;
    let id = SpendImportId::new();
    let mut import = Import {
        area,
        area_text: area.to_string(),
        import_text: id.to_string(),
        format,
        engine: db.engine,
        children: HashMap::new(),
        matchers: HashMap::new(),
        problems: Vec::new(),
        done: SpendImported { id, lines: 0, added: 0, seen_before: 0, matched: 0 },
        per_child: BTreeMap::new(),
    };
    sqlx::query(
        "INSERT INTO spend_imports (area_id, id, format, file_name, lines, added, seen_before, matched, \
         imported_at_ms, imported_by) VALUES ($1, $2, $3, $4, 0, 0, 0, 0, $5, $6)",
    )
    .bind(&import.area_text)
    .bind(&import.import_text)
    .bind(format.code())
    .bind(file_name)
    .bind(stamp.at.as_millisecond())
    .bind(stamp.by.to_string())
    .execute(&mut *tx)
    .await?;
    loop {
        match chunks.recv().await {
            Some(SpendChunk::Lines(records)) => import.lines(&mut tx, records).await?,
            Some(SpendChunk::End { lines, problems }) => {
                import.done.lines = lines;
                import.problems.extend(problems);
                break;
            }
            None => {
                return Err(StoreError::Refused(
                    "the file stopped being read before its end, so nothing was imported".into(),
                ));
            }
        }
    }
    if !import.problems.is_empty() {
        let mut problems = import.problems;
        problems.sort_by(|a, b| (a.line, &a.field).cmp(&(b.line, &b.field)));
        return Err(StoreError::Lines(problems));
    }
    let done = import.done;
    let counts = [done.lines, done.added, done.seen_before, done.matched].map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    sqlx::query("UPDATE spend_imports SET lines = $1, added = $2, seen_before = $3, matched = $4 WHERE area_id = $5 AND id = $6")
        .bind(counts[0])
        .bind(counts[1])
        .bind(counts[2])
        .bind(counts[3])
        .bind(&import.area_text)
        .bind(&import.import_text)
        .execute(&mut *tx)
        .await?;
    let detail = serde_json::json!({
        "format": format.code(),
        "file": file_name,
        "lines": done.lines,
        "added": done.added,
        "seen_before": done.seen_before,
        "matched": done.matched,
    });
    // The import, and what it added to each child's record.
    let mut entries = vec![audit::change(stamp, None, "spend_import", &import.import_text, "import", detail)];
    for (child, (added, matched)) in &import.per_child {
        let child = child.parse().map_err(|e| StoreError::Corrupt(format!("spend_lines.child_id: {e}")))?;
        let detail = serde_json::json!({ "import": import.import_text, "added": added, "matched": matched });
        entries.push(audit::change(stamp, Some(child), "spend", &import.import_text, "import", detail));
    }
    audit::append(&mut tx, area, entries).await?;
    tx.commit().await?;
    Ok(done)
}

const SPEND_COLUMNS: &str =
    "format, source, transaction_id, on_date, amount_pence, description, merchant, category, item_key, matched_by";

fn stored_spend(row: &AnyRow) -> StoreResult<StoredSpend> {
    let r = Reader { row, table: "spend_lines" };
    Ok(StoredSpend {
        format: r.parsed("format", StatementFormat::parse)?,
        source: r.text("source")?,
        transaction_id: r.text("transaction_id")?,
        date: r.parsed("on_date", |s| s.parse::<Date>())?,
        amount: Pence::new(r.int("amount_pence")?),
        description: r.text("description")?,
        merchant: r.text("merchant")?,
        category: r.opt_text("category")?,
        item_key: r.opt_text("item_key")?,
        matched_by: r.opt_text("matched_by")?,
    })
}

/// A child's spend in `year`, by date.
pub(crate) async fn child_spend(
    conn: &mut AnyConnection,
    area: AreaId,
    child: ChildId,
    year: FinancialYear,
) -> StoreResult<Vec<StoredSpend>> {
    child_exists(conn, area, child).await?;
    let rows = sqlx::query(&format!(
        "SELECT {SPEND_COLUMNS} FROM spend_lines WHERE area_id = $1 AND child_id = $2 \
         AND on_date >= $3 AND on_date <= $4 ORDER BY on_date, format, source, transaction_id"
    ))
    .bind(area.to_string())
    .bind(child.to_string())
    .bind(year.first_day().to_string())
    .bind(year.last_day().to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(stored_spend).collect()
}

/// Which line, as its source names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct SpendLineRef {
    pub format: StatementFormat,
    #[serde(default)]
    pub source: String,
    pub transaction_id: String,
}

/// Puts a line against a plan item (or takes it off one, with `None`);
/// with `remember`, lines like it go to that item from then on.
pub(crate) async fn put_spend_against_item(
    db: &SqlStore,
    area: AreaId,
    child: ChildId,
    line: &SpendLineRef,
    item_key: Option<&str>,
    remember: Option<LearnedField>,
    stamp: &Stamp,
) -> StoreResult<StoredSpend> {
    let mut tx = db.write().await?;
    child_exists(&mut tx, area, child).await?;
    let key = (area.to_string(), child.to_string(), line.format.code(), &line.source, &line.transaction_id);
    let row = sqlx::query(&format!(
        "SELECT {SPEND_COLUMNS} FROM spend_lines WHERE area_id = $1 AND child_id = $2 AND format = $3 \
         AND source = $4 AND transaction_id = $5"
    ))
    .bind(&key.0)
    .bind(&key.1)
    .bind(key.2)
    .bind(key.3)
    .bind(key.4)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let before = stored_spend(&row)?;
    if let Some(item) = item_key {
        let plan = current_plan(&mut tx, area, child).await?;
        if !plan.is_some_and(|p| p.items.iter().any(|i| i.key == item)) {
            return Err(StoreError::Refused(format!("the child's agreed plan has no item {item}")));
        }
    }
    if before.amount >= Pence::ZERO && item_key.is_some() {
        return Err(StoreError::Refused("money in is not spend: only money out can be put against an item".into()));
    }
    sqlx::query(
        "UPDATE spend_lines SET item_key = $1, matched_by = $2 WHERE area_id = $3 AND child_id = $4 AND format = $5 \
         AND source = $6 AND transaction_id = $7",
    )
    .bind(item_key)
    .bind(item_key.map(|_| "person"))
    .bind(&key.0)
    .bind(&key.1)
    .bind(key.2)
    .bind(key.3)
    .bind(key.4)
    .execute(&mut *tx)
    .await?;
    let rule = match (remember, item_key) {
        (Some(field), Some(item)) => {
            let pattern = match field {
                LearnedField::Merchant => before.merchant.clone(),
                LearnedField::Category => before.category.clone().unwrap_or_default(),
                LearnedField::Reference => before.description.clone(),
            };
            if pattern.trim().is_empty() {
                return Err(StoreError::Refused(format!(
                    "the line's {} is empty, so there is nothing to remember",
                    field.label()
                )));
            }
            sqlx::query(
                "INSERT INTO spend_rules (area_id, child_id, seq, field, pattern, item_key, made_at_ms, made_by) \
                 SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4, $5, $6, $7 FROM spend_rules \
                 WHERE area_id = $1 AND child_id = $2",
            )
            .bind(&key.0)
            .bind(&key.1)
            .bind(field.code())
            .bind(&pattern)
            .bind(item)
            .bind(stamp.at.as_millisecond())
            .bind(stamp.by.to_string())
            .execute(&mut *tx)
            .await?;
            Some(LearnedRule { field, pattern, item_key: item.to_owned() })
        }
        _ => None,
    };
    let detail = serde_json::json!({
        "line": { "format": line.format.code(), "source": line.source, "transaction_id": line.transaction_id },
        "from": before.item_key,
        "to": item_key,
        "remembered": rule,
    });
    log_change(&mut tx, area, stamp, Some(child), "spend", &line.transaction_id, "put_against_item", detail).await?;
    tx.commit().await?;
    Ok(StoredSpend {
        item_key: item_key.map(str::to_owned),
        matched_by: item_key.map(|_| "person".to_owned()),
        ..before
    })
}

/// A child's money in `year`: the ledger and the spend, through the
/// domain's `child_money`.
pub(crate) async fn child_money_in(
    conn: &mut AnyConnection,
    area: AreaId,
    child: ChildId,
    year: FinancialYear,
) -> StoreResult<ChildMoney> {
    child_exists(conn, area, child).await?;
    let (area_text, child_text) = (area.to_string(), child.to_string());
    let plan = current_plan(conn, area, child).await?;
    let rows = sqlx::query(&format!(
        "SELECT {TRANSFER_COLUMNS} FROM ledger_transfers WHERE area_id = $1 AND child_id = $2 ORDER BY seq"
    ))
    .bind(&area_text)
    .bind(&child_text)
    .fetch_all(&mut *conn)
    .await?;
    let transfers = rows.iter().map(|r| stored_transfer(r).map(|s| s.transfer)).collect::<StoreResult<Vec<_>>>()?;
    let invoice = StatementFormat::ProviderInvoice.code();
    let totals = sqlx::query(
        "SELECT item_key, format, \
         CAST(SUM(CASE WHEN amount_pence < 0 THEN -amount_pence ELSE 0 END) AS BIGINT) AS out_pence, \
         CAST(SUM(CASE WHEN amount_pence > 0 THEN amount_pence ELSE 0 END) AS BIGINT) AS in_pence, \
         MAX(CASE WHEN amount_pence < 0 THEN on_date END) AS last_out, \
         CAST(SUM(CASE WHEN amount_pence < 0 THEN 1 ELSE 0 END) AS BIGINT) AS out_lines \
         FROM spend_lines WHERE area_id = $1 AND child_id = $2 AND on_date >= $3 AND on_date <= $4 \
         GROUP BY item_key, format",
    )
    .bind(&area_text)
    .bind(&child_text)
    .bind(year.first_day().to_string())
    .bind(year.last_day().to_string())
    .fetch_all(&mut *conn)
    .await?;
    let date = |s: Option<String>, column: &str| {
        s.map(|d| d.parse::<Date>()).transpose().map_err(|e| StoreError::Corrupt(format!("spend_lines.{column}: {e}")))
    };
    let spend = totals
        .iter()
        .map(|row| {
            let r = Reader { row, table: "spend_lines" };
            Ok(SpendTotal {
                item_key: r.opt_text("item_key")?,
                invoiced: r.text("format")? == invoice,
                out: Pence::new(r.int("out_pence")?),
                out_lines: u64::try_from(r.int("out_lines")?).unwrap_or_default(),
                money_in: Pence::new(r.int("in_pence")?),
                last_out: date(r.opt_text("last_out")?, "on_date")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    // The family's account over its whole life: statements, not invoices.
    let (dp_out, dp_last): (Option<i64>, Option<String>) = sqlx::query_as(
        "SELECT CAST(SUM(-amount_pence) AS BIGINT), MAX(on_date) FROM spend_lines \
         WHERE area_id = $1 AND child_id = $2 AND format <> $3 AND amount_pence < 0",
    )
    .bind(&area_text)
    .bind(&child_text)
    .bind(invoice)
    .fetch_one(&mut *conn)
    .await?;
    let dp_spend = (Pence::new(dp_out.unwrap_or(0)), date(dp_last, "on_date")?);
    Ok(child_money(child, year, plan.as_ref(), &transfers, &spend, dp_spend))
}
