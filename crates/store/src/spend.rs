//! Storage for spend: importing statements and invoices (all of a file or
//! none of it, a transaction seen before skipped and counted), matching each
//! line to a plan item by the domain's rules, a person putting a line
//! against an item, and a child's money worked out from the ledger and the
//! spend.
//!
//! An import may be ten million lines and should take no more than twice as
//! long as SQLite's own `.import` of the file into a bare table (see
//! bench/RESULTS.md). So the lines arrive in batches over a channel while
//! the caller is still reading the file; each batch is one multi-row insert
//! with its values bound, keyed by small integers (a child's account in a
//! format from a source is named once, in `spend_accounts`); and while the
//! database writes one batch, the next is matched and bound.

use crate::money::{TRANSFER_COLUMNS, stored_transfer};
use crate::rows::Reader;
use crate::sql::{MAX_BINDS, SqlStore, child_exists, log_change, values_rows};
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
use std::collections::{BTreeMap, HashMap, HashSet};
use tokio::sync::mpsc::Receiver;

/// What the reader of a file sends the import.
#[derive(Debug)]
pub enum SpendChunk {
    /// Lines that passed the domain's checks.
    Lines(Vec<SpendRecord>),
    /// The end of the file: how many lines it had (not counting the
    /// header), what was wrong with the lines that failed the checks, and
    /// the child reference each of those names (by line), which the store
    /// checks too, so every problem is reported at once.
    End { lines: u64, problems: Vec<LineError>, references: Vec<(u64, String)> },
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
const INSERT_COLUMNS: &str = "account_no, transaction_id, on_date, amount_pence, description, merchant, category, \
     item_key, matched_by, import_no, import_line";
const INSERT_WIDTH: usize = 11;

/// The state of one import while its lines arrive.
struct Import {
    area: AreaId,
    area_text: String,
    /// The import's number, which each of its lines carries.
    no: i64,
    format: StatementFormat,
    /// Child reference → the child (`None`: no such child in the area).
    children: HashMap<String, Option<ChildId>>,
    /// Each child's plan items, for matching, worked out once per import.
    matchers: HashMap<ChildId, ItemMatcher>,
    /// The accounts lines have gone on, and how to find one from a line's
    /// child reference and source.
    accounts: Vec<Account>,
    account_of: HashMap<String, HashMap<String, usize>>,
    problems: Vec<LineError>,
    done: SpendImported,
}

/// An account lines of this import go on.
struct Account {
    no: i64,
    child: ChildId,
    added: u64,
    matched: u64,
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
            self.matchers.insert(child, matcher);
        }
        self.children.insert(reference.to_owned(), child);
        Ok(child)
    }

    /// The child a line's reference names, or (none in the area) a problem
    /// noted against the line.
    async fn known_child(
        &mut self,
        conn: &mut AnyConnection,
        line: u64,
        reference: &str,
    ) -> StoreResult<Option<ChildId>> {
        let child = self.child(conn, reference).await?;
        if child.is_none() {
            self.problems.push(LineError::new(
                line,
                self.format.account_column(),
                format!("no child in this area has the reference {reference}"),
            ));
        }
        Ok(child)
    }

    /// The account of a line, if a line has gone on it before in this
    /// import (so no database is needed).
    fn known_account(&self, record: &SpendRecord) -> Option<usize> {
        let line = record.as_line();
        self.account_of.get(line.account)?.get(line.source()).copied()
    }

    /// The account of each line, made the first time a line arrives on it,
    /// or (for lines naming no child of the area) a problem noted; `None`
    /// once the file has any problem, as after the first nothing more is
    /// written (the rest of the file is still read, so every problem is
    /// reported at once).
    async fn accounts(&mut self, conn: &mut AnyConnection, records: &[SpendRecord]) -> StoreResult<Option<Vec<usize>>> {
        let mut accounts = Vec::with_capacity(records.len());
        for r in records {
            if let Some(known) = self.known_account(r) {
                accounts.push(known);
                continue;
            }
            let line = r.as_line();
            let Some(child) = self.known_child(conn, r.line, line.account).await? else { continue };
            let no = account_no(conn, self.area, child, self.format, line.source(), true)
                .await?
                .ok_or(StoreError::NotFound)?;
            self.accounts.push(Account { no, child, added: 0, matched: 0 });
            let index = self.accounts.len() - 1;
            self.account_of.entry(line.account.to_owned()).or_default().insert(line.source().to_owned(), index);
            accounts.push(index);
        }
        Ok(self.problems.is_empty().then_some(accounts))
    }

    /// The insert of `records` (their `accounts` found), each matched to a
    /// plan item by the domain's rules; `sql` has a row of placeholders for
    /// each.
    fn batch<'q>(&self, sql: &'q str, records: &[SpendRecord], accounts: &[usize]) -> Batch<'q> {
        let mut insert = sqlx::query(sql);
        let mut lines = Vec::with_capacity(records.len());
        // In the key's order, so the database walks its index once rather
        // than back and forth (a stable sort: a transaction the file repeats
        // is still recorded from its first line).
        let mut order: Vec<usize> = (0..records.len()).collect();
        order.sort_by_key(|&i| (self.accounts[accounts[i]].no, records[i].transaction_id()));
        for (r, &account) in order.into_iter().map(|i| (&records[i], &accounts[i])) {
            let line = r.as_line();
            let Account { no, child, .. } = self.accounts[account];
            let found = self.matchers[&child].match_line(&line);
            let number = i64::try_from(r.line).unwrap_or(i64::MAX);
            let text = |s: &str| s.to_owned();
            insert = insert
                .bind(no)
                .bind(text(r.transaction_id()))
                .bind(line.date.to_string())
                .bind(line.amount.pence())
                .bind(text(line.description))
                .bind(text(line.merchant))
                .bind(line.category.map(text))
                .bind(found.map(|(key, _)| text(key)))
                .bind(found.map(|(_, rule)| rule.code()))
                .bind(self.no)
                .bind(number);
            lines.push(BatchLine {
                account,
                account_no: no,
                transaction_id: text(r.transaction_id()),
                line: number,
                matched: found.is_some(),
            });
        }
        Batch { insert, lines }
    }

    /// What comes next from the reader, made ready without the database
    /// where it can be: a full batch whose every account was seen before
    /// is bound here, while the database writes the batch before.
    fn next<'q>(&self, chunk: Option<SpendChunk>, full: &'q str) -> Next<'q> {
        match chunk {
            Some(SpendChunk::Lines(records)) if !self.problems.is_empty() => Next::Lines(records),
            Some(SpendChunk::Lines(records)) => {
                match records.iter().map(|r| self.known_account(r)).collect::<Option<Vec<_>>>() {
                    Some(accounts) if records.len() == SPEND_BATCH_LINES => {
                        Next::Ready(self.batch(full, &records, &accounts))
                    }
                    _ => Next::Lines(records),
                }
            }
            Some(SpendChunk::End { lines, problems, references }) => Next::End { lines, problems, references },
            None => Next::Stopped,
        }
    }

    /// Counts what a batch added, for the import and each account.
    fn count(&mut self, (lines, added): (Vec<BatchLine>, HashSet<i64>)) {
        for line in lines.iter().filter(|l| added.contains(&l.line)) {
            let account = &mut self.accounts[line.account];
            account.added += 1;
            account.matched += u64::from(line.matched);
            self.done.matched += u64::from(line.matched);
        }
        self.done.added += added.len() as u64;
        self.done.seen_before += (lines.len() - added.len()) as u64;
    }
}

/// What the import does next.
enum Next<'q> {
    /// A full batch, bound and ready to run.
    Ready(Batch<'q>),
    /// Lines that need the database first (an account not seen before in
    /// this import, a short last batch, or a file with problems).
    Lines(Vec<SpendRecord>),
    End {
        lines: u64,
        problems: Vec<LineError>,
        references: Vec<(u64, String)>,
    },
    /// The reader stopped before the end.
    Stopped,
}

/// Lines sent to the store at a time: as many as one insert statement
/// binds, so while the database writes one batch the next is matched and
/// bound.
pub const SPEND_BATCH_LINES: usize = MAX_BINDS / INSERT_WIDTH;

/// An insert of lines, ready to run.
struct Batch<'q> {
    insert: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    lines: Vec<BatchLine>,
}

/// What counting a line needs once its batch has run.
struct BatchLine {
    /// Which of the import's accounts, and its number.
    account: usize,
    account_no: i64,
    transaction_id: String,
    line: i64,
    matched: bool,
}

/// The insert of `rows` lines in one statement, their values bound (as
/// SQLite's own `.import` binds them).
fn insert_sql(engine: Engine, rows: usize) -> String {
    // OR ROLLBACK: a statement that may stop part way needs SQLite to copy
    // every page it touches first, so it can be undone alone; that copying
    // doubled the cost of a large import. A line breaking a constraint
    // fails the import anyway, so it may as well undo it all at once.
    let or_rollback = match engine {
        Engine::Sqlite => " OR ROLLBACK",
        Engine::Postgres => "",
    };
    format!(
        "INSERT{or_rollback} INTO spend_lines ({INSERT_COLUMNS}) VALUES {} \
         ON CONFLICT (account_no, transaction_id) DO NOTHING",
        values_rows(engine, rows, INSERT_WIDTH)
    )
}

/// Runs a batch; answers its lines and the line numbers of those that were
/// new.
async fn run(
    conn: &mut AnyConnection,
    engine: Engine,
    import: i64,
    batch: Batch<'_>,
) -> StoreResult<(Vec<BatchLine>, HashSet<i64>)> {
    let Batch { insert, lines } = batch;
    let added = insert.execute(&mut *conn).await?.rows_affected();
    // Usually every line is new, or (a file imported again) none is. When
    // only some were seen before, ask which lines this import added (by their line numbers: a file may repeat
    // a transaction), so the counts stay exact. (Returning a row per
    // line from the insert costs a thread switch per line.)
    if added == lines.len() as u64 {
        let added = lines.iter().map(|l| l.line).collect();
        return Ok((lines, added));
    }
    if added == 0 {
        return Ok((lines, HashSet::new()));
    }
    let sql = format!(
        "WITH v (account_no, transaction_id, line) AS (VALUES {}) SELECT s.import_line FROM v \
         JOIN spend_lines s ON s.account_no = v.account_no AND s.transaction_id = v.transaction_id \
         WHERE s.import_no = {import} AND s.import_line = v.line",
        values_rows(engine, lines.len(), 3),
    );
    let mut query = sqlx::query_as(&sql);
    for l in &lines {
        query = query.bind(l.account_no).bind(l.transaction_id.as_str()).bind(l.line);
    }
    let added: Vec<(i64,)> = query.fetch_all(&mut *conn).await?;
    Ok((lines, added.into_iter().map(|(line,)| line).collect()))
}

/// Runs the batch waiting, if any.
async fn run_waiting(
    conn: &mut AnyConnection,
    engine: Engine,
    import: i64,
    batch: Option<Batch<'_>>,
) -> StoreResult<(Vec<BatchLine>, HashSet<i64>)> {
    match batch {
        Some(batch) => run(conn, engine, import, batch).await,
        None => Ok((Vec::new(), HashSet::new())),
    }
}

/// The number of a child's account in `format` from `source`; with
/// `make`, made if it is not there yet.
async fn account_no(
    conn: &mut AnyConnection,
    area: AreaId,
    child: ChildId,
    format: StatementFormat,
    source: &str,
    make: bool,
) -> StoreResult<Option<i64>> {
    let key = (area.to_string(), child.to_string(), format.code());
    if make {
        // DO NOTHING: another import may have made it a moment ago.
        sqlx::query(
            "INSERT INTO spend_accounts (area_id, child_id, format, source) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (area_id, child_id, format, source) DO NOTHING",
        )
        .bind(&key.0)
        .bind(&key.1)
        .bind(key.2)
        .bind(source)
        .execute(&mut *conn)
        .await?;
    }
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT no FROM spend_accounts WHERE area_id = $1 AND child_id = $2 AND format = $3 AND source = $4",
    )
    .bind(&key.0)
    .bind(&key.1)
    .bind(key.2)
    .bind(source)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(no,)| no))
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
    let id_text = id.to_string();
    let (no,): (i64,) = sqlx::query_as(
        "INSERT INTO spend_imports (area_id, id, format, file_name, lines, added, seen_before, matched, \
         imported_at_ms, imported_by) VALUES ($1, $2, $3, $4, 0, 0, 0, 0, $5, $6) RETURNING no",
    )
    .bind(area.to_string())
    .bind(&id_text)
    .bind(format.code())
    .bind(file_name)
    .bind(stamp.at.as_millisecond())
    .bind(stamp.by.to_string())
    .fetch_one(&mut *tx)
    .await?;
    let mut import = Import {
        area,
        area_text: area.to_string(),
        no,
        format,
        children: HashMap::new(),
        matchers: HashMap::new(),
        accounts: Vec::new(),
        account_of: HashMap::new(),
        problems: Vec::new(),
        done: SpendImported { id, lines: 0, added: 0, seen_before: 0, matched: 0 },
    };
    // The database is kept busy: while it writes one batch, the last one's
    // counts are taken and the next is read, matched and bound (the two
    // sides take about the same time). Only lines that need the database
    // first (a child not seen before in this import, the short last batch)
    // wait for it.
    let full = insert_sql(db.engine, SPEND_BATCH_LINES);
    let mut waiting: Option<Batch<'_>> = None;
    let mut ran = None;
    loop {
        let (run_result, next) = tokio::join!(run_waiting(&mut tx, db.engine, no, waiting.take()), async {
            if let Some(ran) = ran.take() {
                import.count(ran);
            }
            import.next(chunks.recv().await, &full)
        });
        ran = Some(run_result?);
        match next {
            Next::Ready(batch) => waiting = Some(batch),
            Next::Lines(records) => {
                let Some(accounts) = import.accounts(&mut tx, &records).await? else { continue };
                if records.len() == SPEND_BATCH_LINES {
                    waiting = Some(import.batch(&full, &records, &accounts));
                } else {
                    let sql = insert_sql(db.engine, records.len());
                    import.count(run(&mut tx, db.engine, no, import.batch(&sql, &records, &accounts)).await?);
                }
            }
            Next::End { lines, problems, references } => {
                import.done.lines = lines;
                import.problems.extend(problems);
                for (line, reference) in references {
                    import.known_child(&mut tx, line, &reference).await?;
                }
                break;
            }
            Next::Stopped => {
                return Err(StoreError::Refused(
                    "the file stopped being read before its end, so nothing was imported".into(),
                ));
            }
        }
    }
    if let Some(ran) = ran.take() {
        import.count(ran);
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
        .bind(&id_text)
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
    let mut entries = vec![audit::change(stamp, None, "spend_import", &id_text, "import", detail)];
    let mut per_child: BTreeMap<ChildId, (u64, u64)> = BTreeMap::new();
    for a in import.accounts.iter().filter(|a| a.added > 0) {
        let counts = per_child.entry(a.child).or_default();
        counts.0 += a.added;
        counts.1 += a.matched;
    }
    for (&child, (added, matched)) in &per_child {
        let detail = serde_json::json!({ "import": id_text, "added": added, "matched": matched });
        entries.push(audit::change(stamp, Some(child), "spend", &id_text, "import", detail));
    }
    audit::append(&mut tx, area, entries).await?;
    tx.commit().await?;
    Ok(done)
}

const SPEND_COLUMNS: &str = "a.format, a.source, l.transaction_id, l.on_date, l.amount_pence, l.description, \
     l.merchant, l.category, l.item_key, l.matched_by";

/// A child's lines: `a` their accounts, `l` the lines on them.
const CHILD_LINES: &str =
    "spend_lines l JOIN spend_accounts a ON a.no = l.account_no WHERE a.area_id = $1 AND a.child_id = $2";

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
        "SELECT {SPEND_COLUMNS} FROM {CHILD_LINES} AND l.on_date >= $3 AND l.on_date <= $4 \
         ORDER BY l.on_date, a.format, a.source, l.transaction_id"
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
    let account =
        account_no(&mut tx, area, child, line.format, &line.source, false).await?.ok_or(StoreError::NotFound)?;
    let row = sqlx::query(&format!(
        "SELECT {SPEND_COLUMNS} FROM spend_lines l JOIN spend_accounts a ON a.no = l.account_no \
         WHERE l.account_no = $1 AND l.transaction_id = $2"
    ))
    .bind(account)
    .bind(&line.transaction_id)
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
    sqlx::query("UPDATE spend_lines SET item_key = $1, matched_by = $2 WHERE account_no = $3 AND transaction_id = $4")
        .bind(item_key)
        .bind(item_key.map(|_| "person"))
        .bind(account)
        .bind(&line.transaction_id)
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
            .bind(area.to_string())
            .bind(child.to_string())
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
    let totals = sqlx::query(&format!(
        "SELECT l.item_key, a.format, \
         CAST(SUM(CASE WHEN l.amount_pence < 0 THEN -l.amount_pence ELSE 0 END) AS BIGINT) AS out_pence, \
         CAST(SUM(CASE WHEN l.amount_pence > 0 THEN l.amount_pence ELSE 0 END) AS BIGINT) AS in_pence, \
         MAX(CASE WHEN l.amount_pence < 0 THEN l.on_date END) AS last_out, \
         CAST(SUM(CASE WHEN l.amount_pence < 0 THEN 1 ELSE 0 END) AS BIGINT) AS out_lines \
         FROM {CHILD_LINES} AND l.on_date >= $3 AND l.on_date <= $4 GROUP BY l.item_key, a.format"
    ))
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
    let (dp_out, dp_last): (Option<i64>, Option<String>) = sqlx::query_as(&format!(
        "SELECT CAST(SUM(-l.amount_pence) AS BIGINT), MAX(l.on_date) FROM {CHILD_LINES} \
         AND a.format <> $3 AND l.amount_pence < 0"
    ))
    .bind(&area_text)
    .bind(&child_text)
    .bind(invoice)
    .fetch_one(&mut *conn)
    .await?;
    let dp_spend = (Pence::new(dp_out.unwrap_or(0)), date(dp_last, "on_date")?);
    Ok(child_money(child, year, plan.as_ref(), &transfers, &spend, dp_spend))
}
