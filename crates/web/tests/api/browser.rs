//! The pages in a real browser: runs `tests/browser/journeys.mjs` (Debian's
//! Chromium through playwright-core, axe-core on every page) against a
//! fresh Allot. Skipped, saying so, where Node, Chromium or the npm packages
//! are missing, unless `ALLOT_REQUIRE_BROWSER` is set (CI sets it).

use super::{Who, add_user, amara, secret, spawn};
use allot_domain::Role;
use allot_store::Engine;
use allot_store::testing::TestDatabase;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

const REQUIRE_ENV: &str = "ALLOT_REQUIRE_BROWSER";

/// Chromium and the journeys' packages, or why they cannot run here.
fn browser_setup() -> Result<(PathBuf, String), String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    let chromium = std::env::var("ALLOT_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if Command::new("node").arg("--version").output().is_err() {
        return Err("Node.js is not installed".into());
    }
    if !Path::new(&chromium).exists() {
        return Err(format!("there is no Chromium at {chromium} (apt-get install chromium, or set ALLOT_CHROMIUM)"));
    }
    if !dir.join("node_modules/playwright-core").exists() || !dir.join("node_modules/axe-core").exists() {
        return Err("the packages are not installed (npm ci in tests/browser)".into());
    }
    Ok((dir, chromium))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_work_in_a_real_browser_and_pass_axe() {
    let (dir, chromium) = match browser_setup() {
        Ok(found) => found,
        Err(why) => {
            assert!(std::env::var_os(REQUIRE_ENV).is_none(), "{REQUIRE_ENV} is set but {why}");
            eprintln!("skipped: the browser tests ({why})");
            return;
        }
    };
    let app = spawn(TestDatabase::new(Engine::Sqlite).await.expect("sqlite")).await;
    let (_, mine) = app.post("/api/v1/children", amara()).await;
    let mut other = amara();
    other["reference"] = "WV-0002".into();
    other["legal_given_names"] = "Zebedee".into();
    let (_, theirs) = app.post("/api/v1/children", other).await;
    let parent = Who { children: vec![mine["id"].as_str().unwrap().parse().unwrap()], ..Who::default() };
    add_user(app.store.as_ref(), app.area, "parent@family.example", Role::ParentCarer, parent).await;
    super::pathway::policies(&app).await;
    // Journey 2 plans for Mara: her indicative budget, the provider that
    // holds an individual service fund, and the team manager who approves.
    let policy = allot_domain::ras::Policy::parse(super::POLICY).unwrap();
    let answers: serde_json::Map<String, serde_json::Value> =
        policy.questions.iter().filter(|q| !q.optional).map(|q| (q.id.clone(), json!(q.options[1].id))).collect();
    let (status, _) = app
        .post(&format!("/api/v1/children/{}/allocations", mine["id"].as_str().unwrap()), json!({ "answers": answers }))
        .await;
    assert_eq!(status, 201);
    let bright_days = super::access::organisation(app.store.as_ref(), app.area, "provider", "Bright Days Care").await;
    let provider = Who { organisation: Some(bright_days), ..Who::default() };
    add_user(app.store.as_ref(), app.area, "pat@brightdays.example", Role::ProviderStaff, provider).await;
    let admin = Who { organisation: Some(app.council), ..Who::default() };
    add_user(app.store.as_ref(), app.area, "ada@council.example", Role::Administrator, admin).await;
    let manager = Who { organisation: Some(app.council), teams: vec!["SEN North"], ..Who::default() };
    add_user(app.store.as_ref(), app.area, "tess@council.example", Role::TeamManager, manager).await;
    // Journey 3 pays Mara's direct payment: finance settings, and her
    // family's bank details, proposed by one finance officer and confirmed
    // by another.
    let setup = allot_domain::Stamp::now(allot_domain::Actor::parse("setup").unwrap());
    let settings = include_str!("../../../../policies/example-finance.toml");
    allot_store::Store::publish_finance_settings(app.store.as_ref(), app.area, settings, &setup).await.unwrap();
    let fay = super::pathway::staff(&app, "fay", Role::FinanceOfficer, None).await;
    let fred = super::pathway::staff(&app, "fred", Role::FinanceOfficer, None).await;
    let account = format!("dp/{}", mine["id"].as_str().unwrap());
    let proposal = json!({ "account": account, "sort_code": "11-22-33", "account_number": "12345678", "account_name": "Mrs N Okafor", "reason": "Direct payment agreement signed" });
    let (status, proposed) = app.send_as(&fay, reqwest::Method::POST, "/api/v1/bank-details", Some(proposal)).await;
    assert_eq!(status, 201, "{proposed}");
    let decision = json!({ "account": account, "seq": proposed["seq"], "confirm": true });
    let (status, _) = app.send_as(&fred, reqwest::Method::POST, "/api/v1/bank-details/decisions", Some(decision)).await;
    assert_eq!(status, 200);
    let finance = Who { organisation: Some(app.council), ..Who::default() };
    add_user(app.store.as_ref(), app.area, "fiona@council.example", Role::FinanceOfficer, finance).await;
    let fixture = json!({
        "base": app.base,
        "chromium": chromium,
        "password": super::PASSWORD,
        "totp_secret": secret().to_base32(),
        "users": { "caseworker": "asha@council.example", "parent": "parent@family.example", "manager": "tess@council.example", "finance": "fiona@council.example", "commissioner": "policy@council.example", "provider": "pat@brightdays.example", "admin": "ada@council.example" },
        "children": { "mine": mine["id"], "reference": mine["reference"], "theirs": theirs["id"], "missing": allot_domain::ChildId::new().to_string() },
    });
    let screenshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    // The journeys are a blocking process; the app keeps serving meanwhile.
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(dir.join("journeys.mjs"))
            .env("ALLOT_BROWSER_FIXTURE", fixture.to_string())
            .env("ALLOT_SCREENSHOTS", &screenshots)
            .output()
            .expect("run node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "browser checks failed:\n{stdout}\n{stderr}");
}
