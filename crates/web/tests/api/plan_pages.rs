//! The support plan through its pages, as a browser sends forms: written
//! with a row left empty and a mistake (every value kept, errors named by
//! the row people see), checked and submitted, refused to someone who may
//! not sign off, decided after "check your answers" and the second factor
//! again, co-signed by the family, the letter, and a review asked for.

use super::access::organisation;
use super::pages::{browser, hidden, sign_in};
use super::pathway::{finance_ready_to_pay, policies};
use super::{POLICY, TestApp, Who, add_user, amara, code_now, spawn};
use allot_domain::Role;
use allot_store::testing::TestDatabase;
use allot_store::{Store, on_both_engines};
use reqwest::Method;
use serde_json::{Value, json};

on_both_engines!(a_plan_goes_from_first_draft_to_agreed_through_the_pages);

/// Journey 3 through the pages: finance prepares a run, checks it and
/// releases it; the family sees the payment on their child's money page.
async fn finance_pays_and_the_family_sees_it(app: &TestApp, id: &str, family: &reqwest::Client) {
    let (_, page) = get(app, family, &format!("/children/{id}/money")).await;
    assert!(page.contains("Nothing has been paid this year yet."), "{page}");
    let fay = finance_ready_to_pay(app, id).await;

    let who = Who { organisation: Some(app.council), ..Who::default() };
    add_user(app.store.as_ref(), app.area, "fiona@test.example", Role::FinanceOfficer, who).await;
    let fiona = browser();
    sign_in(app, &fiona, "fiona@test.example").await;
    let (status, runs) = get(app, &fiona, "/payments").await;
    assert_eq!(status, 200);
    assert!(runs.contains("No runs yet."));
    let csrf = hidden(&runs, "csrf_token");
    let (status, page) =
        post(app, &fiona, "/payments", &[("csrf_token", csrf.clone()), ("date", "1 December".into())]).await;
    assert_eq!(status, 422);
    assert!(page.contains("href=\"#date\"") && page.contains("value=\"1 December\""), "{page}");
    let today = allot_domain::dates::date_in_england(jiff::Timestamp::now()).to_string();
    let (status, to) = post(app, &fiona, "/payments", &[("csrf_token", csrf.clone()), ("date", today.clone())]).await;
    assert_eq!(status, 303, "{to}");
    let (_, listed) = app.send_as(&fay, Method::GET, "/api/v1/payment-runs", None).await;
    let total = allot_domain::Pence::new(listed["items"][0]["total"].as_i64().unwrap()).to_string();
    let (_, run) = get(app, &fiona, &to).await;
    for expected in
        [total.as_str(), "Prepared, waiting for release", "Held back", "Download the Bacs file", "Release the run"]
    {
        assert!(run.contains(expected), "the run page lacks {expected}: {run}");
    }
    // Preparing again pays nothing twice.
    let (status, again) = post(app, &fiona, "/payments", &[("csrf_token", csrf.clone()), ("date", today)]).await;
    assert_eq!(status, 200);
    assert!(again.contains("Nothing new is due by that day"));
    let (status, done) = post(app, &fiona, &format!("{to}/release"), &[("csrf_token", csrf)]).await;
    assert_eq!((status, done), (303, format!("{to}?done=released")));

    let (_, money) = get(app, family, &format!("/children/{id}/money")).await;
    for expected in ["The family's direct-payment account", total.as_str(), "******78", "Personal assistant"] {
        assert!(money.contains(expected), "the family's money page lacks {expected}: {money}");
    }
}

/// A browser whose session was confirmed with the second factor 20
/// minutes ago: fine for reading, stale for deciding.
async fn stale_browser(app: &TestApp, username: &str) -> reqwest::Client {
    use allot_domain::session::SessionTimes;
    let name = allot_domain::user::Username::parse(username).unwrap();
    let (user, _) = app.store.user_for_sign_in(&name).await.unwrap().unwrap();
    let earlier = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(20);
    let token = format!("stale-{username}");
    let session = allot_store::Session {
        token_hash: allot_web::token_hash(&token),
        user_id: user.id,
        csrf_token: "stale-csrf".into(),
        times: SessionTimes { created: earlier, last_seen: jiff::Timestamp::now(), second_factor_at: Some(earlier) },
    };
    app.store.start_session(&session).await.unwrap();
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    jar.add_cookie_str(&format!("allot_session={token}; Path=/"), &app.base.parse().unwrap());
    reqwest::Client::builder().cookie_provider(jar).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, String) {
    let resp = client.get(format!("{}{path}", app.base)).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// Posts a form; the status, and where it redirects (or the page).
async fn post(app: &TestApp, client: &reqwest::Client, path: &str, fields: &[(&str, String)]) -> (u16, String) {
    let resp = client.post(format!("{}{path}", app.base)).form(fields).send().await.unwrap();
    let status = resp.status().as_u16();
    match resp.headers().get("location") {
        Some(to) => (status, to.to_str().unwrap().to_owned()),
        None => (status, resp.text().await.unwrap()),
    }
}

fn owned(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn form(fields: &[(String, String)]) -> Vec<(&str, String)> {
    fields.iter().map(|(k, v)| (k.as_str(), v.clone())).collect()
}

async fn a_plan_goes_from_first_draft_to_agreed_through_the_pages(db: TestDatabase) {
    let app = spawn(db).await;
    policies(&app).await;
    let provider = organisation(app.store.as_ref(), app.area, "provider", "Bright Days Care").await;
    let (_, child) = app.post("/api/v1/children", amara()).await;
    let id = child["id"].as_str().unwrap().to_owned();
    // The lowest answers: a small indicative budget the plan will be over.
    let policy = allot_domain::ras::Policy::parse(POLICY).unwrap();
    let answers: serde_json::Map<String, Value> =
        policy.questions.iter().filter(|q| !q.optional).map(|q| (q.id.clone(), json!(q.options[0].id))).collect();
    let (status, _) = app.post(&format!("/api/v1/children/{id}/allocations"), json!({ "answers": answers })).await;
    assert_eq!(status, 201);

    let asha = browser();
    sign_in(&app, &asha, "asha@council.example").await;
    let plan = format!("/children/{id}/plan");
    let (status, page) = get(&app, &asha, &plan).await;
    assert_eq!(status, 200);
    assert!(page.contains("No support plan has been written yet."), "{page}");
    let (_, edit) = get(&app, &asha, &format!("{plan}/edit")).await;
    let csrf = hidden(&edit, "csrf_token");
    assert!(edit.contains("name=\"items[1].unit_cost\""), "a fresh plan offers two support items");

    // The first item row left empty, a cost with too many decimals in the second.
    let mut fields = owned(&[
        ("outcomes[0].area", "friends_and_community"),
        ("outcomes[0].wanted", "Go swimming with friends"),
        ("outcomes[0].how_we_will_know", "Goes every Saturday"),
        ("real_wealth[0].who", "Grandma"),
        ("real_wealth[0].brings", "Collects Mara from school on Fridays"),
        ("items[0].what", ""),
        ("items[0].unit_cost", ""),
        ("items[1].what", "Personal assistant"),
        ("items[1].provided_by", "A PA the family employs"),
        ("items[1].unit_cost", "15.505"),
        ("items[1].units", "3"),
        ("items[1].frequency", "weekly"),
        ("items[1].stream", "social_care"),
        ("items[1].route", "direct_payment"),
        ("items[2].what", "After-school club"),
        ("items[2].provided_by", "Bright Days Care"),
        ("items[2].unit_cost", "1000.00"),
        ("items[2].units", "1"),
        ("items[2].frequency", "yearly"),
        ("items[2].stream", "education"),
        ("items[2].route", "isf"),
        ("items[2].isf_holder", &provider.to_string()),
        ("keeping_safe[0].risk", "Runs towards roads"),
        ("keeping_safe[0].reduced_by", "Two adults on outings"),
        ("payment_schedule", "monthly"),
    ]);
    fields.push(("csrf_token".into(), csrf.clone()));
    let (status, page) = post(&app, &asha, &format!("{plan}/edit"), &form(&fields)).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("<title>Error: Write the plan – Allot</title>"));
    // The empty row is gone: the mistake is now in the first item, where the person sees it.
    assert!(page.contains("href=\"#items[0].unit_cost\""), "{page}");
    assert!(page.contains("name=\"items[0].unit_cost\" type=\"text\" spellcheck=\"false\" value=\"15.505\""), "{page}");
    assert!(page.contains("value=\"After-school club\""));
    assert!(page.contains("Collects Mara from school on Fridays</textarea>"));
    assert!(page.contains("value=\"monthly\" checked"), "the payment schedule chosen stays chosen");
    assert_eq!(app.get(&format!("/api/v1/children/{id}/plan")).await.1["versions"], json!([]), "nothing saved");

    let fields: Vec<(String, String)> = fields
        .into_iter()
        .map(|(k, v)| if k == "items[1].unit_cost" { (k, "15.50".to_owned()) } else { (k, v) })
        .collect();
    let (status, to) = post(&app, &asha, &format!("{plan}/edit"), &form(&fields)).await;
    assert_eq!((status, to.as_str()), (303, format!("{plan}?done=saved").as_str()));
    let (_, page) = get(&app, &asha, &format!("{plan}?done=saved")).await;
    assert!(page.contains("The plan has been saved"));
    // £15.50 × 3 × 52 = £2,418.00 by direct payment; £1,000.00 held by the provider.
    for expected in
        ["£2,418.00", "£1,000.00", "£3,418.00", "Individual service fund, held by Bright Days Care", "Draft"]
    {
        assert!(page.contains(expected), "the plan page lacks {expected}");
    }
    assert!(page.contains("say why before you submit it"), "the plan is over the indicative budget: {page}");

    // Changing the plan starts from everything it says.
    let (_, edit) = get(&app, &asha, &format!("{plan}/edit")).await;
    for kept in [
        "Go swimming with friends</textarea>",
        "Collects Mara from school on Fridays</textarea>",
        "value=\"Personal assistant\"",
        "value=\"15.50\"",
        "value=\"1,000.00\"",
        "Runs towards roads</textarea>",
        "Two adults on outings</textarea>",
        "value=\"monthly\" checked",
    ] {
        assert!(edit.contains(kept), "the form to change the plan lacks {kept}");
    }

    // Checking before submitting names what is missing, linked to the form.
    let (status, check) = get(&app, &asha, &format!("{plan}/submit")).await;
    assert_eq!(status, 200);
    assert!(check.contains(&format!("href=\"{plan}/edit#over_reasons.")), "{check}");
    assert!(!check.contains(">Submit for sign-off</button>"), "nothing to submit until it is put right");
    let (_, edit) = get(&app, &asha, &format!("{plan}/edit")).await;
    let mut fields: Vec<(String, String)> = vec![("csrf_token".into(), csrf.clone())];
    for name in ["based_on_version", "based_on_row_version", "items[0].key", "items[1].key"] {
        fields.push((name.into(), hidden(&edit, name)));
    }
    let saved_fields = [
        ("outcomes[0].area", "friends_and_community"),
        ("outcomes[0].wanted", "Go swimming with friends"),
        ("outcomes[0].how_we_will_know", "Goes every Saturday"),
        ("items[0].what", "Personal assistant"),
        ("items[0].provided_by", "A PA the family employs"),
        ("items[0].unit_cost", "15.50"),
        ("items[0].units", "3"),
        ("items[0].frequency", "weekly"),
        ("items[0].stream", "social_care"),
        ("items[0].route", "direct_payment"),
        ("items[1].what", "After-school club"),
        ("items[1].provided_by", "Bright Days Care"),
        ("items[1].unit_cost", "1,000.00"),
        ("items[1].units", "1"),
        ("items[1].frequency", "yearly"),
        ("items[1].stream", "education"),
        ("items[1].route", "isf"),
        ("over_reasons.social_care", "Two adults needed for outings"),
        ("over_reasons.education", "The club is the only one nearby"),
    ];
    fields.extend(owned(&saved_fields));
    fields.push(("items[1].isf_holder".into(), provider.to_string()));
    let (status, _) = post(&app, &asha, &format!("{plan}/edit"), &form(&fields)).await;
    assert_eq!(status, 303);
    let (_, check) = get(&app, &asha, &format!("{plan}/submit")).await;
    assert!(check.contains("Team manager"), "£3,418.00 of council money is a team manager's to approve: {check}");
    let submit = [
        ("csrf_token", csrf.clone()),
        ("version", hidden(&check, "version")),
        ("row_version", hidden(&check, "row_version")),
    ];
    let (status, to) = post(&app, &asha, &format!("{plan}/submit"), &submit).await;
    assert_eq!((status, to), (303, format!("{plan}?done=submitted")));
    // Submitting the same version twice is refused, not repeated.
    let (status, _) = post(&app, &asha, &format!("{plan}/submit"), &submit).await;
    assert!(matches!(status, 409 | 422), "{status}");

    // The caseworker may not sign off: to them there is no such page.
    let (status, page) = get(&app, &asha, &format!("{plan}/decision")).await;
    assert_eq!(status, 404);
    assert!(page.contains("Page not found"));

    // The team manager's queue, then a decision checked before it is made.
    add_user(
        app.store.as_ref(),
        app.area,
        "tess@test.example",
        Role::TeamManager,
        Who { organisation: Some(app.council), teams: vec!["SEN North"], ..Who::default() },
    )
    .await;
    let tess = stale_browser(&app, "tess@test.example").await;
    let (status, queue) = get(&app, &tess, "/approvals").await;
    assert_eq!(status, 200);
    assert!(queue.contains(&format!("/children/{id}/plan/decision?version=1")), "{queue}");
    assert!(queue.contains("£3,418.00"));
    let decide = |decision: &str, reason: &str| {
        vec![
            ("csrf_token", "stale-csrf".to_owned()),
            ("version", "1".to_owned()),
            ("decision", decision.to_owned()),
            ("reason", reason.to_owned()),
        ]
    };
    let (status, page) = post(&app, &tess, &format!("{plan}/decision/check"), &decide("decline", "")).await;
    assert_eq!(status, 422);
    assert!(page.contains("href=\"#reason\""), "declining needs reasons: {page}");
    assert!(page.contains("value=\"decline\" checked"));
    let (status, page) = post(&app, &tess, &format!("{plan}/decision/check"), &decide("approve", "")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Check your decision") && page.contains("Approved: the family is asked to co-sign it"));
    let versions = app.get(&format!("/api/v1/children/{id}/plan")).await.1;
    assert_eq!(versions["shown"]["status"], "submitted", "checking records nothing");

    // Signed in more than 15 minutes ago: the code again, keeping the decision.
    let confirm = decide("approve", "");
    let (status, page) = post(&app, &tess, &format!("{plan}/decision"), &confirm).await;
    assert_eq!(status, 403);
    assert!(page.contains("Confirm it is you"));
    assert_eq!(hidden(&page, "decision"), "approve");
    let mut wrong = confirm.clone();
    wrong.push(("security_code", "000000".to_owned()));
    let (status, page) = post(&app, &tess, &format!("{plan}/decision"), &wrong).await;
    assert_eq!(status, 403);
    assert!(page.contains("href=\"#security_code\"") && page.contains("The code is not right"), "{page}");
    assert_eq!(app.get(&format!("/api/v1/children/{id}/plan")).await.1["shown"]["status"], "submitted");
    let mut right = confirm.clone();
    right.push(("security_code", code_now()));
    let (status, to) = post(&app, &tess, &format!("{plan}/decision"), &right).await;
    assert_eq!((status, to), (303, format!("{plan}?version=1&done=decided")));
    let (_, page) = get(&app, &tess, &format!("{plan}?version=1&done=decided")).await;
    assert!(page.contains("Your decision has been recorded") && page.contains("Approved by "), "{page}");

    // The family co-signs; the letter shows the amounts.
    add_user(
        app.store.as_ref(),
        app.area,
        "ngozi@example.org",
        Role::ParentCarer,
        Who { children: vec![id.parse().unwrap()], ..Who::default() },
    )
    .await;
    let ngozi = browser();
    sign_in(&app, &ngozi, "ngozi@example.org").await;
    let (_, page) = get(&app, &ngozi, &plan).await;
    assert!(page.contains(&format!("href=\"{plan}/co-sign?version=1\"")), "{page}");
    let (_, sign) = get(&app, &ngozi, &format!("{plan}/co-sign?version=1")).await;
    assert!(sign.contains("I agree to this plan"));
    let fields =
        [("csrf_token", hidden(&sign, "csrf_token")), ("version", "1".to_owned()), ("decision", "co_sign".to_owned())];
    let (status, to) = post(&app, &ngozi, &format!("{plan}/co-sign"), &fields).await;
    assert_eq!((status, to), (303, format!("{plan}?version=1&done=signed")));
    let (_, page) = get(&app, &ngozi, &format!("{plan}?version=1")).await;
    assert!(page.contains("Agreed"));
    let (status, letter) = get(&app, &ngozi, &format!("{plan}/letter?version=1")).await;
    assert_eq!(status, 200);
    for expected in [
        "Our decision about Mara",
        "£3,418.00",
        "Direct payment: £2,418.00 a year",
        "Individual service fund: £1,000.00 a year",
        "Education (SEN top-up)",
        "The club is the only one nearby",
    ] {
        assert!(letter.contains(expected), "the letter lacks {expected}");
    }

    finance_pays_and_the_family_sees_it(&app, &id, &ngozi).await;

    // The family asks for the decision to be reviewed; an empty request keeps the choice.
    let (_, reviews) = get(&app, &ngozi, &format!("/children/{id}/review-requests")).await;
    let csrf = hidden(&reviews, "csrf_token");
    let ask = |what: &str| {
        vec![("csrf_token", csrf.clone()), ("plan_version", "1".to_owned()), ("what_is_challenged", what.to_owned())]
    };
    let (status, page) = post(&app, &ngozi, &format!("/children/{id}/review-requests"), &ask("  ")).await;
    assert_eq!(status, 422);
    assert!(page.contains("href=\"#what_is_challenged\""));
    assert!(page.contains("value=\"1\" selected"));
    let (status, to) =
        post(&app, &ngozi, &format!("/children/{id}/review-requests"), &ask("Mara needs the PA on Sundays too")).await;
    assert_eq!((status, to), (303, format!("/children/{id}/review-requests?done=asked")));
    let (_, page) = get(&app, &ngozi, &format!("/children/{id}/review-requests?done=asked")).await;
    let due = allot_domain::pathway::casework::review_answer_due(allot_domain::dates::date_in_england(
        jiff::Timestamp::now(),
    ));
    assert!(page.contains("Mara needs the PA on Sundays too"));
    assert!(page.contains(&due.strftime("%-d %B %Y").to_string()), "the answer is due in 28 days: {page}");
    assert!(!page.contains("Send the answer"), "the family cannot answer its own request");

    // The team manager answers: without reasons it is refused with the
    // choice kept; with them the family reads the answer.
    let (_, page) = get(&app, &tess, &format!("/children/{id}/review-requests")).await;
    assert!(page.contains("Answer the request made on"), "{page}");
    let request = hidden(&page, "id");
    let answer = |reasons: &str| {
        vec![
            ("csrf_token", hidden(&page, "csrf_token")),
            ("id", request.clone()),
            ("row_version", hidden(&page, "row_version")),
            ("outcome", "decision_changed".to_owned()),
            ("reasons", reasons.to_owned()),
        ]
    };
    let answer_at = format!("/children/{id}/review-requests/answer");
    let (status, refused) = post(&app, &tess, &answer_at, &answer(" ")).await;
    assert_eq!(status, 422);
    assert!(refused.contains("href=\"#reasons\">Give the reasons for the answer"), "{refused}");
    assert!(refused.contains("value=\"decision_changed\" checked"), "{refused}");
    let (status, to) = post(&app, &tess, &answer_at, &answer("Sundays are added from January")).await;
    assert_eq!((status, to), (303, format!("/children/{id}/review-requests?done=answered")));
    let (_, page) = get(&app, &ngozi, &format!("/children/{id}/review-requests")).await;
    assert!(page.contains("The decision was changed on") && page.contains("Sundays are added from January"), "{page}");
    let (status, _) = post(&app, &tess, &answer_at, &answer("again")).await;
    assert_eq!(status, 422, "an answered request is not answered twice");
}
