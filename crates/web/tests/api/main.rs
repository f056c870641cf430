//! HTTP tests: the real app on a real port, on a fresh database per test,
//! on SQLite and on PostgreSQL.

mod access;
mod area_pages;
mod browser;
mod money;
mod money_pages;
mod oidc;
mod pages;
mod pathway;
mod plan_pages;

use allot_domain::totp::TotpSecret;
use allot_domain::user::UserForm;
use allot_domain::{AreaId, ChildId, OrganisationId, ProfessionalId, Role};
use allot_store::testing::TestDatabase;
use allot_store::{Credentials, SqlStore, Store, on_both_engines};
use serde_json::{Value, json};
use std::sync::Arc;

struct TestApp {
    base: String,
    client: reqwest::Client,
    store: Arc<SqlStore>,
    area: AreaId,
    council: OrganisationId,
    caseworkers: [ProfessionalId; 2],
    /// The session token requests are sent with (Asha, a caseworker, in
    /// team SEN North, unless a test signs in as someone else).
    token: String,
    db: TestDatabase,
}

/// The password every test user has.
const PASSWORD: &str = "a long test password";

/// Every test user's authenticator secret.
fn secret() -> TotpSecret {
    TotpSecret::from_bytes([7; 20])
}

/// The code an authenticator app would show now.
fn code_now() -> String {
    format!("{:06}", secret().code_for_step(jiff::Timestamp::now().as_second() / 30))
}

/// Who a test user is.
#[derive(Debug, Clone, Default)]
struct Who {
    organisation: Option<OrganisationId>,
    professional: Option<ProfessionalId>,
    teams: Vec<&'static str>,
    children: Vec<ChildId>,
}

/// Adds a user with `role` to `area` and returns their user name.
async fn add_user(store: &dyn Store, area: AreaId, username: &str, role: Role, who: Who) -> String {
    let form = UserForm {
        username: Some(username.into()),
        name: Some(format!("Test {}", role.label())),
        role: Some(role.code().into()),
        organisation_id: who.organisation.map(|o| o.to_string()),
        professional_id: who.professional.map(|p| p.to_string()),
        teams: Some(who.teams.iter().map(|t| t.to_string()).collect()),
        children: Some(who.children.iter().map(|c| c.to_string()).collect()),
    };
    let details = form.parse().unwrap_or_else(|e| panic!("{username}: {e}"));
    let credentials =
        Credentials { password_hash: Some(allot_web::hash_password(PASSWORD)), totp_secret: Some(secret()) };
    let stamp = allot_domain::Stamp::now(allot_domain::Actor::parse("setup").unwrap());
    store.create_user(area, &details, &credentials, &stamp).await.unwrap();
    username.to_owned()
}

/// Everything the app logs in this test binary, captured so a test can
/// check that no child's details reach the operational log.
fn log_buffer() -> &'static std::sync::Mutex<Vec<u8>> {
    static LOG: std::sync::OnceLock<std::sync::Mutex<Vec<u8>>> = std::sync::OnceLock::new();
    static INSTALL: std::sync::Once = std::sync::Once::new();
    let buffer = LOG.get_or_init(|| std::sync::Mutex::new(Vec::new()));
    INSTALL.call_once(|| {
        struct Capture;
        impl std::io::Write for Capture {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                log_buffer().lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        tracing_subscriber::fmt().with_writer(|| Capture).with_ansi(false).with_max_level(tracing::Level::TRACE).init();
    });
    buffer
}

fn captured_log() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

async fn spawn(db: TestDatabase) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    spawn_on(db, listener, None).await
}

/// The app on `listener`, with sign-in through `oidc` if given.
async fn spawn_on(db: TestDatabase, listener: tokio::net::TcpListener, oidc: Option<allot_web::OidcConfig>) -> TestApp {
    log_buffer();
    let store = Arc::new(db.store().await);
    let seeded = allot_store::testing::seed_area(store.as_ref(), "E06000001").await;
    let base = format!("http://{}", listener.local_addr().unwrap());
    let dyn_store: Arc<dyn Store> = store.clone();
    tokio::spawn(async move { allot_web::serve(listener, dyn_store, oidc).await.unwrap() });
    let mut app = TestApp {
        base,
        // Redirects are answers to check, not to follow.
        client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
        store,
        area: seeded.area,
        council: seeded.council,
        caseworkers: seeded.caseworkers,
        token: String::new(),
        db,
    };
    let asha = Who {
        organisation: Some(seeded.council),
        professional: Some(seeded.caseworkers[0]),
        teams: vec!["SEN North"],
        ..Who::default()
    };
    let username = add_user(app.store.as_ref(), app.area, "asha@council.example", Role::Caseworker, asha).await;
    app.token = app.sign_in(&username).await;
    app
}

impl TestApp {
    /// A session for `username`, opened as a successful sign-in would
    /// (sign-in itself, with its one-use codes, has tests of its own).
    async fn sign_in(&self, username: &str) -> String {
        let name = allot_domain::user::Username::parse(username).unwrap();
        let (user, _) = self.store.user_for_sign_in(&name).await.unwrap().unwrap();
        let now = jiff::Timestamp::now();
        allot_web::open_session(self.store.as_ref(), &user, now, Some(now)).await.unwrap().0
    }

    /// Adds a user and signs them in; returns their token.
    async fn person(&self, username: &str, role: Role, who: Who) -> String {
        add_user(self.store.as_ref(), self.area, username, role, who).await;
        self.sign_in(username).await
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.send_as(&self.token, method, path, body).await
    }

    async fn send_as(&self, token: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let ctype = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let text = resp.text().await.unwrap();
        if status >= 400 && path.starts_with("/api") {
            assert_eq!(ctype, "application/problem+json", "API errors are problems: {status} {text}");
        }
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }
    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }
    async fn children_count(&self) -> u64 {
        self.store.count_children(self.area).await.unwrap()
    }
}

fn amara() -> Value {
    json!({
        "reference": "WV-0001",
        "legal_given_names": "Amara Grace",
        "legal_family_name": "Okafor",
        "preferred_name": "Mara",
        "date_of_birth": "2014-09-23",
        "sex": "female",
        "upn": "T801200100101",
        "nhs_number": "943 476 5919",
        "postcode": "bs1 4dj",
        "address": "12 Mill Lane",
        "primary_need": "ASD",
        "ehc_plan_status": "final"
    })
}

on_both_engines!(
    health_and_readiness_answer,
    a_child_is_created_and_read_back_with_checked_identifiers,
    a_form_with_errors_names_every_bad_field_and_saves_nothing,
    bodies_that_cannot_be_read_get_problems_not_500s,
    a_stale_update_gets_409_and_a_fresh_one_succeeds,
    an_unknown_id_and_a_malformed_id_look_the_same,
    the_list_pages_with_a_cursor_and_limits_page_size,
    a_protected_address_is_shown_only_to_those_who_hold_the_case,
    consent_and_lead_professional_changes_are_recorded,
    every_route_is_described_in_openapi,
    a_policy_is_published_once_and_shown_to_anyone,
    the_questionnaire_gives_an_explained_indicative_budget,
);

const POLICY: &str = include_str!("../../../../policies/example-children.toml");

async fn publish(app: &TestApp, text: &str, content_type: &str) -> (u16, Value) {
    let commissioner = Who { organisation: Some(app.council), ..Who::default() };
    let username = format!("commissioner-{}@council.example", allot_domain::ids::UserId::new());
    let token = app.person(&username, Role::Commissioner, commissioner).await;
    let resp = app
        .client
        .post(format!("{}/api/v1/ras/policies", app.base))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(text.to_owned())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

async fn a_policy_is_published_once_and_shown_to_anyone(db: TestDatabase) {
    let app = spawn(db).await;
    let page = app.client.get(format!("{}/policy", app.base)).send().await.unwrap();
    assert_eq!(page.status(), 404);
    let broken = POLICY.replace("min_points = 40", "min_points = 41");
    let (status, problem) = publish(&app, &broken, "application/toml").await;
    assert_eq!(status, 422);
    assert!(problem["errors"][0]["field"].as_str().unwrap().starts_with("line "), "{problem}");
    assert_eq!(publish(&app, POLICY, "application/json").await.0, 415);
    let (status, published) = publish(&app, POLICY, "application/toml").await;
    assert_eq!((status, published["version"].clone()), (201, json!("2026.1")));
    assert_eq!(publish(&app, POLICY, "application/toml").await.0, 409);
    let (_, full) = app.get(&format!("/api/v1/ras/policies/{}", published["id"].as_str().unwrap())).await;
    assert_eq!(full["content"], POLICY);
    let page = app.client.get(format!("{}/policy", app.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.text().await.unwrap();
    for expected in ["Example children's", "£24,000.00", "105 or more", "How much help does your child need"] {
        assert!(html.contains(expected), "missing {expected:?}");
    }
}

async fn the_questionnaire_gives_an_explained_indicative_budget(db: TestDatabase) {
    let app = spawn(db).await;
    let (_, child) = app.post("/api/v1/children", amara()).await;
    let path = format!("/api/v1/children/{}/allocations", child["id"].as_str().unwrap());
    let policy = allot_domain::ras::Policy::parse(POLICY).unwrap();
    let answers: serde_json::Map<String, Value> =
        policy.questions.iter().filter(|q| !q.optional).map(|q| (q.id.clone(), json!(q.options[1].id))).collect();
    let (status, problem) = app.post(&path, json!({ "answers": answers, "on": "2026-11-22" })).await;
    assert_eq!((status, problem["type"].clone()), (422, json!("/problems/no-policy")));
    publish(&app, POLICY, "application/toml").await;
    let mut partial = answers.clone();
    let first = policy.questions[0].id.clone();
    partial.remove(&first);
    partial.insert("favourite_food".into(), json!("chips"));
    let (status, problem) = app
        .post(&path, json!({ "answers": partial, "on": "2026-11-22", "current": { "social_care": "12.345" } }))
        .await;
    assert_eq!(status, 422);
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(
        fields.contains(&"current.social_care")
            && fields.contains(&"answers.favourite_food")
            && fields.contains(&format!("answers.{first}").as_str()),
        "{fields:?}"
    );
    let (status, allocation) = app
        .post(&path, json!({ "answers": answers, "on": "2026-11-22", "current": { "social_care": "2000.00" } }))
        .await;
    assert_eq!(status, 201, "{allocation}");
    // Worked out independently by the domain for the same inputs.
    let expected = allot_domain::ras::evaluate(
        &policy,
        &policy
            .answers_from_ids(
                "x",
                jiff::civil::date(2014, 9, 23),
                &answers.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect(),
            )
            .unwrap(),
        jiff::civil::date(2026, 11, 22),
        &[Some(allot_domain::Pence::from_pounds(2000)), None, None],
    )
    .unwrap();
    assert_eq!(allocation["integrated_pence"], expected.integrated.pence());
    assert_eq!(allocation["streams"][0]["protected_pence"], expected.streams[0].protected.pence());
    assert_eq!(allocation["policy"]["content_hash"], policy.content_hash);
    let explanation = allocation["explanation"].as_str().unwrap();
    assert!(explanation.contains("Indicative integrated budget (all streams)"), "{explanation}");
    let (_, list) = app.get(&path).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["explanation"], allocation["explanation"]);
}

async fn health_and_readiness_answer(db: TestDatabase) {
    let app = spawn(db).await;
    assert_eq!(app.get("/healthz").await, (200, Value::String("ok".into())));
    assert_eq!(app.get("/readyz").await, (200, Value::String("ready".into())));
    let resp = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert_eq!(resp.headers()["cache-control"], "no-store");
}

async fn a_child_is_created_and_read_back_with_checked_identifiers(db: TestDatabase) {
    let app = spawn(db).await;
    let resp = app
        .client
        .post(format!("{}/api/v1/children", app.base))
        .bearer_auth(&app.token)
        .json(&amara())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = resp.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/children/{}", created["id"].as_str().unwrap()));
    let (status, child) = app.get(&location).await;
    assert_eq!(status, 200);
    assert_eq!(child["postcode"], "BS1 4DJ");
    assert_eq!(child["nhs_number"], "943 476 5919");
    assert_eq!(child["primary_need"], "ASD");
    assert_eq!(child["version"], 1);
    assert_eq!(child["created_by"], "asha@council.example");
    let (_, leads) = app.get(&format!("{location}/lead-professionals")).await;
    assert_eq!(leads["items"][0]["professional_id"], app.caseworkers[0].to_string(), "the caseworker holds the case");
    assert!(child["age"].as_u64().unwrap() >= 12);
    let (status, problem) = app.post("/api/v1/children", amara()).await;
    assert_eq!(status, 409, "the same reference twice: {problem}");
    assert!(problem["detail"].as_str().unwrap().contains("WV-0001"));
}

async fn a_form_with_errors_names_every_bad_field_and_saves_nothing(db: TestDatabase) {
    let app = spawn(db).await;
    let mut bad = amara();
    bad["upn"] = json!("A801200100101");
    bad["nhs_number"] = json!("943 476 5918");
    bad["date_of_birth"] = json!("2014-02-30");
    bad["postcode"] = json!("BS1");
    bad["legal_family_name"] = json!("  ");
    let (status, problem) = app.post("/api/v1/children", bad).await;
    assert_eq!(status, 422);
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["legal_family_name", "date_of_birth", "upn", "nhs_number", "postcode"]);
    assert!(problem["errors"][2]["message"].as_str().unwrap().contains("check letter"));
    assert_eq!(app.children_count().await, 0);
}

async fn bodies_that_cannot_be_read_get_problems_not_500s(db: TestDatabase) {
    let app = spawn(db).await;
    let url = format!("{}/api/v1/children", app.base);
    let syntax = app
        .client
        .post(&url)
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body("{\"reference\":")
        .send()
        .await
        .unwrap();
    assert_eq!(syntax.status(), 400);
    let no_type = app.client.post(&url).bearer_auth(&app.token).body(amara().to_string()).send().await.unwrap();
    assert_eq!(no_type.status(), 415);
    let mut unknown = amara();
    unknown["favourite_colour"] = json!("blue");
    let (status, problem) = app.post("/api/v1/children", unknown).await;
    assert_eq!(status, 422);
    assert!(problem["detail"].as_str().unwrap().contains("favourite_colour"), "{problem}");
    let mut wrong_type = amara();
    wrong_type["address_protected"] = json!("perhaps");
    assert_eq!(app.post("/api/v1/children", wrong_type).await.0, 422);
    let mut huge = amara();
    huge["address"] = json!("x".repeat(allot_web::BODY_LIMIT_BYTES + 1));
    assert_eq!(app.post("/api/v1/children", huge).await.0, 413);
    let (status, problem) = app.get("/api/v1/children?limit=many&sort=age&colour=red").await;
    assert_eq!(status, 400);
    assert_eq!(problem["errors"].as_array().unwrap().len(), 3, "{problem}");
    assert_eq!(app.get("/api/v1/nothing-here").await.1["type"], "/problems/no-such-route");
    assert_eq!(app.children_count().await, 0);
}

async fn a_stale_update_gets_409_and_a_fresh_one_succeeds(db: TestDatabase) {
    let app = spawn(db).await;
    let (_, created) = app.post("/api/v1/children", amara()).await;
    let path = format!("/api/v1/children/{}", created["id"].as_str().unwrap());
    let mut change = amara();
    change["ehc_plan_status"] = json!("ceased");
    change["version"] = json!(1);
    let (status, updated) = app.put(&path, change.clone()).await;
    assert_eq!(
        (status, updated["version"].clone(), updated["ehc_plan_status"].clone()),
        (200, json!(2), json!("ceased"))
    );
    let mut stale = amara();
    stale["primary_need"] = json!("SEMH");
    stale["version"] = json!(1);
    let (status, problem) = app.put(&path, stale).await;
    assert_eq!(status, 409);
    assert_eq!(problem["type"], "/problems/version-conflict");
    assert!(problem["detail"].as_str().unwrap().contains("now at version 2"), "{problem}");
    let (_, now) = app.get(&path).await;
    assert_eq!((now["primary_need"].clone(), now["version"].clone()), (json!("ASD"), json!(2)));
    let mut no_version = amara();
    no_version["primary_need"] = json!("SEMH");
    let (status, problem) = app.put(&path, no_version).await;
    assert_eq!((status, problem["errors"][0]["field"].clone()), (422, json!("version")));
}

async fn an_unknown_id_and_a_malformed_id_look_the_same(db: TestDatabase) {
    let app = spawn(db).await;
    let missing = app.get(&format!("/api/v1/children/{}", allot_domain::ChildId::new())).await;
    let malformed = app.get("/api/v1/children/not-an-id").await;
    assert_eq!(missing.0, 404);
    assert_eq!(missing, malformed);
    let mut body = amara();
    body["version"] = json!(1);
    assert_eq!(app.put(&format!("/api/v1/children/{}", allot_domain::ChildId::new()), body).await, missing);
}

async fn the_list_pages_with_a_cursor_and_limits_page_size(db: TestDatabase) {
    let app = spawn(db).await;
    for i in 0..7 {
        let mut c = amara();
        c["reference"] = json!(format!("WV-{i:04}"));
        c["upn"] = Value::Null;
        c["primary_need"] = json!(if i % 2 == 0 { "ASD" } else { "SEMH" });
        assert_eq!(app.post("/api/v1/children", c).await.0, 201);
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/children?limit=3&sort=reference".to_owned();
    loop {
        let (status, page) = app.get(&path).await;
        assert_eq!(status, 200);
        seen.extend(page["items"].as_array().unwrap().iter().map(|c| c["reference"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/children?limit=3&sort=reference&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, (0..7).map(|i| format!("WV-{i:04}")).collect::<Vec<_>>());
    let (_, asd) = app.get("/api/v1/children?primary_need=asd").await;
    assert_eq!(asd["items"].as_array().unwrap().len(), 4);
    assert_eq!(app.get("/api/v1/children?limit=501").await.0, 400);
    assert_eq!(app.get("/api/v1/children?limit=500").await.0, 200);
    assert_eq!(app.get("/api/v1/children?cursor=00ff").await.0, 400);
}

async fn a_protected_address_is_shown_only_to_those_who_hold_the_case(db: TestDatabase) {
    let app = spawn(db).await;
    let mut c = amara();
    c["address"] = json!("MARKER-ADDRESS 9 Hidden Row");
    c["postcode"] = json!("ZE1 0AA");
    c["address_protected"] = json!(true);
    let (status, created) = app.post("/api/v1/children", c).await;
    assert_eq!(status, 201);
    assert_eq!(created["address"], "MARKER-ADDRESS 9 Hidden Row", "the caseworker holding the case sees it");
    let id = created["id"].as_str().unwrap();
    let finance = app
        .person("fin@council.example", Role::FinanceOfficer, Who { organisation: Some(app.council), ..Who::default() })
        .await;
    for path in
        [format!("/api/v1/children/{id}"), "/api/v1/children".to_owned(), "/api/v1/children?q=okafor".to_owned()]
    {
        let (status, body) = app.send_as(&finance, reqwest::Method::GET, &path, None).await;
        assert_eq!(status, 200, "{path}");
        let text = body.to_string();
        assert!(text.contains("Okafor") && !text.contains("MARKER-ADDRESS") && !text.contains("ZE1"), "{path}: {text}");
    }
    let (_, seen) = app.send_as(&finance, reqwest::Method::GET, &format!("/api/v1/children/{id}"), None).await;
    assert_eq!(seen["withheld"], json!(["address", "postcode"]));
}

async fn consent_and_lead_professional_changes_are_recorded(db: TestDatabase) {
    let app = spawn(db).await;
    let (_, child) = app.post("/api/v1/children", amara()).await;
    let id = child["id"].as_str().unwrap();
    let (status, mum) = app
        .post(&format!("/api/v1/children/{id}/family"), json!({ "name": "Grace Okafor", "relationship": "mother", "parental_responsibility": true, "contact_by": "text_message", "phone": "07700 900123" }))
        .await;
    assert_eq!(status, 201, "{mum}");
    let (status, problem) = app
        .post(
            &format!("/api/v1/children/{id}/family"),
            json!({ "name": "X", "relationship": "aunt", "contact_by": "email" }),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2, "{problem}");
    let consent = json!({ "given_by": mum["id"], "organisation_id": app.council.to_string(), "shares": "health", "given_on": "2026-01-05" });
    let (status, recorded) = app.post(&format!("/api/v1/children/{id}/consents"), consent).await;
    assert_eq!((status, recorded["active"].clone()), (201, json!(true)), "{recorded}");
    let withdraw = format!("/api/v1/consents/{}/withdraw", recorded["id"].as_str().unwrap());
    let (status, problem) = app.post(&withdraw, json!({})).await;
    assert_eq!((status, problem["errors"][0]["field"].clone()), (422, json!("reason")), "a withdrawal says why");
    let (status, withdrawn) = app.post(&withdraw, json!({ "reason": "mother asked by phone" })).await;
    assert_eq!((status, withdrawn["active"].clone()), (200, json!(false)));
    let (_, list) = app.get(&format!("/api/v1/children/{id}/consents")).await;
    assert_eq!(list["items"][0]["active"], false, "withdrawal shows on the very next request");
    let (status, _) = app.post(&withdraw, json!({ "reason": "again" })).await;
    assert_eq!(status, 422);
    let assign = |p: ProfessionalId| json!({ "professional_id": p.to_string(), "reason": "allocated at panel" });
    assert_eq!(
        app.post(&format!("/api/v1/children/{id}/lead-professionals"), assign(app.caseworkers[0])).await.0,
        422,
        "already hers"
    );
    assert_eq!(app.post(&format!("/api/v1/children/{id}/lead-professionals"), assign(app.caseworkers[1])).await.0, 201);
    let (_, history) = app.get(&format!("/api/v1/children/{id}/lead-professionals")).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 2);
    assert_eq!(history["items"][0]["until"], history["items"][1]["from"]);
    let (_, caseload) = app.get(&format!("/api/v1/children?lead_professional={}", app.caseworkers[1])).await;
    assert_eq!(caseload["items"].as_array().unwrap().len(), 1);
    let (_, changes) = app.get(&format!("/api/v1/children/{id}/changes")).await;
    let actions: Vec<(&str, &str)> = changes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["entity"].as_str().unwrap(), c["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("child", "create"),
            ("child", "assign_lead_professional"),
            ("family_member", "create"),
            ("consent", "record"),
            ("consent", "withdraw"),
            ("child", "assign_lead_professional")
        ],
        "the child's history holds every change about them"
    );
    assert_eq!(changes["items"][0]["role"], "caseworker");
}

async fn every_route_is_described_in_openapi(db: TestDatabase) {
    let app = spawn(db).await;
    let (status, doc) = app.get("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    // Pages are not the API: every other route is described.
    let routes: Vec<_> = allot_web::routes().into_iter().filter(|r| !r.is_page()).collect();
    assert_eq!(doc["paths"].as_object().unwrap().len(), routes.len());
    assert!(doc["paths"].get("/sign-in").is_none(), "pages are not in the API description");
    for route in &routes {
        for (method, _, _) in &route.operations {
            let op = &doc["paths"][route.path][method];
            assert!(op["summary"].is_string(), "{method} {} is described", route.path);
            // Every $ref points at a schema that exists.
            for r in op.to_string().split("#/components/schemas/").skip(1) {
                let name = r.split('"').next().unwrap();
                assert!(doc["components"]["schemas"][name].is_object(), "{name}");
            }
            // And the route is really served (not the no-such-route fallback).
            let path = route.path.replace("{id}", &allot_domain::ChildId::new().to_string());
            let (_, body) = app.send(method.to_uppercase().parse().unwrap(), &path, Some(json!({}))).await;
            assert_ne!(body["type"], "/problems/no-such-route", "{method} {}", route.path);
        }
    }
}
