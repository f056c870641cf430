//! Embedded migrations, one folder per engine. Applied in order, each in
//! its own transaction; an applied migration whose text has since changed
//! is refused (the schema would no longer be what the code expects).

use crate::{Engine, StoreError, StoreResult};
use sqlx::AnyPool;

/// `(version, name, sql)` for each engine, in order.
const SQLITE: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../migrations/sqlite/0001_foundation.sql")),
    (2, "ras", include_str!("../migrations/sqlite/0002_ras.sql")),
    (3, "access", include_str!("../migrations/sqlite/0003_access.sql")),
    (4, "oidc", include_str!("../migrations/sqlite/0004_oidc.sql")),
    (5, "pathway", include_str!("../migrations/sqlite/0005_pathway.sql")),
    (6, "money", include_str!("../migrations/sqlite/0006_money.sql")),
    (7, "spend", include_str!("../migrations/sqlite/0007_spend.sql")),
    (8, "receipts", include_str!("../migrations/sqlite/0008_receipts.sql")),
    (9, "spend_accounts", include_str!("../migrations/sqlite/0009_spend_accounts.sql")),
];
const POSTGRES: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../migrations/postgres/0001_foundation.sql")),
    (2, "ras", include_str!("../migrations/postgres/0002_ras.sql")),
    (3, "access", include_str!("../migrations/postgres/0003_access.sql")),
    (4, "oidc", include_str!("../migrations/postgres/0004_oidc.sql")),
    (5, "pathway", include_str!("../migrations/postgres/0005_pathway.sql")),
    (6, "money", include_str!("../migrations/postgres/0006_money.sql")),
    (7, "spend", include_str!("../migrations/postgres/0007_spend.sql")),
    (8, "receipts", include_str!("../migrations/postgres/0008_receipts.sql")),
    (9, "spend_accounts", include_str!("../migrations/postgres/0009_spend_accounts.sql")),
];

/// The migration that turns the change log into the audit trail: the
/// entries it copies are sealed (hashed) in Rust, in the same transaction.
const AUDIT_TRAIL_MIGRATION: i64 = 3;

fn migrations(engine: Engine) -> &'static [(i64, &'static str, &'static str)] {
    match engine {
        Engine::Sqlite => SQLITE,
        Engine::Postgres => POSTGRES,
    }
}

/// FNV-1a: a stable checksum with no dependency; it guards against edits,
/// not attackers.
fn checksum(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3));
    format!("{hash:016x}")
}

pub(crate) async fn run(pool: &AnyPool, engine: Engine) -> StoreResult<Vec<String>> {
    run_to(pool, engine, latest(engine)).await
}

/// Applies the migrations up to and including `last` (tests start a
/// database at an old schema this way, to check a migration moves data).
pub(crate) async fn run_to(pool: &AnyPool, engine: Engine, last: i64) -> StoreResult<Vec<String>> {
    let mut conn = pool.acquire().await?;
    crate::sql::execute_script(
        &mut conn,
        "CREATE TABLE IF NOT EXISTS allot_migrations (
            version BIGINT NOT NULL PRIMARY KEY,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at_ms BIGINT NOT NULL
        )",
    )
    .await?;
    drop(conn);
    let mut applied = Vec::new();
    for &(version, name, sql) in migrations(engine).iter().filter(|m| m.0 <= last) {
        let mut tx = crate::sql::begin_write(pool, engine).await?;
        let existing: Option<(String,)> = sqlx::query_as("SELECT checksum FROM allot_migrations WHERE version = $1")
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
        match existing {
            Some((sum,)) if sum == checksum(sql) => continue,
            Some(_) => {
                return Err(StoreError::Migration(format!(
                    "migration {version} ({name}) differs from the one applied to this database"
                )));
            }
            None => {}
        }
        crate::sql::execute_script(&mut tx, sql).await?;
        if version == AUDIT_TRAIL_MIGRATION {
            crate::audit::seal_copied(&mut tx).await?;
        }
        sqlx::query("INSERT INTO allot_migrations (version, name, checksum, applied_at_ms) VALUES ($1, $2, $3, $4)")
            .bind(version)
            .bind(name)
            .bind(checksum(sql))
            .bind(jiff::Timestamp::now().as_millisecond())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        applied.push(format!("{version:04}_{name}"));
    }
    Ok(applied)
}

/// The newest migration this build knows for `engine`.
pub(crate) fn latest(engine: Engine) -> i64 {
    migrations(engine).last().map_or(0, |m| m.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_engines_have_the_same_migrations() {
        let names = |m: &[(i64, &str, &str)]| m.iter().map(|(v, n, _)| (*v, n.to_string())).collect::<Vec<_>>();
        assert_eq!(names(super::SQLITE), names(super::POSTGRES));
    }
}
