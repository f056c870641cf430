//! The web pages over real HTTP (the browser journeys are in
//! `tests/browser`): signing in and out with a form, the CSRF field, the
//! security headers, the assets, and the one page for a record that is not
//! there and one someone may not see.

use super::{PASSWORD, TestApp, Who, add_user, amara, code_now, spawn};
use allot_domain::Role;
use allot_store::testing::TestDatabase;
use allot_store::{Store, on_both_engines};
use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE};

on_both_engines!(
    signing_in_and_out_with_the_form,
    every_response_carries_the_security_headers,
    another_childs_page_looks_like_a_missing_one,
    who_has_looked_and_everything_held_are_pages_for_those_allowed,
    a_family_sends_a_receipt_and_a_mistake_keeps_what_was_typed,
    finance_imports_a_statement_and_reads_every_problem_in_a_bad_one,
);

/// A browser: keeps cookies, does not follow redirects (they are checked).
pub(super) fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The value of the hidden field `name` in a page.
pub(super) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no field {name} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// Signs `username` in through the sign-in page; returns the home page.
pub(super) async fn sign_in(app: &TestApp, client: &reqwest::Client, username: &str) -> String {
    let form = client.get(format!("{}/sign-in", app.base)).send().await.unwrap().text().await.unwrap();
    let fields = [
        ("form_token", hidden(&form, "form_token")),
        ("next", "/".to_owned()),
        ("username", username.to_owned()),
        ("password", PASSWORD.to_owned()),
        ("code", code_now()),
    ];
    let signed_in = client.post(format!("{}/sign-in", app.base)).form(&fields).send().await.unwrap();
    assert_eq!(signed_in.status(), 303, "{}", signed_in.text().await.unwrap());
    let home = client.get(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(home.status(), 200);
    home.text().await.unwrap()
}

async fn signing_in_and_out_with_the_form(db: TestDatabase) {
    let app = spawn(db).await;
    let client = browser();
    // Not signed in: a page sends you to sign in, and back afterwards.
    let home = client.get(format!("{}/children?q=amara", app.base)).send().await.unwrap();
    assert_eq!(home.status(), 303);
    assert_eq!(home.headers()[LOCATION], "/sign-in?next=%2Fchildren%3Fq%3Damara");
    let page = client.get(format!("{}/sign-in?next=/children", app.base)).send().await.unwrap();
    assert!(page.headers()[SET_COOKIE].to_str().unwrap().contains("SameSite=Strict"));
    let form = page.text().await.unwrap();
    assert_eq!(hidden(&form, "next"), "/children");
    let token = hidden(&form, "form_token");

    // Empty fields: the summary names both, and nothing typed is lost.
    let empty = client
        .post(format!("{}/sign-in", app.base))
        .form(&[("form_token", token.as_str()), ("username", "  "), ("password", ""), ("next", "/children")])
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 422);
    let html = empty.text().await.unwrap();
    assert!(html.contains("<title>Error: Sign in – Allot</title>"), "{html}");
    assert!(html.contains("href=\"#username\">Enter your user name</a>"));
    assert!(html.contains("href=\"#password\">Enter your password</a>"));
    let token = hidden(&html, "form_token");

    // A wrong password: the user name stays, the password is not sent back.
    let wrong = client
        .post(format!("{}/sign-in", app.base))
        .form(&[
            ("form_token", token.as_str()),
            ("username", "asha@council.example"),
            ("password", "not the password"),
            ("code", "123456"),
            ("next", "/children"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let html = wrong.text().await.unwrap();
    assert!(html.contains("The user name, password or security code is not right"));
    assert!(html.contains("value=\"asha@council.example\""), "the user name is kept");
    assert!(!html.contains("not the password") && !html.contains("123456"), "secrets are never sent back");

    // A form from another site (no form cookie) is refused.
    let forged = browser()
        .post(format!("{}/sign-in", app.base))
        .form(&[("form_token", token.as_str()), ("username", "asha@council.example"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);

    // Signed in, with the second factor: on to where they were going.
    let form = client.get(format!("{}/sign-in?next=/children", app.base)).send().await.unwrap().text().await.unwrap();
    let fields = [
        ("form_token", hidden(&form, "form_token")),
        ("next", "/children".to_owned()),
        ("username", "asha@council.example".to_owned()),
        ("password", PASSWORD.to_owned()),
        ("code", code_now()),
    ];
    let signed_in = client.post(format!("{}/sign-in", app.base)).form(&fields).send().await.unwrap();
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()[LOCATION], "/children");
    let cookies: Vec<_> =
        signed_in.headers().get_all(SET_COOKIE).iter().map(|c| c.to_str().unwrap().to_owned()).collect();
    assert!(cookies.iter().any(|c| c.starts_with("allot_session=") && c.contains("HttpOnly") && c.contains("Secure")));
    let home = client.get(format!("{}/", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("Your work"), "{home}");
    assert!(home.contains("id=\"session-timeout\""), "the timeout warning is on every signed-in page");
    // The warning comes two minutes before the 30-minute idle timeout.
    let warn_in: i64 = hidden(&home.replace("data-warn-in=\"", "name=\"warn\" value=\""), "warn").parse().unwrap();
    assert!((1670..=1680).contains(&warn_in), "{warn_in}");

    // "Stay signed in" without JavaScript goes back where they were.
    let csrf = hidden(&home, "csrf_token");
    let stay = client
        .post(format!("{}/session/extend", app.base))
        .form(&[("csrf_token", csrf.as_str()), ("next", "/children")])
        .send()
        .await
        .unwrap();
    assert_eq!((stay.status().as_u16(), stay.headers()[LOCATION].to_str().unwrap()), (303, "/children"));
    let stay_elsewhere = client
        .post(format!("{}/session/extend", app.base))
        .form(&[("csrf_token", csrf.as_str()), ("next", "//evil.example/")])
        .send()
        .await
        .unwrap();
    assert_eq!(stay_elsewhere.headers()[LOCATION], "/", "never another site");

    // Signing out needs the form's CSRF field, then ends the session.
    let no_token = client.post(format!("{}/sign-out", app.base)).form(&[("x", "y")]).send().await.unwrap();
    assert_eq!(no_token.status(), 403);
    assert!(no_token.text().await.unwrap().contains("The form has expired"));
    let out =
        client.post(format!("{}/sign-out", app.base)).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!((out.status().as_u16(), out.headers()[LOCATION].to_str().unwrap()), (303, "/sign-in"));
    let after = client.get(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(after.status(), 303, "the session has ended");
}

async fn every_response_carries_the_security_headers(db: TestDatabase) {
    let app = spawn(db).await;
    let page = app.client.get(format!("{}/sign-in", app.base)).send().await.unwrap();
    let csp = page.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert!(page.headers().get("strict-transport-security").is_none(), "no HSTS over plain HTTP");
    let html = page.text().await.unwrap();
    // The one inline script carries this response's nonce.
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    assert_eq!(nonce.len(), 32);
    assert!(html.contains(&format!("<script nonce=\"{nonce}\">")));
    assert_eq!(html.matches("<script").count(), 2, "the nonce'd one and allot.js");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"));
    let again = app.client.get(format!("{}/sign-in", app.base)).send().await.unwrap();
    assert!(!again.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().contains(nonce), "a fresh nonce each time");
    let tls =
        app.client.get(format!("{}/glossary", app.base)).header("x-forwarded-proto", "https").send().await.unwrap();
    assert!(tls.headers()["strict-transport-security"].to_str().unwrap().starts_with("max-age="));
    // JSON answers carry them too.
    let api = app.client.get(format!("{}/api/v1/session", app.base)).send().await.unwrap();
    assert_eq!(api.status(), 401);
    assert!(api.headers().contains_key(CONTENT_SECURITY_POLICY));

    // The assets, from the binary.
    let css = app.client.get(format!("{}/assets/govuk-frontend.min.css", app.base)).send().await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(css.headers()["cache-control"], "public, max-age=86400");
    let css = css.text().await.unwrap();
    assert!(css.contains(".govuk-button") && !css.contains("@font-face"), "no GDS Transport font off gov.uk");
    let js = app.client.get(format!("{}/assets/allot.js", app.base)).send().await.unwrap();
    assert_eq!(js.headers()["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(app.client.get(format!("{}/assets/../Cargo.toml", app.base)).send().await.unwrap().status(), 404);

    // An address nobody serves: a page for a browser, a problem for a program.
    let lost = app.client.get(format!("{}/no-such-page", app.base)).header("accept", "text/html").send().await.unwrap();
    assert_eq!(lost.status(), 404);
    assert!(lost.text().await.unwrap().contains("<h1 class=\"govuk-heading-l\">Page not found</h1>"));
    let lost =
        app.client.get(format!("{}/api/v1/nothing", app.base)).header("accept", "text/html").send().await.unwrap();
    assert_eq!(lost.headers()["content-type"], "application/problem+json");
}

/// A page's status and body, with the response's nonce taken out.
async fn page_without_nonce(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = client.get(format!("{}{path}", app.base)).send().await.unwrap();
    let status = r.status().as_u16();
    let csp = r.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    let nonce = &csp.split("'nonce-").nth(1).unwrap()[..32];
    (status, r.text().await.unwrap().replace(nonce, "NONCE"))
}

async fn another_childs_page_looks_like_a_missing_one(db: TestDatabase) {
    let app = spawn(db).await;
    let (_, mine) = app.post("/api/v1/children", amara()).await;
    let mut other = amara();
    other["reference"] = "WV-0002".into();
    other["legal_given_names"] = "Zebedee".into();
    let (_, theirs) = app.post("/api/v1/children", other).await;
    let (mine, theirs) = (mine["id"].as_str().unwrap().to_owned(), theirs["id"].as_str().unwrap().to_owned());
    let parent = Who { children: vec![mine.parse().unwrap()], ..Who::default() };
    add_user(app.store.as_ref(), app.area, "parent@family.example", Role::ParentCarer, parent).await;
    let client = browser();
    let home = sign_in(&app, &client, "parent@family.example").await;
    assert!(home.contains(&format!("href=\"/children/{mine}\"")), "{home}");
    assert!(!home.contains(&theirs));
    let own = client.get(format!("{}/children/{mine}", app.base)).send().await.unwrap();
    assert_eq!(own.status(), 200);
    let own = own.text().await.unwrap();
    assert!(own.contains("WV-0001") && own.contains("Date of birth"));
    // Typing another child's address, or one that does not exist: the same
    // page (apart from the nonce, which differs in every response).
    let denied = page_without_nonce(&client, &app, &format!("/children/{theirs}")).await;
    let missing = page_without_nonce(&client, &app, &format!("/children/{}", allot_domain::ChildId::new())).await;
    let malformed = page_without_nonce(&client, &app, "/children/not-an-id").await;
    assert_eq!(denied.0, 404);
    assert_eq!(denied, missing);
    assert_eq!(denied, malformed);
    assert!(!denied.1.contains("Zebedee") && !denied.1.contains("WV-0002"));
    // The parent's look at their own child's page is in the audit trail,
    // and so is the refused look at the other.
    let trail = app.store.audit_entries(app.area, None, 0, 1000).await.unwrap();
    let by_parent = |id: &str, action: &str| {
        trail
            .iter()
            .any(|e| e.entry.actor == "parent@family.example" && e.entry.entity_id == id && e.entry.action == action)
    };
    assert!(by_parent(&mine, "read") && by_parent(&theirs, "attempt"));
}

async fn who_has_looked_and_everything_held_are_pages_for_those_allowed(db: TestDatabase) {
    let app = spawn(db).await;
    let (_, child) = app.post("/api/v1/children", amara()).await;
    let id = child["id"].as_str().unwrap().to_owned();
    let parent = app
        .person(
            "parent@family.example",
            Role::ParentCarer,
            Who { children: vec![id.parse().unwrap()], ..Who::default() },
        )
        .await;
    let south = Who {
        organisation: Some(app.council),
        professional: Some(app.caseworkers[1]),
        teams: vec!["SEN South"],
        ..Who::default()
    };
    let other_team = app.person("cara@council.example", Role::Caseworker, south).await;
    // 2 entries for adding the child, 1 refused look, then 110 looks: two pages.
    assert_eq!(
        app.send_as(&other_team, reqwest::Method::GET, &format!("/api/v1/children/{id}/family"), None).await.0,
        404
    );
    for _ in 0..110 {
        assert_eq!(app.send_as(&parent, reqwest::Method::GET, &format!("/api/v1/children/{id}"), None).await.0, 200);
    }
    let manager = Who { organisation: Some(app.council), teams: vec!["SEN North"], ..Who::default() };
    add_user(app.store.as_ref(), app.area, "tess@council.example", Role::TeamManager, manager).await;
    let client = browser();
    sign_in(&app, &client, "tess@council.example").await;
    let record = client.get(format!("{}/children/{id}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(record.contains(&format!("href=\"/children/{id}/access-log\">Who has looked at this record")), "{record}");

    let first = client.get(format!("{}/children/{id}/access-log", app.base)).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let first = first.text().await.unwrap();
    let trail = app.store.audit_entries(app.area, Some(id.parse().unwrap()), 0, 1000).await.unwrap();
    let when =
        |n: usize| allot_domain::dates::time_in_england(trail[n].entry.at).strftime("%-d %B %Y, %H:%M").to_string();
    assert!(first.contains("100 entries, oldest first"), "{first}");
    assert!(first.contains(&format!("<td class=\"govuk-table__cell\">{}</td><td class=\"govuk-table__cell\">Test Caseworker (asha@council.example), Caseworker</td><td class=\"govuk-table__cell\">Added child</td>", when(0))), "{first}");
    assert!(first.contains("Caseworker</td><td class=\"govuk-table__cell\">Assign lead professional</td>"), "{first}");
    assert!(first.contains("Test Caseworker (cara@council.example), Caseworker</td><td class=\"govuk-table__cell\">Tried to open family and contacts</td>"), "{first}");
    assert!(first.contains("Refused</strong>"));
    assert!(first.contains("Test Parent or carer (parent@family.example), Parent or carer</td><td class=\"govuk-table__cell\">Looked at the child's record</td>"));
    assert_eq!(first.matches("<tr class=\"govuk-table__row\">").count(), 101, "a heading row and 100 entries");
    let next = format!("/children/{id}/access-log?after={}", trail[99].seq);
    assert_eq!(trail.len(), 115, "113 entries, the manager opening the record and this page");
    assert!(first.contains(&format!("href=\"{next}\">Later entries")), "{first}");

    // The second page: the last 15 (13 looks by the parent, then the
    // manager opening the record and the first page), and the way back.
    let second = client.get(format!("{}{next}", app.base)).send().await.unwrap().text().await.unwrap();
    assert_eq!(second.matches("<tr class=\"govuk-table__row\">").count(), 1 + 15, "{second}");
    assert!(second.contains("Test Team manager (tess@council.example), Team manager</td><td class=\"govuk-table__cell\">Looked at who has looked at the record</td>"), "{second}");
    assert!(!second.contains("Later entries") && second.contains("Back to the first entries"));
    // A made-up place in the trail is a page that is not there.
    let bad = client.get(format!("{}/children/{id}/access-log?after=soon", app.base)).send().await.unwrap();
    assert_eq!(bad.status(), 404);

    // The head of service also has the subject access bundle, as a page.
    let head = Who { organisation: Some(app.council), ..Who::default() };
    add_user(app.store.as_ref(), app.area, "hana@council.example", Role::HeadOfService, head).await;
    let client = browser();
    sign_in(&app, &client, "hana@council.example").await;
    let record = client.get(format!("{}/children/{id}", app.base)).send().await.unwrap().text().await.unwrap();
    let bundle = format!("/api/v1/children/{id}/subject-access?format=html");
    assert!(record.contains(&format!("href=\"{bundle}\">Everything held about Mara Okafor")), "{record}");
    let page = client.get(format!("{}{bundle}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Everything Allot holds about this child") && page.contains("Amara Grace"), "{page}");
}

/// A receipt form as a browser sends it.
fn receipt_form(
    csrf: Option<&str>,
    file: (&str, &[u8]),
    spent_on: &str,
    amount: &str,
    what: &str,
) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new();
    if let Some(token) = csrf {
        form = form.text("csrf_token", token.to_owned());
    }
    form.part("file", reqwest::multipart::Part::bytes(file.1.to_vec()).file_name(file.0.to_owned()))
        .text("spent_on", spent_on.to_owned())
        .text("amount", amount.to_owned())
        .text("what", what.to_owned())
        .text("item", "")
}

async fn a_family_sends_a_receipt_and_a_mistake_keeps_what_was_typed(db: TestDatabase) {
    let app = spawn(db).await;
    let (_, child) = app.post("/api/v1/children", amara()).await;
    let id: allot_domain::ChildId = child["id"].as_str().unwrap().parse().unwrap();
    add_user(
        app.store.as_ref(),
        app.area,
        "parent@family.example",
        Role::ParentCarer,
        Who { children: vec![id], ..Who::default() },
    )
    .await;
    let client = browser();
    sign_in(&app, &client, "parent@family.example").await;
    let record = client.get(format!("{}/children/{id}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(record.contains(&format!("href=\"/children/{id}/receipts\">Receipts")));
    let page = client.get(format!("{}/children/{id}/receipts", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("No receipts have been sent yet.") && page.contains("enctype=\"multipart/form-data\""),
        "{page}"
    );
    let csrf = hidden(&page, "csrf_token");
    let url = format!("{}/children/{id}/receipts", app.base);
    let today = allot_domain::dates::date_in_england(jiff::Timestamp::now());
    let yesterday = today.yesterday().unwrap().to_string();
    let tomorrow = today.tomorrow().unwrap().to_string();

    // A program renamed .pdf, a day to come and a third decimal: all named,
    // everything typed kept, nothing kept in the store.
    let bad = receipt_form(Some(&csrf), ("receipt.pdf", b"MZ\x90\x00 a program"), &tomorrow, "12.345", "Swimming");
    let sent = client.post(&url).multipart(bad).send().await.unwrap();
    assert_eq!(sent.status(), 422);
    let html = sent.text().await.unwrap();
    for error in [
        "href=\"#file\">The file must be a PDF, a JPEG photo or a PNG image",
        "href=\"#spent_on\">Cannot be in the future",
        "href=\"#amount\">An amount can have at most 2 decimal places",
    ] {
        assert!(html.contains(error), "{error}: {html}");
    }
    for typed in [format!("value=\"{tomorrow}\""), "value=\"12.345\"".to_owned(), "value=\"Swimming\"".to_owned()] {
        assert!(html.contains(&typed), "{typed} kept: {html}");
    }
    // A good file with something else wrong: the page asks for the file again.
    let photo: Vec<u8> = [0xFF, 0xD8, 0xFF, 0xE0].into_iter().chain((0..=255u8).cycle().take(50_000)).collect();
    let no_what = receipt_form(Some(&csrf), ("IMG_0001.jpg", &photo), &yesterday, "37.50", " ");
    let html = client.post(&url).multipart(no_what).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("href=\"#what\">Say what was bought") && html.contains("Choose the file again"), "{html}");
    // A page that takes no file reads no more of one than of any form.
    let big = receipt_form(Some(&csrf), ("big.jpg", &vec![0xFF; 3 * 1024 * 1024]), &yesterday, "1.00", "x");
    // (The server answers 413 once it has read its limit, and may hang up
    // on the rest of the upload before the client has read the answer.)
    match client.post(format!("{}/children/{id}/review-requests", app.base)).multipart(big).send().await {
        Ok(answer) => assert_eq!(answer.status(), 413),
        Err(e) => assert!(e.is_request() || e.is_body(), "{e:?}"),
    }
    // Without the form's token: refused, nothing kept.
    let forged = client
        .post(&url)
        .multipart(receipt_form(None, ("IMG_0001.jpg", &photo), &yesterday, "37.50", "Swimming"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(app.store.receipts(app.area, id).await.unwrap().is_empty(), "nothing kept from any of these");

    let good = receipt_form(Some(&csrf), ("IMG_0001.jpg", &photo), &yesterday, "£37.50", "Swimming lessons");
    let sent = client.post(&url).multipart(good).send().await.unwrap();
    assert_eq!(sent.status(), 303);
    assert_eq!(sent.headers()[LOCATION], format!("/children/{id}/receipts?done=sent"));
    let page = client.get(format!("{url}?done=sent")).send().await.unwrap().text().await.unwrap();
    let kept = app.store.receipts(app.area, id).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert!(page.contains("Thank you: your receipt has been sent"));
    assert!(page.contains("<td class=\"govuk-table__cell\">Swimming lessons</td><td class=\"govuk-table__cell\">Not said</td><td class=\"govuk-table__cell govuk-table__cell--numeric\">£37.50</td>"), "{page}");
    assert!(page.contains("(JPEG photo, 49 KB)"), "{page}");
    // The file opens as a download, exactly as sent.
    let link = format!("/api/v1/children/{id}/receipts/{}", kept[0].id);
    assert!(page.contains(&format!("href=\"{link}\"")));
    let file = client.get(format!("{}{link}", app.base)).send().await.unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "image/jpeg");
    assert_eq!(file.headers()["content-disposition"], "attachment; filename=\"IMG_0001.jpg\"");
    assert_eq!(file.bytes().await.unwrap().to_vec(), photo);

    // The caseworker sends one through the API, and reads both back.
    let form = receipt_form(None, ("till.pdf", b"%PDF-1.7 till"), &yesterday, "2.50", "Bus fare");
    let sent = app
        .client
        .post(format!("{}/api/v1/children/{id}/receipts", app.base))
        .bearer_auth(&app.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 201);
    let (status, list) = app.get(&format!("/api/v1/children/{id}/receipts")).await;
    assert_eq!(status, 200);
    let amounts: Vec<&str> = list["items"].as_array().unwrap().iter().map(|r| r["amount"].as_str().unwrap()).collect();
    assert_eq!(amounts.len(), 2);
    assert!(amounts.contains(&"£2.50") && amounts.contains(&"£37.50"));
    let (status, not_multipart) = app.post(&format!("/api/v1/children/{id}/receipts"), serde_json::json!({})).await;
    assert_eq!((status, not_multipart["status"].as_u64()), (400, Some(400)));
}

async fn finance_imports_a_statement_and_reads_every_problem_in_a_bad_one(db: TestDatabase) {
    let app = spawn(db).await;
    let (status, _) = app.post("/api/v1/children", amara()).await;
    assert_eq!(status, 201);
    let finance = Who { organisation: Some(app.council), ..Who::default() };
    add_user(app.store.as_ref(), app.area, "fiona@council.example", Role::FinanceOfficer, finance).await;
    let client = browser();
    sign_in(&app, &client, "fiona@council.example").await;
    let runs = client.get(format!("{}/payments", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(runs.contains("href=\"/statements\">Import statements and invoices"));
    let page = client.get(format!("{}/statements", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Nothing has been imported yet."));
    let csrf = hidden(&page, "csrf_token");
    let send = |format: &str, name: &str, csv: &str| {
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", csrf.clone())
            .text("format", format.to_owned())
            .part("file", reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name(name.to_owned()));
        client.post(format!("{}/statements", app.base)).multipart(form).send()
    };
    const HEADER: &str = "account,date,amount,description,merchant,transaction_id\n";

    // Nothing chosen: both named.
    let empty = reqwest::multipart::Form::new()
        .text("csrf_token", csrf.clone())
        .part("file", reqwest::multipart::Part::bytes(Vec::new()).file_name(""));
    let html = client.post(format!("{}/statements", app.base)).multipart(empty).send().await.unwrap();
    assert_eq!(html.status(), 422);
    let html = html.text().await.unwrap();
    assert!(
        html.contains("href=\"#format\">Choose what kind of file it is")
            && html.contains("href=\"#file\">Choose the file to import"),
        "{html}"
    );

    // A file with two bad lines: every problem by line and column (the
    // unknown child on a line with a bad amount too), the kind chosen kept,
    // nothing imported.
    let bad = format!(
        "{HEADER}WV-0001,2026-11-02,-12.50,Swim,LEISURE CENTRE,TX-1\nWV-0001,2 Nov,-30.00,Cinema,Odeon,TX-2\nWV-0404,2026-11-03,-1.005,x,y,TX-3\n"
    );
    let sent = send("generic", "C:\\Downloads\\november.csv", &bad).await.unwrap();
    assert_eq!(sent.status(), 422);
    let html = sent.text().await.unwrap();
    assert!(html.contains("href=\"#file\">The file november.csv has 3 problems: nothing was imported"), "{html}");
    let row = |line: u32, column: &str| {
        format!(
            "<td class=\"govuk-table__cell govuk-table__cell--numeric\">{line}</td><td class=\"govuk-table__cell\">{column}</td>"
        )
    };
    for (line, column) in [(3, "date"), (4, "account"), (4, "amount")] {
        assert!(html.contains(&row(line, column)), "line {line} {column}: {html}");
    }
    assert!(html.contains("value=\"generic\" checked"), "the kind chosen stays chosen: {html}");
    assert!(app.store.spend_imports(app.area, 10).await.unwrap().is_empty());

    // The good file: counted, and listed to look back on.
    let good = format!(
        "{HEADER}WV-0001,2026-11-02,-12.50,Swim,LEISURE CENTRE,TX-1\nWV-0001,2026-11-03,-30.00,Cinema,Odeon,TX-2\n"
    );
    let html = send("generic", "november.csv", &good).await.unwrap().text().await.unwrap();
    assert!(html.contains("november.csv has been imported"), "{html}");
    assert!(
        html.contains(
            "2 lines: 2 new, 0 imported before and skipped. 0 put against a part of a plan; 2 waiting for someone"
        ),
        "{html}"
    );
    let again = send("generic", "november.csv", &good).await.unwrap().text().await.unwrap();
    assert!(again.contains("2 lines: 0 new, 2 imported before and skipped."), "{again}");
    let imports = app.store.spend_imports(app.area, 10).await.unwrap();
    assert_eq!(imports.len(), 2);
    assert!(
        again.contains(
            "november.csv<br><span class=\"govuk-hint govuk-!-font-size-16\">Bank statement (Allot's layout)</span>"
        ),
        "{again}"
    );
}
