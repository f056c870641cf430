//! Watching over direct payments in pages: the families that need a look,
//! and a fair audit step by step — nothing recovered before the family has
//! had the notice and its time to answer, contingency never taken.

use super::pages::{browser, hidden, sign_in};
use super::pathway::{finance_ready_to_pay, policies, staff};
use super::{TestApp, Who, amara, spawn};
use allot_domain::Role;
use allot_store::on_both_engines;
use allot_store::testing::TestDatabase;
use reqwest::Method;
use serde_json::{Value, json};

on_both_engines!(a_direct_payment_audit_is_fair_step_by_step);

fn today() -> jiff::civil::Date {
    allot_domain::dates::date_in_england(jiff::Timestamp::now())
}

fn days_from_today(n: i64) -> String {
    allot_domain::dates::plus_days(today(), n).to_string()
}

/// A child whose plan pays a personal assistant by direct payment (£15.50
/// three times a week, with £20 of contingency), agreed today, and whose
/// first instalment has been paid. Returns the child's id and what was
/// paid, in pence.
pub(super) async fn paid_direct_payment(app: &TestApp) -> (String, i64) {
    policies(app).await;
    let (_, child) = app.post("/api/v1/children", amara()).await;
    let id = child["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/children/{id}");
    let policy = allot_domain::ras::Policy::parse(super::POLICY).unwrap();
    let answers: serde_json::Map<String, Value> =
        policy.questions.iter().filter(|q| !q.optional).map(|q| (q.id.clone(), json!(q.options[1].id))).collect();
    app.post(&format!("{path}/allocations"), json!({ "answers": answers })).await;
    let plan = json!({ "based_on": null, "plan": {
        "outcomes": [{ "area": "friends_and_community", "wanted": "Go swimming with friends", "how_we_will_know": "Goes every Saturday" }],
        "items": [{ "what": "Personal assistant", "provided_by": "A PA the family employs", "unit_cost": "15.50", "units": "3", "frequency": "weekly", "stream": "social_care", "route": "direct_payment" }],
        "contingency": { "amount": "20.00", "stream": "social_care", "purpose": "Extra respite if mum is unwell" },
        "over_reasons": { "social_care": "Two adults are needed on outings" }
    } });
    let (status, v1) = app.put(&format!("{path}/plan"), plan).await;
    assert_eq!(status, 200, "{v1}");
    let submit = json!({ "version": 1, "row_version": v1["row_version"] });
    assert_eq!(app.post(&format!("{path}/plan/submit"), submit).await.0, 200);
    let tess = staff(app, "tess", Role::TeamManager, None).await;
    let approve = json!({ "version": 1, "decision": "approve" });
    assert_eq!(app.send_as(&tess, Method::POST, &format!("{path}/plan/decisions"), Some(approve)).await.0, 200);
    let parent = app
        .person("ngozi@example.org", Role::ParentCarer, Who { children: vec![id.parse().unwrap()], ..Who::default() })
        .await;
    let sign = json!({ "version": 1, "decision": "co_sign" });
    let (_, signed) = app.send_as(&parent, Method::POST, &format!("{path}/plan/signatures"), Some(sign)).await;
    assert_eq!(signed["status"], "agreed", "{signed}");
    let fay = finance_ready_to_pay(app, &id).await;
    let run = json!({ "date": today().to_string() });
    let (status, outcome) = app.send_as(&fay, Method::POST, "/api/v1/payment-runs", Some(run)).await;
    assert_eq!(status, 201, "{outcome}");
    let run_path = format!("/api/v1/payment-runs/{}/release", outcome["run"]["id"].as_str().unwrap());
    assert_eq!(app.send_as(&fay, Method::POST, &run_path, None).await.0, 200);
    (id, outcome["run"]["total"].as_i64().unwrap())
}

fn pounds(p: i64) -> String {
    format!("{}.{:02}", p / 100, p % 100)
}

/// Money as the pages show it: £1,234.56.
fn shown(p: i64) -> String {
    allot_domain::Pence::new(p).to_string()
}

async fn a_direct_payment_audit_is_fair_step_by_step(db: TestDatabase) {
    let app = spawn(db).await;
    let (id, paid) = paid_direct_payment(&app).await;
    // The most that may be recovered: what is in the account less the
    // £20 contingency.
    let surplus = paid - 2_000;
    let finance = browser();
    sign_in(&app, &finance, "fay@test.example").await;
    let get = |client: &reqwest::Client, path: &str| {
        let (client, url) = (client.clone(), format!("{}{path}", app.base));
        async move {
            let resp = client.get(url).send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let post = |client: &reqwest::Client, path: &str, form: Vec<(String, String)>| {
        let (client, url) = (client.clone(), format!("{}{path}", app.base));
        async move {
            let resp = client.post(url).form(&form).send().await.unwrap();
            let location = resp.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
            (resp.status().as_u16(), location, resp.text().await.unwrap())
        }
    };

    // Finance sees the family's account, and that no audit is under way.
    let (status, list) = get(&finance, "/direct-payments").await;
    assert_eq!(status, 200, "{list}");
    assert!(list.contains(&format!("href=\"/children/{id}/dp-audits\">Mara Okafor</a>")), "{list}");
    assert!(list.contains(&shown(paid)), "the balance, to the penny: {list}");
    let audits = format!("/children/{id}/dp-audits");
    let (_, page) = get(&finance, &audits).await;
    let csrf = hidden(&page, "csrf_token");
    let form = |pairs: &[(&str, &str)]| {
        let mut f = vec![("csrf_token".to_owned(), csrf.clone())];
        f.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        f
    };

    // Starting tomorrow is refused, the day typed kept; today it starts.
    let tomorrow = days_from_today(1);
    let (status, _, html) = post(&finance, &audits, form(&[("on", &tomorrow)])).await;
    assert_eq!(status, 422);
    assert!(html.contains("href=\"#on\">Cannot be in the future") && html.contains(&format!("value=\"{tomorrow}\"")));
    let (status, to, _) = post(&finance, &audits, form(&[("on", &today().to_string())])).await;
    assert_eq!((status, to.as_deref()), (303, Some(format!("{audits}?done=started").as_str())));

    // Findings that would take contingency money are refused by field.
    let findings = format!("{audits}/findings");
    let (status, _) = get(&finance, &findings).await;
    assert_eq!(status, 200);
    let what = "Wages paid as planned; the swimming stopped";
    let (status, _, html) = post(
        &finance,
        &findings,
        form(&[
            ("on", &today().to_string()),
            ("findings", what),
            ("proposed_recovery", &pounds(surplus + 1)),
            ("reasons", "Swimming stopped"),
        ]),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains(&format!("href=\"#proposed_recovery\">At most {} can be recovered", shown(surplus))),
        "{html}"
    );
    assert!(html.contains(what) && html.contains(&format!("value=\"{}\"", pounds(surplus + 1))), "all kept");
    let (status, _, _) = post(
        &finance,
        &findings,
        form(&[
            ("on", &today().to_string()),
            ("findings", what),
            ("proposed_recovery", &pounds(surplus)),
            ("reasons", "Swimming stopped in November"),
        ]),
    )
    .await;
    assert_eq!(status, 303);

    // The notice shows the letter first; fewer than 28 days is refused.
    let notice = format!("{audits}/notice");
    let (_, html) = get(&finance, &notice).await;
    assert!(html.contains("We propose to take back") && html.contains("Swimming stopped in November"), "{html}");
    let (status, _, html) =
        post(&finance, &notice, form(&[("on", &today().to_string()), ("response_by", &days_from_today(5))])).await;
    assert_eq!(status, 422);
    assert!(html.contains("The family must have at least 28 days to respond"), "{html}");
    let response_by = days_from_today(28);
    let (status, _, _) =
        post(&finance, &notice, form(&[("on", &today().to_string()), ("response_by", &response_by)])).await;
    assert_eq!(status, 303);

    // Nothing can be recovered while the family may still answer: the page
    // says until when and offers no button; sending the form anyway is
    // refused and changes nothing.
    let recovery = format!("{audits}/recovery");
    let (_, html) = get(&finance, &recovery).await;
    let until = allot_domain::dates::plus_days(today(), 28).strftime("%-d %B %Y").to_string();
    assert!(html.contains(&format!("The family has until {until} to respond")), "{html}");
    assert!(!html.contains("Recover the money"));
    let (status, _, html) =
        post(&finance, &recovery, form(&[("on", &today().to_string()), ("amount", &pounds(surplus))])).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("href=\"#kind\">"), "{html}");

    // The family reads the notice on their child's audit page, and cannot
    // record anything in it.
    let family = browser();
    sign_in(&app, &family, "ngozi@example.org").await;
    let (status, html) = get(&family, &audits).await;
    assert_eq!(status, 200);
    assert!(html.contains("The notice sent to the family") && html.contains(&format!("Please tell us by {until}")));
    assert!(!html.contains("Record what happened next"));
    assert_eq!(get(&family, &findings).await.0, 404, "as if there were no such page");

    // They agree: now the money may be recovered, to the penny.
    let response = format!("{audits}/response");
    let (status, _, html) = post(&finance, &response, form(&[("on", &today().to_string()), ("response", "")])).await;
    assert_eq!(status, 422);
    assert!(html.contains("href=\"#agreed\">") && html.contains("href=\"#response\">"), "both named: {html}");
    let (status, _, _) = post(
        &finance,
        &response,
        form(&[("on", &today().to_string()), ("agreed", "yes"), ("response", "Agreed on the phone")]),
    )
    .await;
    assert_eq!(status, 303);
    let (_, html) = get(&finance, &recovery).await;
    assert!(html.contains("Recover the money") && html.contains(&shown(surplus)), "{html}");
    let (status, to, _) =
        post(&finance, &recovery, form(&[("on", &today().to_string()), ("amount", &pounds(surplus))])).await;
    assert_eq!((status, to.as_deref()), (303, Some(format!("{audits}?done=recovery").as_str())));
    let (_, money) = app.get(&format!("/api/v1/children/{id}/money")).await;
    assert_eq!(money["direct_payment"]["balance"], 2_000, "the contingency stays with the family: {money}");
    let (_, html) = get(&finance, &audits).await;
    assert!(html.contains(&format!("{} on ", shown(surplus))) && html.contains("Agreed on the phone"), "{html}");
}
