//! The one SQL adapter, for SQLite and PostgreSQL alike.

use crate::rows::{self, Arg};
use crate::{
    Change, ChildRecord, Credentials, DatabaseUrl, Engine, ImportSummary, OidcLogin, Page, PaymentRun, Progress,
    PublishedFinanceSettings, RunOutcome, Session, SessionChange, Store, StoreError, StoreResult, StoredCaseRecord,
    StoredEvent, StoredTransfer, access, audit, migrate,
};
use crate::{DirectPaymentReview, DpAudit, SpendChunk, SpendImported, SpendLineRef, StoredSpend};
use crate::{money, monitoring, pathway, receipts, spend};
use allot_domain::access::ChildFacts;
use allot_domain::access::ChildScope;
use allot_domain::audit::{AuditEntry, Checkpoint, SealedEntry};
use allot_domain::child::{Child, ChildDetails};
use allot_domain::consent::{Consent, ConsentDetails, ConsentGiver};
use allot_domain::dates::{age_on, date_in_england};
use allot_domain::family::{FamilyMember, FamilyMemberDetails};
use allot_domain::finance::bank::{BankChange, BankDetails};
use allot_domain::finance::dp_audit::AuditEvent;
use allot_domain::finance::ledger::{AccountKey, Applied, Balances, Transfer};
use allot_domain::finance::receipt::{Receipt, ReceiptDetails, ReceiptFile};
use allot_domain::finance::spend::{LearnedField, StatementFormat};
use allot_domain::finance::statement::ChildMoney;
use allot_domain::ids::RasPolicyId;
use allot_domain::ids::ReceiptId;
use allot_domain::ids::{DpAuditId, PaymentRunId};
use allot_domain::ids::{InvolvementId, UserId};
use allot_domain::involvement::{Involvement, InvolvementDetails};
use allot_domain::organisation::{Area, Organisation};
use allot_domain::paging::{ChildQuery, ChildSort, Cursor};
use allot_domain::pathway::casework::CaseRecord;
use allot_domain::pathway::content::PlanContent;
use allot_domain::pathway::delegation::{DelegationPolicy, PublishedDelegation};
use allot_domain::pathway::record::{PathwayEvent, PathwayStep};
use allot_domain::pathway::signoff::{PlanDecision, PlanStatus, PlanVersion, Submission};
use allot_domain::professional::{LeadAssignment, Professional};
use allot_domain::ras::{Policy, PublishedPolicy, StoredAllocation};
use allot_domain::records::AreaRecords;
use allot_domain::user::{User, UserDetails, Username};
use allot_domain::{
    AreaCode, AreaId, ChildId, ChildReference, ConsentId, FamilyMemberId, FinancialYear, Name, ProfessionalId, Stamp,
};
use sqlx::any::{AnyArguments, AnyPoolOptions, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, AnyPool, Executor, Transaction};
use std::time::Duration;

/// The SQL store: a connection pool and the engine it talks to.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pub(crate) pool: AnyPool,
    pub(crate) engine: Engine,
}

/// The most values one statement binds: under SQLite's limit of 32,766 and
/// PostgreSQL's of 65,535.
pub(crate) const MAX_BINDS: usize = 30_000;

/// Starts a write transaction. SQLite's must take the write lock at once
/// (`BEGIN IMMEDIATE`): a deferred transaction that later tries to write can
/// fail outright when another writer got there first, which the busy
/// timeout cannot cure.
pub(crate) async fn begin_write(pool: &AnyPool, engine: Engine) -> StoreResult<Transaction<'static, Any>> {
    Ok(match engine {
        Engine::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        Engine::Postgres => pool.begin().await?,
    })
}

pub(crate) fn bind<'q>(mut q: Query<'q, Any, AnyArguments<'q>>, args: Vec<Arg>) -> Query<'q, Any, AnyArguments<'q>> {
    for a in args {
        q = match a {
            Arg::Text(s) => q.bind(s),
            Arg::OptText(s) => q.bind(s),
            Arg::Int(n) => q.bind(n),
            Arg::OptInt(n) => q.bind(n),
        };
    }
    q
}

/// `$1, $2, …, $n` starting after `offset`.
fn placeholders(offset: usize, n: usize) -> String {
    (offset + 1..=offset + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Runs several statements in one go. (A plain function, so the compiler
/// does not have to prove sqlx's generic executor bounds inside async traits.)
pub(crate) async fn execute_script(conn: &mut AnyConnection, sql: &str) -> StoreResult<()> {
    conn.execute(sqlx::raw_sql(sql)).await?;
    Ok(())
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Rows to insert: which table and columns, the records, and how a record
/// becomes the columns' values.
struct Rows<'a, T> {
    table: &'a str,
    columns: &'a str,
    items: &'a [T],
    to_args: fn(&T, &Stamp) -> Vec<Arg>,
}

/// Counts rows loaded, for a progress display.
struct Tally<'a> {
    done: u64,
    total: u64,
    report: Progress<'a>,
}

/// The `VALUES` of a multi-row insert: `rows` rows of `width` placeholders.
///
/// On SQLite the placeholders are anonymous `?`: SQLite looks a named
/// parameter (`$n`) up by scanning a list of every name in the statement,
/// so binding a statement with thousands of named parameters takes time
/// quadratic in their number (measured: a 640,000-child load still had not
/// finished after ten minutes). PostgreSQL only understands `$n`.
pub(crate) fn values_rows(engine: Engine, rows: usize, width: usize) -> String {
    let row = |i: usize| match engine {
        Engine::Sqlite => format!("({})", vec!["?"; width].join(", ")),
        Engine::Postgres => format!("({})", placeholders(i * width, width)),
    };
    (0..rows).map(row).collect::<Vec<_>>().join(", ")
}

/// Inserts `items` into `table`, many rows to a statement.
async fn insert_many<T: Sync>(
    conn: &mut AnyConnection,
    engine: Engine,
    rows: Rows<'_, T>,
    stamp: &Stamp,
    mut tally: Option<&mut Tally<'_>>,
) -> StoreResult<()> {
    let Rows { table, columns, items, to_args } = rows;
    let width = columns.split(',').count();
    for chunk in items.chunks(MAX_BINDS / width) {
        let sql = format!("INSERT INTO {table} ({columns}) VALUES {}", values_rows(engine, chunk.len(), width));
        let mut args = Vec::with_capacity(chunk.len() * width);
        for item in chunk {
            args.extend(to_args(item, stamp));
        }
        bind(sqlx::query(&sql), args).execute(&mut *conn).await?;
        if let Some(t) = tally.as_deref_mut() {
            t.done += chunk.len() as u64;
            (t.report)(t.done, t.total);
        }
    }
    Ok(())
}

/// Records a change in the audit trail, in the change's own transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn log_change(
    conn: &mut AnyConnection,
    area: AreaId,
    stamp: &Stamp,
    child: Option<ChildId>,
    entity: &str,
    entity_id: &str,
    action: &str,
    detail: serde_json::Value,
) -> StoreResult<()> {
    crate::audit::append(conn, area, vec![crate::audit::change(stamp, child, entity, entity_id, action, detail)]).await
}

async fn fetch_child(conn: &mut AnyConnection, area: AreaId, id: ChildId) -> StoreResult<Option<Child>> {
    let sql = format!("SELECT {} FROM children WHERE area_id = $1 AND id = $2", rows::CHILD_COLUMNS);
    let row = sqlx::query(&sql).bind(area.to_string()).bind(id.to_string()).fetch_optional(conn).await?;
    row.as_ref().map(rows::child).transpose()
}

async fn insert_child(conn: &mut AnyConnection, child: &Child, stamp: &Stamp) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO children ({}) VALUES ({})",
        rows::CHILD_COLUMNS,
        placeholders(0, rows::CHILD_COLUMNS.split(',').count())
    );
    bind(sqlx::query(&sql), rows::child_args(child, stamp)).execute(&mut *conn).await.map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Duplicate(format!(
                "a child with reference {} is already recorded in this area",
                child.details.reference
            ))
        } else {
            e.into()
        }
    })?;
    Ok(())
}

/// Replaces the details of `current` (which the caller read in this
/// transaction); refuses if someone else changed it in between.
async fn replace_child(
    conn: &mut AnyConnection,
    current: &Child,
    details: &ChildDetails,
    stamp: &Stamp,
) -> StoreResult<Child> {
    let updated = Child {
        details: details.clone(),
        version: current.version + 1,
        updated_at: stamp.at,
        updated_by: stamp.by.clone(),
        ..current.clone()
    };
    let columns: Vec<&str> = rows::CHILD_COLUMNS.split(',').map(str::trim).collect();
    let assignments: Vec<String> =
        columns.iter().enumerate().skip(2).map(|(i, c)| format!("{c} = ${}", i + 1)).collect();
    let sql = format!(
        "UPDATE children SET {} WHERE id = $1 AND area_id = $2 AND version = ${}",
        assignments.join(", "),
        columns.len() + 1
    );
    let mut args = rows::child_args(&updated, stamp);
    args.push(current.version.into());
    let result = bind(sqlx::query(&sql), args).execute(&mut *conn).await.map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Duplicate(format!(
                "a child with reference {} is already recorded in this area",
                details.reference
            ))
        } else {
            e.into()
        }
    })?;
    if result.rows_affected() == 0 {
        let now = fetch_child(conn, current.area_id, current.id).await?.ok_or(StoreError::NotFound)?;
        return Err(StoreError::VersionConflict { expected: current.version, current: now.version });
    }
    let fields = current.details.changed_fields(details);
    log_change(
        conn,
        current.area_id,
        stamp,
        Some(current.id),
        "child",
        &current.id.to_string(),
        "update",
        serde_json::json!({ "version": updated.version, "fields": fields }),
    )
    .await?;
    Ok(updated)
}

/// Whether `table` holds a record `id` in `area` (`table` is one of ours,
/// never user input).
pub(crate) async fn exists_in_area(conn: &mut AnyConnection, table: &str, area: AreaId, id: &str) -> StoreResult<bool> {
    let sql = format!("SELECT 1 FROM {table} WHERE area_id = $1 AND id = $2");
    let found: Option<(i64,)> = sqlx::query_as(&sql).bind(area.to_string()).bind(id).fetch_optional(conn).await?;
    Ok(found.is_some())
}

pub(crate) async fn child_exists(conn: &mut AnyConnection, area: AreaId, id: ChildId) -> StoreResult<()> {
    if exists_in_area(conn, "children", area, &id.to_string()).await? { Ok(()) } else { Err(StoreError::NotFound) }
}

impl SqlStore {
    /// Connects to `url`, creating a SQLite file if it is missing. Does not
    /// migrate: call [`Store::migrate`].
    pub async fn connect(url: &DatabaseUrl) -> StoreResult<SqlStore> {
        sqlx::any::install_default_drivers();
        let engine = url.engine();
        let options = AnyPoolOptions::new()
            .max_connections(match engine {
                Engine::Sqlite => 4,
                Engine::Postgres => 8,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    // Every statement has a deadline; SQLite waits for a
                    // busy writer rather than failing at once. A new SQLite
                    // database gets 16 KiB pages (an existing one keeps its
                    // own): a ten-million-line statement import took 15%
                    // less time than with 4 KiB.
                    let setup = match engine {
                        Engine::Sqlite => {
                            "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                             PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                             PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;"
                        }
                        Engine::Postgres => "SET statement_timeout = '60s'; SET lock_timeout = '10s';",
                    };
                    conn.execute(sqlx::raw_sql(setup)).await?;
                    Ok(())
                })
            });
        let pool = options.connect(&url.driver_url()).await?;
        Ok(SqlStore { pool, engine })
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The schema as `(table, column, type, not null)` and index names, in a
    /// form both engines share; a test checks the two migration sets agree.
    pub async fn schema_summary(&self) -> StoreResult<(Vec<(String, String, String, bool)>, Vec<String>)> {
        let (columns_sql, indexes_sql) = match self.engine {
            Engine::Sqlite => (
                "SELECT m.name, p.name, lower(p.type), p.\"notnull\" + p.pk FROM sqlite_master m \
                 JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
                 ORDER BY m.name, p.name",
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            ),
            Engine::Postgres => (
                "SELECT table_name::text, column_name::text, data_type::text, \
                 CAST(CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END AS BIGINT) FROM information_schema.columns \
                 WHERE table_schema = current_schema() ORDER BY table_name, column_name",
                "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() \
                 AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key' ORDER BY indexname",
            ),
        };
        let columns: Vec<(String, String, String, i64)> = sqlx::query_as(columns_sql).fetch_all(&self.pool).await?;
        let columns = columns
            .into_iter()
            .map(|(t, c, ty, nn)| {
                let ty = match ty.as_str() {
                    "integer" | "bigint" => "bigint".to_owned(),
                    // Bytes: SQLite's BLOB is PostgreSQL's BYTEA.
                    "blob" | "bytea" => "bytes".to_owned(),
                    other => other.to_owned(),
                };
                (t, c, ty, nn > 0)
            })
            .collect();
        let indexes: Vec<(String,)> = sqlx::query_as(indexes_sql).fetch_all(&self.pool).await?;
        Ok((columns, indexes.into_iter().map(|(n,)| n).collect()))
    }

    /// Changes (not reads or refusals) from the audit trail, oldest first.
    async fn changes_where(&self, area: AreaId, filter: (&'static str, String)) -> StoreResult<Vec<Change>> {
        let mut conn = self.pool.acquire().await?;
        let entries = crate::audit::entries(&mut conn, area, Some(filter), 0, u32::MAX).await?;
        entries
            .into_iter()
            .filter(|s| s.entry.action != "read" && s.entry.outcome == allot_domain::audit::Outcome::Allowed)
            .map(|s| {
                let e = s.entry;
                Ok(Change {
                    at: e.at,
                    actor: e.actor,
                    role: e.role,
                    entity: e.entity,
                    entity_id: e.entity_id,
                    action: e.action,
                    detail: serde_json::from_str(&e.detail)
                        .map_err(|err| StoreError::Corrupt(format!("audit_trail.detail: {err}")))?,
                })
            })
            .collect()
    }

    pub(crate) async fn write(&self) -> StoreResult<Transaction<'static, Any>> {
        begin_write(&self.pool, self.engine).await
    }

    async fn all<T>(&self, sql: &str, args: Vec<Arg>, decode: fn(&AnyRow) -> StoreResult<T>) -> StoreResult<Vec<T>> {
        let rows = bind(sqlx::query(sql), args).fetch_all(&self.pool).await?;
        rows.iter().map(decode).collect()
    }
}

#[async_trait::async_trait]
impl Store for SqlStore {
    fn engine(&self) -> Engine {
        self.engine
    }

    async fn migrate(&self) -> StoreResult<Vec<String>> {
        migrate::run(&self.pool, self.engine).await
    }

    async fn ready(&self) -> StoreResult<()> {
        let latest: Option<(i64,)> = sqlx::query_as("SELECT MAX(version) FROM allot_migrations")
            .fetch_optional(&self.pool)
            .await
            .map_err(|_| StoreError::Migration("the database has not been migrated: run `allot migrate`".into()))?;
        match latest {
            Some((v,)) if v == migrate::latest(self.engine) => Ok(()),
            _ => Err(StoreError::Migration("the database is not at this build's schema: run `allot migrate`".into())),
        }
    }

    async fn verify(&self) -> StoreResult<Vec<String>> {
        let mut problems = Vec::new();
        match self.engine {
            Engine::Sqlite => {
                let integrity: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check").fetch_all(&self.pool).await?;
                problems.extend(
                    integrity.into_iter().map(|(m,)| m).filter(|m| m != "ok").map(|m| format!("integrity: {m}")),
                );
                let fk: Vec<AnyRow> = sqlx::query("PRAGMA foreign_key_check").fetch_all(&self.pool).await?;
                for row in fk {
                    let r = rows::Reader { row: &row, table: "foreign_key_check" };
                    problems.push(format!(
                        "{} row {} refers to a missing {} record",
                        r.text("table")?,
                        r.int("rowid").unwrap_or(-1),
                        r.text("parent")?
                    ));
                }
            }
            Engine::Postgres => {
                // PostgreSQL enforces foreign keys itself; amcheck, where the
                // extension is installed, checks every B-tree index.
                let amcheck: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM pg_extension WHERE extname = 'amcheck'")
                    .fetch_optional(&self.pool)
                    .await?;
                if amcheck.is_some() {
                    let indexes: Vec<(String,)> = sqlx::query_as(
                        "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                         JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace \
                         WHERE a.amname = 'btree' AND n.nspname = current_schema()",
                    )
                    .fetch_all(&self.pool)
                    .await?;
                    for (index,) in indexes {
                        if let Err(e) = sqlx::query(&format!("SELECT bt_index_check('{index}'::regclass)::text"))
                            .execute(&self.pool)
                            .await
                        {
                            problems.push(format!("index {index}: {e}"));
                        }
                    }
                }
            }
        }
        // Every stored child must still parse into the domain's types, and
        // every area's ledger must balance.
        let mut after: Option<Cursor> = None;
        for area in self.areas().await? {
            for problem in self.verify_ledger(area.id).await? {
                problems.push(format!("area {}: ledger: {problem}", area.code));
            }
            loop {
                let query = ChildQuery { limit: 500, after: after.take(), ..ChildQuery::default() };
                match self.list_children(area.id, &ChildScope::Everyone, jiff::Timestamp::now(), &query).await {
                    Ok(page) => match page.next {
                        Some(next) => after = Some(next),
                        None => break,
                    },
                    Err(StoreError::Corrupt(what)) => {
                        problems.push(format!("area {}: {what}", area.code));
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        for area in self.areas().await? {
            let mut conn = self.pool.acquire().await?;
            for p in crate::audit::verify(&mut conn, area.id, vec![]).await? {
                problems.push(format!("area {}: audit trail: {p}", area.code));
            }
        }
        let checks: [(&str, &str); 3] = [
            (
                "SELECT COUNT(*) FROM (SELECT child_id FROM lead_assignments WHERE until_ms IS NULL \
                 GROUP BY child_id HAVING COUNT(*) > 1) x",
                "children with more than one current lead professional",
            ),
            (
                "SELECT COUNT(*) FROM audit_trail l WHERE NOT EXISTS (SELECT 1 FROM areas a WHERE a.id = l.area_id)",
                "audit entries for an area that does not exist",
            ),
            (
                "SELECT COUNT(*) FROM children c WHERE c.version - 1 <> (SELECT COUNT(*) FROM audit_trail l \
                 WHERE l.area_id = c.area_id AND l.entity_id = c.id AND l.entity = 'child' AND l.action = 'update')",
                "children whose version does not match their recorded updates",
            ),
        ];
        for (sql, what) in checks {
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&self.pool).await?;
            if n > 0 {
                problems.push(format!("{n} {what}"));
            }
        }
        Ok(problems)
    }

    async fn create_area(&self, code: &AreaCode, name: &Name, stamp: &Stamp) -> StoreResult<Area> {
        let area = Area { id: AreaId::new(), code: code.clone(), name: name.clone() };
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO areas (id, code, name, created_at_ms, created_by) VALUES ($1, $2, $3, $4, $5)")
            .bind(area.id.to_string())
            .bind(code.to_string())
            .bind(name.to_string())
            .bind(stamp.at.as_millisecond())
            .bind(stamp.by.to_string())
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Duplicate(format!("an area with code {code} already exists"))
                } else {
                    e.into()
                }
            })?;
        sqlx::query("INSERT INTO audit_heads (area_id, seq, hash) VALUES ($1, 0, $2)")
            .bind(area.id.to_string())
            .bind(allot_domain::audit::GENESIS_HASH)
            .execute(&mut *tx)
            .await?;
        log_change(
            &mut tx,
            area.id,
            stamp,
            None,
            "area",
            &area.id.to_string(),
            "create",
            serde_json::json!({ "code": code }),
        )
        .await?;
        tx.commit().await?;
        Ok(area)
    }

    async fn area_by_code(&self, code: &AreaCode) -> StoreResult<Option<Area>> {
        let sql = format!("SELECT {} FROM areas WHERE code = $1", rows::AREA_COLUMNS);
        Ok(self.all(&sql, vec![code.to_string().into()], rows::area).await?.pop())
    }

    async fn areas(&self) -> StoreResult<Vec<Area>> {
        self.all(&format!("SELECT {} FROM areas ORDER BY code", rows::AREA_COLUMNS), vec![], rows::area).await
    }

    async fn organisations(&self, area: AreaId) -> StoreResult<Vec<Organisation>> {
        let sql = format!(
            "SELECT {} FROM organisations WHERE area_id = $1 ORDER BY kind, name, id",
            rows::ORGANISATION_COLUMNS
        );
        self.all(&sql, vec![area.to_string().into()], rows::organisation).await
    }

    async fn professionals(&self, area: AreaId) -> StoreResult<Vec<Professional>> {
        let sql = format!(
            "SELECT {} FROM professionals WHERE area_id = $1 ORDER BY team, name, id",
            rows::PROFESSIONAL_COLUMNS
        );
        self.all(&sql, vec![area.to_string().into()], rows::professional).await
    }

    async fn clear_area(&self, area: AreaId, stamp: &Stamp) -> StoreResult<()> {
        let mut tx = self.write().await?;
        // The audit trail stays: it records the clearing too.
        for (table, condition) in [
            ("sessions", "user_id IN (SELECT id FROM users WHERE area_id = $1)"),
            ("user_teams", "user_id IN (SELECT id FROM users WHERE area_id = $1)"),
            ("user_children", "area_id = $1"),
            ("users", "area_id = $1"),
            ("receipts", "area_id = $1"),
            ("dp_audit_events", "area_id = $1"),
            ("dp_audits", "area_id = $1"),
            ("spend_rules", "area_id = $1"),
            ("spend_lines", "account_no IN (SELECT no FROM spend_accounts WHERE area_id = $1)"),
            ("spend_accounts", "area_id = $1"),
            ("spend_imports", "area_id = $1"),
            ("payment_run_items", "area_id = $1"),
            ("payment_runs", "area_id = $1"),
            ("ledger_transfers", "area_id = $1"),
            ("ledger_accounts", "area_id = $1"),
            ("ledger_heads", "area_id = $1"),
            ("bank_details", "area_id = $1"),
            ("finance_settings", "area_id = $1"),
            ("plan_decisions", "area_id = $1"),
            ("plan_versions", "area_id = $1"),
            ("pathway_events", "area_id = $1"),
            ("case_records", "area_id = $1"),
            ("delegation_policies", "area_id = $1"),
            ("involvements", "area_id = $1"),
            ("allocations", "area_id = $1"),
            ("ras_policies", "area_id = $1"),
            ("lead_assignments", "area_id = $1"),
            ("consents", "area_id = $1"),
            ("family_members", "area_id = $1"),
            ("children", "area_id = $1"),
            ("professionals", "area_id = $1"),
            ("organisations", "area_id = $1"),
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE {condition}"))
                .bind(area.to_string())
                .execute(&mut *tx)
                .await?;
        }
        log_change(&mut tx, area, stamp, None, "area", &area.to_string(), "clear", serde_json::json!({})).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn load_records(
        &self,
        area: AreaId,
        records: &AreaRecords,
        stamp: &Stamp,
        progress: Progress<'_>,
    ) -> StoreResult<()> {
        let wrong_area = records.organisations.iter().any(|o| o.area_id != area)
            || records.professionals.iter().any(|p| p.area_id != area)
            || records.children.iter().any(|c| c.area_id != area)
            || records.family_members.iter().any(|m| m.area_id != area)
            || records.consents.iter().any(|c| c.area_id != area)
            || records.lead_assignments.iter().any(|a| a.area_id != area)
            || records.allocations.iter().any(|a| a.area_id != area);
        if wrong_area {
            return Err(StoreError::Refused("every record loaded into an area must belong to that area".into()));
        }
        let mut tally = Tally { done: 0, total: records.len() as u64, report: progress };
        let mut tx = self.write().await?;
        let area_text = area.to_string();
        let org_columns = format!("{}, created_at_ms, created_by", rows::ORGANISATION_COLUMNS);
        let pro_columns = format!("{}, created_at_ms, created_by", rows::PROFESSIONAL_COLUMNS);
        // Parents before children, so every reference finds its record.
        macro_rules! load {
            ($table:literal, $columns:expr, $items:ident, $to_args:path) => {
                let rows = Rows { table: $table, columns: $columns, items: &records.$items, to_args: $to_args };
                insert_many(&mut tx, self.engine, rows, stamp, Some(&mut tally)).await?;
            };
        }
        load!("organisations", &org_columns, organisations, rows::organisation_args);
        load!("professionals", &pro_columns, professionals, rows::professional_args);
        load!("children", rows::CHILD_COLUMNS, children, rows::child_args);
        load!("family_members", rows::FAMILY_COLUMNS, family_members, rows::family_args);
        load!("consents", rows::CONSENT_COLUMNS, consents, rows::consent_args);
        load!("lead_assignments", rows::LEAD_COLUMNS, lead_assignments, rows::lead_args);
        load!("allocations", rows::ALLOCATION_COLUMNS, allocations, rows::allocation_args);
        log_change(
            &mut tx,
            area,
            stamp,
            None,
            "area",
            &area_text,
            "load",
            serde_json::json!({ "children": records.children.len(), "records": records.len() }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_child(&self, area: AreaId, details: &ChildDetails, stamp: &Stamp) -> StoreResult<Child> {
        let child = Child {
            id: ChildId::new(),
            area_id: area,
            details: details.clone(),
            version: 1,
            created_at: stamp.at,
            created_by: stamp.by.clone(),
            updated_at: stamp.at,
            updated_by: stamp.by.clone(),
        };
        let mut tx = self.write().await?;
        insert_child(&mut tx, &child, stamp).await?;
        log_change(
            &mut tx,
            area,
            stamp,
            Some(child.id),
            "child",
            &child.id.to_string(),
            "create",
            serde_json::json!({ "version": 1 }),
        )
        .await?;
        tx.commit().await?;
        Ok(child)
    }

    async fn child(&self, area: AreaId, id: ChildId) -> StoreResult<Child> {
        let mut conn = self.pool.acquire().await?;
        fetch_child(&mut conn, area, id).await?.ok_or(StoreError::NotFound)
    }

    async fn child_by_reference(&self, area: AreaId, reference: &ChildReference) -> StoreResult<Option<Child>> {
        let sql = format!("SELECT {} FROM children WHERE area_id = $1 AND reference = $2", rows::CHILD_COLUMNS);
        Ok(self.all(&sql, vec![area.to_string().into(), reference.to_string().into()], rows::child).await?.pop())
    }

    async fn update_child(
        &self,
        area: AreaId,
        id: ChildId,
        expected_version: i64,
        details: &ChildDetails,
        stamp: &Stamp,
    ) -> StoreResult<Child> {
        let mut tx = self.write().await?;
        let current = fetch_child(&mut tx, area, id).await?.ok_or(StoreError::NotFound)?;
        if current.version != expected_version {
            return Err(StoreError::VersionConflict { expected: expected_version, current: current.version });
        }
        if &current.details == details {
            return Ok(current);
        }
        let updated = replace_child(&mut tx, &current, details, stamp).await?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn list_children(
        &self,
        area: AreaId,
        scope: &ChildScope,
        at: jiff::Timestamp,
        query: &ChildQuery,
    ) -> StoreResult<Page<Child>> {
        let mut args: Vec<Arg> = vec![area.to_string().into()];
        let in_scope = crate::access::scope_condition(scope, at, &mut args);
        let mut sql = format!("SELECT {} FROM children c WHERE c.area_id = $1 AND {in_scope}", rows::CHILD_COLUMNS);
        let mut add = |sql: &mut String, condition: &str, arg: Arg| {
            args.push(arg);
            sql.push_str(&condition.replace("$?", &format!("${}", args.len())));
        };
        if let Some(need) = query.primary_need {
            add(&mut sql, " AND c.primary_need = $?", need.code().into());
        }
        if let Some(status) = query.ehc_plan_status {
            add(&mut sql, " AND c.ehc_plan_status = $?", status.code().into());
        }
        if let Some(p) = query.lead_professional {
            add(
                &mut sql,
                " AND EXISTS (SELECT 1 FROM lead_assignments l WHERE l.child_id = c.id \
                 AND l.until_ms IS NULL AND l.professional_id = $?)",
                p.to_string().into(),
            );
        }
        // Each word must appear in the name or the reference.
        for word in query.search.iter().flat_map(|s| s.split_whitespace()).take(5) {
            let escaped = word.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            add(
                &mut sql,
                " AND (c.sort_name LIKE $? ESCAPE '\\' OR lower(c.reference) LIKE $? ESCAPE '\\')",
                format!("%{escaped}%").into(),
            );
        }
        let key = match query.sort {
            ChildSort::Reference => "reference",
            ChildSort::Name => "sort_name",
            ChildSort::DateOfBirth => "date_of_birth",
        };
        if let Some(after) = &query.after {
            args.push(after.key.clone().into());
            args.push(after.id.to_string().into());
            sql.push_str(&format!(" AND (c.{key}, c.id) > (${}, ${})", args.len() - 1, args.len()));
        }
        sql.push_str(&format!(" ORDER BY c.{key}, c.id LIMIT {}", query.limit + 1));
        let mut items = self.all(&sql, args, rows::child).await?;
        let next = if items.len() > query.limit as usize {
            items.truncate(query.limit as usize);
            items.last().map(|c| Cursor {
                sort: query.sort,
                key: match query.sort {
                    ChildSort::Reference => c.details.reference.to_string(),
                    ChildSort::Name => c.details.name_key(),
                    ChildSort::DateOfBirth => c.details.date_of_birth.to_string(),
                },
                id: c.id,
            })
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn count_children(&self, area: AreaId) -> StoreResult<u64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM children WHERE area_id = $1")
            .bind(area.to_string())
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    async fn import_children(
        &self,
        area: AreaId,
        children: &[ChildDetails],
        stamp: &Stamp,
    ) -> StoreResult<ImportSummary> {
        let mut summary = ImportSummary::default();
        let mut tx = self.write().await?;
        let sql = format!("SELECT {} FROM children WHERE area_id = $1 AND reference = $2", rows::CHILD_COLUMNS);
        for details in children {
            let row = sqlx::query(&sql)
                .bind(area.to_string())
                .bind(details.reference.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            match row.as_ref().map(rows::child).transpose()? {
                None => {
                    let child = Child {
                        id: ChildId::new(),
                        area_id: area,
                        details: details.clone(),
                        version: 1,
                        created_at: stamp.at,
                        created_by: stamp.by.clone(),
                        updated_at: stamp.at,
                        updated_by: stamp.by.clone(),
                    };
                    insert_child(&mut tx, &child, stamp).await?;
                    log_change(
                        &mut tx,
                        area,
                        stamp,
                        Some(child.id),
                        "child",
                        &child.id.to_string(),
                        "import",
                        serde_json::json!({ "version": 1 }),
                    )
                    .await?;
                    summary.created += 1;
                }
                Some(current) if current.details == *details => summary.unchanged += 1,
                Some(current) => {
                    replace_child(&mut tx, &current, details, stamp).await?;
                    summary.updated += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(summary)
    }

    async fn add_family_member(
        &self,
        area: AreaId,
        child: ChildId,
        details: &FamilyMemberDetails,
        stamp: &Stamp,
    ) -> StoreResult<FamilyMember> {
        let member = FamilyMember {
            id: FamilyMemberId::new(),
            area_id: area,
            child_id: child,
            details: details.clone(),
            version: 1,
            updated_at: stamp.at,
            updated_by: stamp.by.clone(),
        };
        let mut tx = self.write().await?;
        child_exists(&mut tx, area, child).await?;
        insert_many(
            &mut tx,
            self.engine,
            Rows {
                table: "family_members",
                columns: rows::FAMILY_COLUMNS,
                items: std::slice::from_ref(&member),
                to_args: rows::family_args,
            },
            stamp,
            None,
        )
        .await?;
        log_change(
            &mut tx,
            area,
            stamp,
            Some(child),
            "family_member",
            &member.id.to_string(),
            "create",
            serde_json::json!({ "child_id": child }),
        )
        .await?;
        tx.commit().await?;
        Ok(member)
    }

    async fn family_members(&self, area: AreaId, child: ChildId) -> StoreResult<Vec<FamilyMember>> {
        let sql = format!(
            "SELECT {} FROM family_members WHERE area_id = $1 AND child_id = $2 ORDER BY created_at_ms, id",
            rows::FAMILY_COLUMNS
        );
        self.all(&sql, vec![area.to_string().into(), child.to_string().into()], rows::family_member).await
    }

    async fn record_consent(
        &self,
        area: AreaId,
        child: ChildId,
        details: &ConsentDetails,
        stamp: &Stamp,
    ) -> StoreResult<Consent> {
        let mut tx = self.write().await?;
        let subject = fetch_child(&mut tx, area, child).await?.ok_or(StoreError::NotFound)?;
        if !exists_in_area(&mut tx, "organisations", area, &details.organisation_id.to_string()).await? {
            return Err(StoreError::Refused("there is no such organisation in this area".into()));
        }
        match details.given_by {
            ConsentGiver::FamilyMember(id) => {
                let member: Option<(i64,)> = sqlx::query_as(
                    "SELECT parental_responsibility FROM family_members WHERE area_id = $1 AND child_id = $2 AND id = $3",
                )
                .bind(area.to_string())
                .bind(child.to_string())
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
                match member {
                    None => {
                        return Err(StoreError::Refused(
                            "consent can only be given by a member of this child's family".into(),
                        ));
                    }
                    Some((0,)) => {
                        return Err(StoreError::Refused(
                            "consent can only be given by someone with parental responsibility".into(),
                        ));
                    }
                    Some(_) => {}
                }
            }
            ConsentGiver::YoungPerson => {
                // From 16 a young person decides for themself (Mental Capacity Act 2005).
                if age_on(subject.details.date_of_birth, details.given_on).is_none_or(|age| age < 16) {
                    return Err(StoreError::Refused(
                        "a young person can give consent themself from the age of 16".into(),
                    ));
                }
            }
        }
        let consent = Consent {
            id: ConsentId::new(),
            area_id: area,
            child_id: child,
            details: details.clone(),
            recorded_at: stamp.at,
            recorded_by: stamp.by.clone(),
            withdrawn_at: None,
            withdrawn_by: None,
        };
        insert_many(
            &mut tx,
            self.engine,
            Rows {
                table: "consents",
                columns: rows::CONSENT_COLUMNS,
                items: std::slice::from_ref(&consent),
                to_args: rows::consent_args,
            },
            stamp,
            None,
        )
        .await?;
        log_change(
            &mut tx,
            area,
            stamp,
            Some(child),
            "consent",
            &consent.id.to_string(),
            "record",
            serde_json::json!({ "child_id": child, "shares": details.shares.code() }),
        )
        .await?;
        tx.commit().await?;
        Ok(consent)
    }

    async fn withdraw_consent(&self, area: AreaId, id: ConsentId, reason: &str, stamp: &Stamp) -> StoreResult<Consent> {
        let mut tx = self.write().await?;
        let sql = format!("SELECT {} FROM consents WHERE area_id = $1 AND id = $2", rows::CONSENT_COLUMNS);
        let row = sqlx::query(&sql).bind(area.to_string()).bind(id.to_string()).fetch_optional(&mut *tx).await?;
        let mut consent = row.as_ref().map(rows::consent).transpose()?.ok_or(StoreError::NotFound)?;
        if let Some(at) = consent.withdrawn_at {
            return Err(StoreError::Refused(format!("this consent was already withdrawn on {}", date_in_england(at))));
        }
        let result = sqlx::query("UPDATE consents SET withdrawn_at_ms = $1, withdrawn_by = $2 WHERE area_id = $3 AND id = $4 AND withdrawn_at_ms IS NULL")
            .bind(stamp.at.as_millisecond())
            .bind(stamp.by.to_string())
            .bind(area.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if result.rows_affected() != 1 {
            return Err(StoreError::Refused("this consent was withdrawn by someone else just now".into()));
        }
        log_change(
            &mut tx,
            area,
            stamp,
            Some(consent.child_id),
            "consent",
            &id.to_string(),
            "withdraw",
            serde_json::json!({ "child_id": consent.child_id, "reason": reason }),
        )
        .await?;
        tx.commit().await?;
        consent.withdrawn_at = Some(stamp.at);
        consent.withdrawn_by = Some(stamp.by.clone());
        Ok(consent)
    }

    async fn consents(&self, area: AreaId, child: ChildId) -> StoreResult<Vec<Consent>> {
        let sql = format!(
            "SELECT {} FROM consents WHERE area_id = $1 AND child_id = $2 ORDER BY recorded_at_ms, id",
            rows::CONSENT_COLUMNS
        );
        self.all(&sql, vec![area.to_string().into(), child.to_string().into()], rows::consent).await
    }

    async fn assign_lead_professional(
        &self,
        area: AreaId,
        child: ChildId,
        professional: ProfessionalId,
        reason: &str,
        stamp: &Stamp,
    ) -> StoreResult<LeadAssignment> {
        let reason = allot_domain::text::optional_text(Some(reason), 500)
            .map_err(StoreError::Refused)?
            .ok_or_else(|| StoreError::Refused("give a reason for the change of lead professional".into()))?;
        let mut tx = self.write().await?;
        child_exists(&mut tx, area, child).await?;
        if !exists_in_area(&mut tx, "professionals", area, &professional.to_string()).await? {
            return Err(StoreError::Refused("there is no such professional in this area".into()));
        }
        let current: Option<(String,)> =
            sqlx::query_as("SELECT professional_id FROM lead_assignments WHERE child_id = $1 AND until_ms IS NULL")
                .bind(child.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        if current.as_ref().is_some_and(|(p,)| *p == professional.to_string()) {
            return Err(StoreError::Refused("this professional is already the child's lead professional".into()));
        }
        sqlx::query(
            "UPDATE lead_assignments SET until_ms = $1 WHERE area_id = $2 AND child_id = $3 AND until_ms IS NULL",
        )
        .bind(stamp.at.as_millisecond())
        .bind(area.to_string())
        .bind(child.to_string())
        .execute(&mut *tx)
        .await?;
        let spell = LeadAssignment {
            area_id: area,
            child_id: child,
            professional_id: professional,
            from: stamp.at,
            until: None,
            assigned_by: stamp.by.clone(),
            reason,
        };
        insert_many(
            &mut tx,
            self.engine,
            Rows {
                table: "lead_assignments",
                columns: rows::LEAD_COLUMNS,
                items: std::slice::from_ref(&spell),
                to_args: rows::lead_args,
            },
            stamp,
            None,
        )
        .await?;
        log_change(
            &mut tx,
            area,
            stamp,
            Some(child),
            "child",
            &child.to_string(),
            "assign_lead_professional",
            serde_json::json!({ "professional_id": professional }),
        )
        .await?;
        tx.commit().await?;
        Ok(spell)
    }

    async fn lead_history(&self, area: AreaId, child: ChildId) -> StoreResult<Vec<LeadAssignment>> {
        let sql = format!(
            "SELECT {} FROM lead_assignments WHERE area_id = $1 AND child_id = $2 \
             ORDER BY from_ms, CASE WHEN until_ms IS NULL THEN 1 ELSE 0 END, until_ms, id",
            rows::LEAD_COLUMNS
        );
        self.all(&sql, vec![area.to_string().into(), child.to_string().into()], rows::lead_assignment).await
    }

    async fn publish_policy(
        &self,
        area: AreaId,
        policy: &Policy,
        content: &str,
        stamp: &Stamp,
    ) -> StoreResult<PublishedPolicy> {
        let published = PublishedPolicy {
            id: RasPolicyId::new(),
            area_id: area,
            policy: policy.clone(),
            content: content.to_owned(),
            published_at: stamp.at,
            published_by: stamp.by.clone(),
        };
        let mut tx = self.write().await?;
        let sql = format!("INSERT INTO ras_policies ({}) VALUES ({})", rows::POLICY_COLUMNS, placeholders(0, 10));
        sqlx::query(&sql)
            .bind(published.id.to_string())
            .bind(area.to_string())
            .bind(&policy.id)
            .bind(&policy.version)
            .bind(&policy.title)
            .bind(policy.effective_from.to_string())
            .bind(content)
            .bind(&policy.content_hash)
            .bind(stamp.at.as_millisecond())
            .bind(stamp.by.to_string())
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Duplicate(format!(
                        "policy {} version {} is already published; a change needs a new version",
                        policy.id, policy.version
                    ))
                } else {
                    e.into()
                }
            })?;
        log_change(&mut tx, area, stamp, None, "ras_policy", &published.id.to_string(), "publish",
            serde_json::json!({ "policy_id": policy.id, "version": policy.version, "content_hash": policy.content_hash })).await?;
        tx.commit().await?;
        Ok(published)
    }

    async fn policies(&self, area: AreaId) -> StoreResult<Vec<PublishedPolicy>> {
        let sql = format!(
            "SELECT {} FROM ras_policies WHERE area_id = $1 ORDER BY effective_from, published_at_ms, id",
            rows::POLICY_COLUMNS
        );
        self.all(&sql, vec![area.to_string().into()], rows::published_policy).await
    }

    async fn policy(&self, area: AreaId, id: RasPolicyId) -> StoreResult<PublishedPolicy> {
        let sql = format!("SELECT {} FROM ras_policies WHERE area_id = $1 AND id = $2", rows::POLICY_COLUMNS);
        self.all(&sql, vec![area.to_string().into(), id.to_string().into()], rows::published_policy)
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    async fn current_policy(&self, area: AreaId, on: jiff::civil::Date) -> StoreResult<Option<PublishedPolicy>> {
        let sql = format!(
            "SELECT {} FROM ras_policies WHERE area_id = $1 AND effective_from <= $2 \
             ORDER BY effective_from DESC, published_at_ms DESC, id DESC LIMIT 1",
            rows::POLICY_COLUMNS
        );
        Ok(self.all(&sql, vec![area.to_string().into(), on.to_string().into()], rows::published_policy).await?.pop())
    }

    async fn record_allocation(&self, allocation: &StoredAllocation, stamp: &Stamp) -> StoreResult<()> {
        let mut tx = self.write().await?;
        child_exists(&mut tx, allocation.area_id, allocation.child_id).await?;
        let rows = Rows {
            table: "allocations",
            columns: rows::ALLOCATION_COLUMNS,
            items: std::slice::from_ref(allocation),
            to_args: rows::allocation_args,
        };
        insert_many(&mut tx, self.engine, rows, stamp, None).await?;
        log_change(
            &mut tx,
            allocation.area_id,
            stamp,
            Some(allocation.child_id),
            "child",
            &allocation.child_id.to_string(),
            "allocate",
            serde_json::json!({ "allocation_id": allocation.id, "integrated_pence": allocation.integrated.pence() }),
        )
        .await?;
        pathway::advance_step(
            &mut tx,
            allocation.area_id,
            allocation.child_id,
            PathwayStep::IndicativeBudget,
            "The indicative budget was worked out",
            stamp,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn allocations(&self, area: AreaId, child: ChildId) -> StoreResult<Vec<StoredAllocation>> {
        let sql = format!(
            "SELECT {} FROM allocations WHERE area_id = $1 AND child_id = $2 ORDER BY recorded_at_ms, id",
            rows::ALLOCATION_COLUMNS
        );
        self.all(&sql, vec![area.to_string().into(), child.to_string().into()], rows::allocation).await
    }

    async fn latest_allocations(
        &self,
        area: AreaId,
    ) -> StoreResult<Vec<(ChildReference, jiff::civil::Date, StoredAllocation)>> {
        let columns: Vec<String> = rows::ALLOCATION_COLUMNS.split(',').map(|c| format!("a.{}", c.trim())).collect();
        let sql = format!(
            "SELECT c.reference AS child_reference, c.date_of_birth AS child_date_of_birth, {} FROM allocations a \
             JOIN children c ON c.area_id = a.area_id AND c.id = a.child_id \
             WHERE a.area_id = $1 AND NOT EXISTS (SELECT 1 FROM allocations b WHERE b.child_id = a.child_id \
             AND (b.recorded_at_ms > a.recorded_at_ms OR (b.recorded_at_ms = a.recorded_at_ms AND b.id > a.id))) \
             ORDER BY c.reference",
            columns.join(", ")
        );
        let rows = bind(sqlx::query(&sql), vec![area.to_string().into()]).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let r = rows::Reader { row, table: "children" };
                Ok((
                    r.parsed("child_reference", ChildReference::parse)?,
                    r.parsed("child_date_of_birth", allot_domain::dates::parse_date)?,
                    rows::allocation(row)?,
                ))
            })
            .collect()
    }

    async fn changes(&self, area: AreaId, entity_id: &str) -> StoreResult<Vec<Change>> {
        self.changes_where(area, ("entity_id", entity_id.to_owned())).await
    }

    async fn child_changes(&self, area: AreaId, child: ChildId) -> StoreResult<Vec<Change>> {
        self.changes_where(area, ("child_id", child.to_string())).await
    }

    async fn create_user(
        &self,
        area: AreaId,
        details: &UserDetails,
        credentials: &Credentials,
        stamp: &Stamp,
    ) -> StoreResult<User> {
        access::create_user(&self.pool, self.engine, area, details, credentials, stamp).await
    }

    async fn users(&self, area: AreaId) -> StoreResult<Vec<User>> {
        access::users(&self.pool, area).await
    }

    async fn user(&self, area: AreaId, id: UserId) -> StoreResult<User> {
        let mut conn = self.pool.acquire().await?;
        Ok(access::fetch_user(&mut conn, area, id).await?.0)
    }

    async fn user_for_sign_in(&self, username: &Username) -> StoreResult<Option<(User, Credentials)>> {
        access::user_for_sign_in(&self.pool, username).await
    }

    async fn set_credentials(
        &self,
        area: AreaId,
        user: UserId,
        credentials: &Credentials,
        reason: &str,
        stamp: &Stamp,
    ) -> StoreResult<()> {
        access::set_credentials(&self.pool, self.engine, area, user, credentials, reason, stamp).await
    }

    async fn set_user_disabled(
        &self,
        area: AreaId,
        user: UserId,
        disabled: bool,
        reason: &str,
        stamp: &Stamp,
    ) -> StoreResult<()> {
        access::set_user_disabled(&self.pool, self.engine, area, user, disabled, reason, stamp).await
    }

    async fn use_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool> {
        access::use_totp_step(&self.pool, user, step).await
    }

    async fn record_sign_in_attempt(
        &self,
        username: &str,
        user: Option<&User>,
        succeeded: bool,
        reason: &str,
        at: jiff::Timestamp,
    ) -> StoreResult<()> {
        access::record_sign_in_attempt(&self.pool, self.engine, username, user, succeeded, reason, at).await
    }

    async fn recent_sign_in_failures(
        &self,
        username: &str,
        since: jiff::Timestamp,
    ) -> StoreResult<(u32, Option<jiff::Timestamp>)> {
        access::recent_sign_in_failures(&self.pool, username, since).await
    }

    async fn start_session(&self, session: &Session) -> StoreResult<()> {
        access::start_session(&self.pool, session).await
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<(Session, User)>> {
        access::session(&self.pool, token_hash).await
    }

    async fn update_session(&self, token_hash: &str, change: SessionChange, at: jiff::Timestamp) -> StoreResult<()> {
        access::update_session(&self.pool, token_hash, change, at).await
    }

    async fn begin_oidc_login(&self, login: &OidcLogin) -> StoreResult<()> {
        sqlx::query("INSERT INTO oidc_logins (state, nonce, code_verifier, created_at_ms) VALUES ($1, $2, $3, $4)")
            .bind(&login.state)
            .bind(&login.nonce)
            .bind(&login.code_verifier)
            .bind(login.created_at.as_millisecond())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn take_oidc_login(&self, state: &str) -> StoreResult<Option<OidcLogin>> {
        let row: Option<(String, String, String, i64)> = sqlx::query_as(
            "DELETE FROM oidc_logins WHERE state = $1 RETURNING state, nonce, code_verifier, created_at_ms",
        )
        .bind(state)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(state, nonce, code_verifier, ms)| {
            let created_at = jiff::Timestamp::from_millisecond(ms)
                .map_err(|e| StoreError::Corrupt(format!("oidc_logins.created_at_ms: {e}")))?;
            Ok(OidcLogin { state, nonce, code_verifier, created_at })
        })
        .transpose()
    }

    async fn add_involvement(
        &self,
        area: AreaId,
        child: ChildId,
        details: &InvolvementDetails,
        stamp: &Stamp,
    ) -> StoreResult<Involvement> {
        access::add_involvement(&self.pool, self.engine, area, child, details, stamp).await
    }

    async fn involvements(&self, area: AreaId, child: ChildId) -> StoreResult<Vec<Involvement>> {
        access::involvements(&self.pool, area, child).await
    }

    async fn end_involvement(
        &self,
        area: AreaId,
        id: InvolvementId,
        until: jiff::civil::Date,
        stamp: &Stamp,
    ) -> StoreResult<Involvement> {
        access::end_involvement(&self.pool, self.engine, area, id, until, stamp).await
    }

    async fn child_of(&self, area: AreaId, record: ChildRecord, id: &str) -> StoreResult<Option<ChildId>> {
        let table = match record {
            ChildRecord::Consent => "consents",
            ChildRecord::Involvement => "involvements",
        };
        let found: Option<(String,)> =
            sqlx::query_as(&format!("SELECT child_id FROM {table} WHERE area_id = $1 AND id = $2"))
                .bind(area.to_string())
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        found.map(|(c,)| c.parse().map_err(|_| StoreError::Corrupt(format!("{table}.child_id")))).transpose()
    }

    async fn child_facts(&self, area: AreaId, child: ChildId, at: jiff::Timestamp) -> StoreResult<Option<ChildFacts>> {
        access::child_facts(&self.pool, area, child, at).await
    }

    async fn publish_delegation(
        &self,
        area: AreaId,
        policy: &DelegationPolicy,
        content: &str,
        stamp: &Stamp,
    ) -> StoreResult<PublishedDelegation> {
        pathway::publish_delegation(self, area, policy, content, stamp).await
    }

    async fn delegation_policies(&self, area: AreaId) -> StoreResult<Vec<PublishedDelegation>> {
        pathway::delegation_policies(&self.pool, area).await
    }

    async fn record_pathway_event(
        &self,
        area: AreaId,
        child: ChildId,
        expected_count: usize,
        event: &PathwayEvent,
        stamp: &Stamp,
    ) -> StoreResult<StoredEvent> {
        pathway::record_event(self, area, child, expected_count, event, stamp).await
    }

    async fn pathway_events(&self, area: AreaId, child: Option<ChildId>) -> StoreResult<Vec<StoredEvent>> {
        pathway::pathway_events(&self.pool, area, child).await
    }

    async fn save_plan_draft(
        &self,
        area: AreaId,
        child: ChildId,
        expected: Option<(i64, i64)>,
        content: &PlanContent,
        author: UserId,
        stamp: &Stamp,
    ) -> StoreResult<PlanVersion> {
        pathway::save_plan_draft(self, area, child, expected, content, author, stamp).await
    }

    async fn submit_plan(
        &self,
        area: AreaId,
        child: ChildId,
        expected: (i64, i64),
        submission: &Submission,
        stamp: &Stamp,
    ) -> StoreResult<PlanVersion> {
        pathway::submit_plan(self, area, child, expected, submission, stamp).await
    }

    async fn decide_plan(
        &self,
        area: AreaId,
        child: ChildId,
        expected: (i64, i64),
        decision: &PlanDecision,
        status: PlanStatus,
        stamp: &Stamp,
    ) -> StoreResult<PlanVersion> {
        pathway::decide_plan(self, area, child, expected, decision, status, stamp).await
    }

    async fn plan_versions(&self, area: AreaId, child: Option<ChildId>) -> StoreResult<Vec<PlanVersion>> {
        let mut conn = self.pool.acquire().await?;
        pathway::plan_versions(&mut conn, area, child).await
    }

    async fn save_case_record(
        &self,
        area: AreaId,
        record: &CaseRecord,
        expected: Option<i64>,
        reason: Option<&str>,
        stamp: &Stamp,
    ) -> StoreResult<StoredCaseRecord> {
        pathway::save_case_record(self, area, record, expected, reason, stamp).await
    }

    async fn case_records(&self, area: AreaId, child: Option<ChildId>) -> StoreResult<Vec<StoredCaseRecord>> {
        pathway::case_records(&self.pool, area, child).await
    }

    async fn record_audit(&self, area: AreaId, entries: Vec<AuditEntry>) -> StoreResult<()> {
        let mut tx = self.write().await?;
        audit::append(&mut tx, area, entries).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_entries(
        &self,
        area: AreaId,
        child: Option<ChildId>,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<Vec<SealedEntry>> {
        let mut conn = self.pool.acquire().await?;
        audit::entries(&mut conn, area, child.map(|c| ("child_id", c.to_string())), after_seq, limit).await
    }

    async fn verify_audit(&self, area: AreaId, checkpoints: Vec<Checkpoint>) -> StoreResult<Vec<String>> {
        let mut conn = self.pool.acquire().await?;
        audit::verify(&mut conn, area, checkpoints).await
    }

    async fn audit_checkpoint(&self, area: AreaId) -> StoreResult<Option<Checkpoint>> {
        let mut conn = self.pool.acquire().await?;
        audit::head(&mut conn, area).await
    }

    async fn record_transfer(&self, area: AreaId, transfer: &Transfer, stamp: &Stamp) -> StoreResult<Applied> {
        money::record_transfer(self, area, transfer, stamp).await
    }

    async fn ledger_accounts(&self, area: AreaId, child: Option<ChildId>) -> StoreResult<Vec<(AccountKey, Balances)>> {
        money::ledger_accounts(&self.pool, area, child).await
    }

    async fn transfers(&self, area: AreaId, child: Option<ChildId>) -> StoreResult<Vec<StoredTransfer>> {
        money::transfers(&self.pool, area, child).await
    }

    async fn verify_ledger(&self, area: AreaId) -> StoreResult<Vec<String>> {
        money::verify_ledger(&self.pool, area).await
    }

    async fn publish_finance_settings(
        &self,
        area: AreaId,
        content: &str,
        stamp: &Stamp,
    ) -> StoreResult<PublishedFinanceSettings> {
        money::publish_finance_settings(self, area, content, stamp).await
    }

    async fn finance_settings(&self, area: AreaId) -> StoreResult<Option<PublishedFinanceSettings>> {
        let mut conn = self.pool.acquire().await?;
        money::finance_settings(&mut conn, area).await
    }

    async fn propose_bank_details(
        &self,
        area: AreaId,
        account: &AccountKey,
        details: &BankDetails,
        reason: &str,
        stamp: &Stamp,
    ) -> StoreResult<BankChange> {
        money::propose_bank_details(self, area, account, details, reason, stamp).await
    }

    async fn decide_bank_details(
        &self,
        area: AreaId,
        account: &AccountKey,
        seq: i64,
        confirm: bool,
        stamp: &Stamp,
    ) -> StoreResult<BankChange> {
        money::decide_bank_details(self, area, account, seq, confirm, stamp).await
    }

    async fn bank_details(
        &self,
        area: AreaId,
        account: Option<&AccountKey>,
    ) -> StoreResult<Vec<(AccountKey, BankChange)>> {
        let mut conn = self.pool.acquire().await?;
        money::bank_details(&mut conn, area, account).await
    }

    async fn prepare_payment_run(
        &self,
        area: AreaId,
        day: jiff::civil::Date,
        stamp: &Stamp,
    ) -> StoreResult<RunOutcome> {
        money::prepare_payment_run(self, area, day, stamp).await
    }

    async fn payment_runs(&self, area: AreaId) -> StoreResult<Vec<PaymentRun>> {
        money::payment_runs(self, area).await
    }

    async fn release_payment_run(&self, area: AreaId, id: PaymentRunId, stamp: &Stamp) -> StoreResult<PaymentRun> {
        money::release_payment_run(self, area, id, stamp).await
    }

    async fn cancel_payment_run(
        &self,
        area: AreaId,
        id: PaymentRunId,
        reason: &str,
        stamp: &Stamp,
    ) -> StoreResult<PaymentRun> {
        money::cancel_payment_run(self, area, id, reason, stamp).await
    }

    async fn import_spend(
        &self,
        area: AreaId,
        format: StatementFormat,
        file_name: &str,
        chunks: tokio::sync::mpsc::Receiver<SpendChunk>,
        stamp: &Stamp,
    ) -> StoreResult<SpendImported> {
        spend::import_spend(self, area, format, file_name, chunks, stamp).await
    }

    async fn child_spend(&self, area: AreaId, child: ChildId, year: FinancialYear) -> StoreResult<Vec<StoredSpend>> {
        let mut conn = self.pool.acquire().await?;
        spend::child_spend(&mut conn, area, child, year).await
    }

    async fn put_spend_against_item(
        &self,
        area: AreaId,
        child: ChildId,
        line: &SpendLineRef,
        item_key: Option<&str>,
        remember: Option<LearnedField>,
        stamp: &Stamp,
    ) -> StoreResult<StoredSpend> {
        spend::put_spend_against_item(self, area, child, line, item_key, remember, stamp).await
    }

    async fn child_money(&self, area: AreaId, child: ChildId, year: FinancialYear) -> StoreResult<ChildMoney> {
        let mut conn = self.pool.acquire().await?;
        spend::child_money_in(&mut conn, area, child, year).await
    }

    async fn direct_payment_reviews(
        &self,
        area: AreaId,
        today: jiff::civil::Date,
    ) -> StoreResult<Vec<DirectPaymentReview>> {
        monitoring::direct_payment_reviews(self, area, today).await
    }

    async fn start_dp_audit(
        &self,
        area: AreaId,
        child: ChildId,
        on: jiff::civil::Date,
        stamp: &Stamp,
    ) -> StoreResult<DpAudit> {
        monitoring::start_dp_audit(self, area, child, on, stamp).await
    }

    async fn record_dp_audit_event(
        &self,
        area: AreaId,
        audit: DpAuditId,
        event: &AuditEvent,
        stamp: &Stamp,
    ) -> StoreResult<DpAudit> {
        monitoring::record_dp_audit_event(self, area, audit, event, stamp).await
    }

    async fn dp_audits(&self, area: AreaId, child: ChildId) -> StoreResult<Vec<DpAudit>> {
        monitoring::dp_audits(self, area, child).await
    }

    async fn spend_imports(&self, area: AreaId, limit: u32) -> StoreResult<Vec<crate::SpendImportRecord>> {
        spend::spend_imports(self, area, limit).await
    }

    async fn add_receipt(
        &self,
        area: AreaId,
        child: ChildId,
        details: &ReceiptDetails,
        file: &ReceiptFile,
        stamp: &Stamp,
    ) -> StoreResult<Receipt> {
        receipts::add_receipt(self, area, child, details, file, stamp).await
    }

    async fn receipts(&self, area: AreaId, child: ChildId) -> StoreResult<Vec<Receipt>> {
        receipts::receipts(self, area, child).await
    }

    async fn receipt_file(&self, area: AreaId, child: ChildId, id: ReceiptId) -> StoreResult<(Receipt, Vec<u8>)> {
        receipts::receipt_file(self, area, child, id).await
    }
}
