//! Fresh, real databases for tests: a SQLite file in a temporary folder, or
//! a new PostgreSQL database on the server `ALLOT_TEST_DATABASE_URL` names.
//! Used by the conformance suite and by the HTTP and CLI tests, so every
//! story runs on both engines.

use crate::{DatabaseUrl, Engine, SqlStore, Store};

/// The environment variable naming a PostgreSQL server tests may create
/// databases on (a URL to an existing database, such as `postgres`).
pub const POSTGRES_ENV: &str = "ALLOT_TEST_DATABASE_URL";
/// When set (CI sets it), a test that cannot reach PostgreSQL fails instead
/// of skipping, so the PostgreSQL half can never silently not run.
pub const REQUIRE_POSTGRES_ENV: &str = "ALLOT_REQUIRE_POSTGRES";

/// A database that exists for one test and is removed afterwards.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: DatabaseUrl,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// A fresh database on `engine`, or `None` when PostgreSQL is not
    /// configured (and not required).
    pub async fn new(engine: Engine) -> Option<TestDatabase> {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary folder");
                let url = DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("allot.db").display()))
                    .expect("sqlite url");
                Some(TestDatabase { url, _dir: Some(dir), postgres: None })
            }
            Engine::Postgres => {
                let Ok(admin) = std::env::var(POSTGRES_ENV) else {
                    assert!(
                        std::env::var_os(REQUIRE_POSTGRES_ENV).is_none(),
                        "{REQUIRE_POSTGRES_ENV} is set but {POSTGRES_ENV} is not: the PostgreSQL tests cannot run"
                    );
                    eprintln!("skipped on PostgreSQL: set {POSTGRES_ENV} to run this test there too");
                    return None;
                };
                let name = format!("allot_test_{}", uuid::Uuid::new_v4().simple());
                sqlx::any::install_default_drivers();
                let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {POSTGRES_ENV}: {e}"));
                sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create test database");
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                let url = DatabaseUrl::parse(&format!("{base}/{name}")).expect("postgres url");
                Some(TestDatabase { url, _dir: None, postgres: Some((admin, name)) })
            }
        }
    }

    /// Runs SQL behind the store's back: for tests that tamper with stored
    /// data to prove the tampering is detected.
    pub async fn tamper(&self, sql: &str) {
        let store = SqlStore::connect(&self.url).await.expect("connect");
        sqlx::query(sql).execute(&store.pool).await.expect("tamper");
    }

    /// Brings this database's schema up to migration `version` only, as
    /// an older build left it.
    pub async fn migrate_to(&self, version: i64) {
        let store = SqlStore::connect(&self.url).await.expect("connect");
        crate::migrate::run_to(&store.pool, store.engine, version).await.expect("migrate");
    }

    /// A migrated store on this database.
    pub async fn store(&self) -> SqlStore {
        let store = SqlStore::connect(&self.url).await.expect("connect");
        store.migrate().await.expect("migrate");
        store
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.postgres.take() {
            // Drop runs outside any runtime we may block, so use a thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                rt.block_on(async move {
                    if let Ok(mut conn) = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await {
                        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        let _ = sqlx::Executor::execute(&mut conn, sql.as_str()).await;
                    }
                });
            })
            .join();
        }
    }
}

/// Declares tests that run a story on SQLite and on PostgreSQL. Each story
/// is an `async fn(TestDatabase)`.
#[macro_export]
macro_rules! on_both_engines {
    ($($story:ident),* $(,)?) => {$(
        mod $story {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::testing::TestDatabase::new($crate::Engine::Sqlite).await.expect("sqlite");
                super::$story(db).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::testing::TestDatabase::new($crate::Engine::Postgres).await {
                    super::$story(db).await;
                }
            }
        }
    )*};
}

/// An area set up for a test: a council and two SEN caseworkers in it.
#[derive(Debug, Clone, Copy)]
pub struct SeededArea {
    pub area: allot_domain::AreaId,
    pub council: allot_domain::OrganisationId,
    pub caseworkers: [allot_domain::ProfessionalId; 2],
}

/// Creates the area `code` with a council and two caseworkers (Asha, Ben).
pub async fn seed_area(store: &dyn Store, code: &str) -> SeededArea {
    use allot_domain::organisation::{Organisation, OrganisationKind};
    use allot_domain::professional::{Professional, ProfessionalRole};
    use allot_domain::{Actor, AreaCode, Name, OrganisationId, ProfessionalId, Stamp};
    let stamp = Stamp::now(Actor::parse("setup").expect("actor"));
    let area = store
        .create_area(&AreaCode::parse(code).expect("code"), &Name::parse("Test Council").expect("name"), &stamp)
        .await
        .expect("create area")
        .id;
    let council = Organisation {
        id: OrganisationId::new(),
        area_id: area,
        kind: OrganisationKind::Council,
        name: Name::parse("Test Council").expect("name"),
        code: None,
    };
    let caseworker = |name: &str| Professional {
        id: ProfessionalId::new(),
        area_id: area,
        organisation_id: council.id,
        name: Name::parse(name).expect("name"),
        role: ProfessionalRole::SenCaseworker,
        team: Name::parse("SEN North").expect("team"),
        email: format!("{}@council.example", name.to_lowercase()),
    };
    let (asha, ben) = (caseworker("Asha"), caseworker("Ben"));
    let seeded = SeededArea { area, council: council.id, caseworkers: [asha.id, ben.id] };
    let records = allot_domain::records::AreaRecords {
        organisations: vec![council],
        professionals: vec![asha, ben],
        ..Default::default()
    };
    store.load_records(area, &records, &stamp, &|_, _| {}).await.expect("load records");
    seeded
}
