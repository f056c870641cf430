//! Sign-in through a council's identity provider, against a real OpenID
//! Connect provider (the npm `oidc-provider`, in tests/oidc-provider)
//! started for the test.

use super::{Who, spawn_on};
use allot_domain::Role;
use allot_store::on_both_engines;
use allot_store::testing::TestDatabase;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

on_both_engines!(council_staff_sign_in_through_the_councils_identity_provider);

/// Set to make a missing provider a failure rather than a skip (CI).
const REQUIRE_ENV: &str = "ALLOT_REQUIRE_OIDC";
const CLIENT_ID: &str = "allot-test";
const CLIENT_SECRET: &str = "test-client-secret";

/// The provider process, stopped when dropped.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    /// Starts the provider for an app on `port`, or `None` (saying why)
    /// when Node or the package is not installed here.
    fn start(port: u16) -> Option<Provider> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/oidc-provider");
        let installed = std::path::Path::new(dir).join("node_modules/oidc-provider").exists();
        if !installed || Command::new("node").arg("--version").output().is_err() {
            assert!(
                std::env::var_os(REQUIRE_ENV).is_none(),
                "{REQUIRE_ENV} is set but the OIDC provider is not installed: run `npm ci` in tests/oidc-provider"
            );
            eprintln!("skipped: sign-in through an identity provider (run `npm ci` in tests/oidc-provider to test it)");
            return None;
        }
        let users = json!([
            { "sub": "u-asha", "email": "asha@council.example", "name": "Asha", "password": "idp-pass-1" },
            { "sub": "u-prov", "email": "provider@care.example", "name": "Pat", "password": "idp-pass-2" },
            { "sub": "u-none", "email": "stranger@council.example", "name": "Sam", "password": "idp-pass-3" },
        ]);
        let mut child = Command::new("node")
            .arg(format!("{dir}/server.js"))
            .env("OIDC_PORT", "0")
            .env("OIDC_CLIENT_ID", CLIENT_ID)
            .env("OIDC_CLIENT_SECRET", CLIENT_SECRET)
            .env("OIDC_REDIRECT_URI", format!("http://127.0.0.1:{port}/auth/oidc/callback"))
            .env("OIDC_USERS", users.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the OIDC provider");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let issuer = line.trim().strip_prefix("READY ").unwrap_or_else(|| panic!("provider said {line:?}")).to_owned();
        Some(Provider { child, issuer })
    }
}

/// Signs in as a browser would: Allot → provider login form → back to
/// Allot. Returns Allot's answer to the callback, and the callback address
/// with the state cookie that went with it.
async fn sign_in_through_provider(base: &str, email: &str, password: &str) -> (u16, Value, (String, String)) {
    // One browser: the provider's cookies in a jar; Allot's `Secure` state
    // cookie carried by hand (a jar will not send it over plain http).
    let browser =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let start = browser.get(format!("{base}/auth/oidc/start")).send().await.unwrap();
    assert_eq!(start.status(), 303);
    let state_cookie = start.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let mut location = reqwest::Url::parse(start.headers()["location"].to_str().unwrap()).unwrap();
    // To the provider's login form, and through it.
    let next = |resp: &reqwest::Response, from: &reqwest::Url| {
        from.join(resp.headers()["location"].to_str().unwrap()).unwrap()
    };
    let resp = browser.get(location.clone()).send().await.unwrap();
    location = next(&resp, &location);
    let login = location.join(&format!("{}/login", location.path())).unwrap();
    let resp = browser.post(login.clone()).form(&[("login", email), ("password", password)]).send().await.unwrap();
    assert_eq!(resp.status(), 303, "the provider accepts {email}");
    location = next(&resp, &login);
    let resp = browser.get(location.clone()).send().await.unwrap();
    let callback = next(&resp, &location);
    assert!(callback.as_str().starts_with(&format!("{base}/auth/oidc/callback")), "{callback}");
    let answer = browser.get(callback.clone()).header("cookie", &state_cookie).send().await.unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap(), (callback.to_string(), state_cookie))
}

async fn council_staff_sign_in_through_the_councils_identity_provider(db: TestDatabase) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let Some(provider) = Provider::start(port) else { return };
    let config = allot_web::OidcConfig {
        issuer: provider.issuer.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        redirect_uri: format!("http://127.0.0.1:{port}/auth/oidc/callback"),
    };
    let app = spawn_on(db, listener, Some(config)).await;
    // Asha, a council caseworker, signs in with the council's account.
    let (status, session, (callback, state_cookie)) =
        sign_in_through_provider(&app.base, "asha@council.example", "idp-pass-1").await;
    assert_eq!(status, 201, "{session}");
    assert_eq!(session["user"]["username"], "asha@council.example");
    let token = session["token"].as_str().unwrap();
    let (status, me) = app.send_as(token, reqwest::Method::GET, "/api/v1/session", None).await;
    assert_eq!((status, me["user"]["role"].clone()), (200, json!("caseworker")));
    assert_eq!(app.send_as(token, reqwest::Method::GET, "/api/v1/children", None).await.0, 200);
    // The same answer cannot be used twice.
    let replay = reqwest::Client::new().get(&callback).header("cookie", &state_cookie).send().await.unwrap();
    assert_eq!(replay.status(), 401);
    let forged = reqwest::Client::new().get(&callback).header("cookie", "allot_oidc_state=0000").send().await.unwrap();
    assert_eq!(forged.status(), 401, "a callback that did not start in this browser");
    // Someone the provider knows but Allot does not: refused.
    let (status, problem, _) = sign_in_through_provider(&app.base, "stranger@council.example", "idp-pass-3").await;
    assert_eq!((status, problem["type"].clone()), (401, json!("/problems/sign-in-failed")));
    // A provider's member of staff is an Allot user, but not council staff:
    // they sign in with a password and code, not the council's account.
    let provider_org = super::access::organisation(app.store.as_ref(), app.area, "provider", "Bright Days Care").await;
    app.person(
        "provider@care.example",
        Role::ProviderStaff,
        Who { organisation: Some(provider_org), ..Who::default() },
    )
    .await;
    let (status, _, _) = sign_in_through_provider(&app.base, "provider@care.example", "idp-pass-2").await;
    assert_eq!(status, 401);
    drop(provider);
}
