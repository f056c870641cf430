//! Money through the API: from an agreed plan to a released payment run
//! and its Bacs file, a statement uploaded whole or not at all, the
//! family's statement to the penny, an overspend approved with a fresh
//! second factor, a fair audit, and the reports.

use super::access::organisation;
use super::pathway::{fields, policies, staff};
use super::{TestApp, Who, amara, spawn};
use allot_domain::Role;
use allot_store::testing::TestDatabase;
use allot_store::{Store, on_both_engines};
use reqwest::Method;
use serde_json::{Value, json};

on_both_engines!(money_reaches_the_family_and_every_penny_is_accounted_for);

fn today() -> jiff::civil::Date {
    allot_domain::dates::date_in_england(jiff::Timestamp::now())
}

/// Sends CSV text as a finance officer.
async fn upload(app: &TestApp, token: &str, query: &str, csv: &str) -> (u16, Value) {
    let resp = app
        .client
        .post(format!("{}/api/v1/statements?{query}", app.base))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

/// Downloads a file: its content type, disposition and text.
async fn download(app: &TestApp, token: &str, path: &str) -> (String, String, String) {
    let resp = app.client.get(format!("{}{path}", app.base)).bearer_auth(token).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    let header = |name: &str| resp.headers().get(name).unwrap().to_str().unwrap().to_owned();
    let (ctype, disposition) = (header("content-type"), header("content-disposition"));
    (ctype, disposition, resp.text().await.unwrap())
}

/// A session for `username` whose second factor was confirmed 20 minutes
/// ago: fine for reading, stale for money.
async fn stale_session(app: &TestApp, username: &str) -> String {
    use allot_domain::session::SessionTimes;
    let name = allot_domain::user::Username::parse(username).unwrap();
    let (user, _) = app.store.user_for_sign_in(&name).await.unwrap().unwrap();
    let earlier = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(20);
    let token = format!("stale-{username}");
    let session = allot_store::Session {
        token_hash: allot_web::token_hash(&token),
        user_id: user.id,
        csrf_token: "x".into(),
        times: SessionTimes { created: earlier, last_seen: jiff::Timestamp::now(), second_factor_at: Some(earlier) },
    };
    app.store.start_session(&session).await.unwrap();
    token
}

fn pence(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("{v} is not pence"))
}

async fn money_reaches_the_family_and_every_penny_is_accounted_for(db: TestDatabase) {
    let app = spawn(db).await;
    policies(&app).await;
    let school = organisation(app.store.as_ref(), app.area, "school", "Mill Lane Primary").await;
    let (_, child) = app.post("/api/v1/children", amara()).await;
    let id = child["id"].as_str().unwrap().to_owned();
    let child_path = format!("/api/v1/children/{id}");

    // A plan of a personal assistant by direct payment (£15.50 × 3 a week)
    // and an after-school club the school holds as an ISF (£1,000 a year),
    // with £20 of contingency, agreed today.
    let allocation = {
        let policy = allot_domain::ras::Policy::parse(super::POLICY).unwrap();
        let answers: serde_json::Map<String, Value> =
            policy.questions.iter().filter(|q| !q.optional).map(|q| (q.id.clone(), json!(q.options[1].id))).collect();
        app.post(&format!("{child_path}/allocations"), json!({ "answers": answers })).await.1
    };
    let over: serde_json::Map<String, Value> = [("social_care", 243_800), ("education", 100_000)]
        .into_iter()
        .filter(|(stream, total)| {
            let s = allocation["streams"].as_array().unwrap().iter().find(|s| s["stream_id"] == *stream).unwrap();
            *total > pence(&s["indicative_pence"])
        })
        .map(|(stream, _)| (stream.to_owned(), json!("Two adults are needed on outings")))
        .collect();
    let plan = json!({ "based_on": null, "plan": {
        "outcomes": [{ "area": "friends_and_community", "wanted": "Go swimming with friends", "how_we_will_know": "Goes every Saturday" }],
        "items": [
            { "what": "Personal assistant", "provided_by": "A PA the family employs", "unit_cost": "15.50", "units": "3", "frequency": "weekly", "stream": "social_care", "route": "direct_payment" },
            { "what": "After-school club", "provided_by": "Mill Lane Primary", "unit_cost": "1000.00", "units": "1", "frequency": "yearly", "stream": "education", "route": "isf", "isf_holder": school.to_string(), "provider": school.to_string() }
        ],
        "contingency": { "amount": "20.00", "stream": "social_care", "purpose": "Extra respite if mum is unwell" },
        "over_reasons": over
    } });
    let (status, v1) = app.put(&format!("{child_path}/plan"), plan).await;
    assert_eq!(status, 200, "{v1}");
    let (status, v1) =
        app.post(&format!("{child_path}/plan/submit"), json!({ "version": 1, "row_version": v1["row_version"] })).await;
    assert_eq!(status, 200, "{v1}");
    let tess = staff(&app, "tess", Role::TeamManager, None).await;
    let decisions = format!("{child_path}/plan/decisions");
    let (status, _) =
        app.send_as(&tess, Method::POST, &decisions, Some(json!({ "version": 1, "decision": "approve" }))).await;
    assert_eq!(status, 200);
    let parent = app
        .person("ngozi@example.org", Role::ParentCarer, Who { children: vec![id.parse().unwrap()], ..Who::default() })
        .await;
    let signature = json!({ "version": 1, "decision": "co_sign" });
    let (_, v1) = app.send_as(&parent, Method::POST, &format!("{child_path}/plan/signatures"), Some(signature)).await;
    assert_eq!(v1["status"], "agreed", "{v1}");
    let item_keys: Vec<String> =
        v1["content"]["items"].as_array().unwrap().iter().map(|i| i["key"].as_str().unwrap().to_owned()).collect();

    // The family's statement: the budget set up for the rest of the year,
    // all of it reserved for instalments, nothing paid yet.
    let (status, money) = app.send_as(&parent, Method::GET, &format!("{child_path}/money"), None).await;
    assert_eq!(status, 200, "{money}");
    let stream = |money: &Value, route: &str| {
        money["streams"].as_array().unwrap().iter().find(|s| s["route"] == route).unwrap().clone()
    };
    let dp = stream(&money, "direct_payment");
    let dp_budget = pence(&dp["budget"]);
    assert!(dp_budget > 0 && dp_budget <= 241_800 + 2_000, "part of a year's £2,418 and £20: {dp}");
    assert_eq!((pence(&dp["paid"]), pence(&dp["committed"]), pence(&dp["left"])), (0, dp_budget, 0));
    assert_eq!(money["paid_into"], Value::Null, "no bank details yet");

    // Bank details need a second finance officer, who has confirmed their
    // second factor in the last 15 minutes.
    let finance_settings = include_str!("../../../../policies/example-finance.toml");
    let setup = allot_domain::Stamp::now(allot_domain::Actor::parse("setup").unwrap());
    app.store.publish_finance_settings(app.area, finance_settings, &setup).await.unwrap();
    let fay = staff(&app, "fay", Role::FinanceOfficer, None).await;
    let fred = staff(&app, "fred", Role::FinanceOfficer, None).await;
    let account = format!("dp/{id}");
    let proposal = json!({ "account": account, "sort_code": "11-22-33", "account_number": "1234567", "account_name": "Mrs N Okafor", "reason": "Direct payment agreement signed" });
    let (status, problem) = app.send_as(&fay, Method::POST, "/api/v1/bank-details", Some(proposal.clone())).await;
    assert_eq!((status, fields(&problem)), (422, vec!["account_number".to_owned()]), "7 digits is not an account");
    let mut proposal = proposal;
    proposal["account_number"] = json!("12345678");
    let (status, proposed) = app.send_as(&fay, Method::POST, "/api/v1/bank-details", Some(proposal)).await;
    assert_eq!((status, proposed["status"].clone()), (201, json!("proposed")), "{proposed}");
    let decision = json!({ "account": account, "seq": proposed["seq"], "confirm": true });
    let (status, own) = app.send_as(&fay, Method::POST, "/api/v1/bank-details/decisions", Some(decision.clone())).await;
    assert_eq!(status, 422, "never your own proposal: {own}");
    let stale_fred = stale_session(&app, "fred@test.example").await;
    let (status, problem) =
        app.send_as(&stale_fred, Method::POST, "/api/v1/bank-details/decisions", Some(decision.clone())).await;
    assert_eq!((status, problem["type"].clone()), (403, json!("/problems/confirm-second-factor")));
    let (status, confirmed) = app.send_as(&fred, Method::POST, "/api/v1/bank-details/decisions", Some(decision)).await;
    assert_eq!((status, confirmed["status"].clone()), (200, json!("current")), "{confirmed}");

    // A run today pays the first direct-payment instalment; the school's
    // has no bank details, so it waits and the run says why.
    let (status, outcome) =
        app.send_as(&fay, Method::POST, "/api/v1/payment-runs", Some(json!({ "date": today().to_string() }))).await;
    assert_eq!(status, 201, "{outcome}");
    let run = &outcome["run"];
    let first = pence(&run["total"]);
    assert_eq!(run["payments"], 1);
    assert!(first > 0 && first < dp_budget, "the first of the year's instalments: {first} of {dp_budget}");
    assert_eq!(outcome["held"][0]["reason"], "there are no confirmed bank details for the payee");
    let (_, again) =
        app.send_as(&fay, Method::POST, "/api/v1/payment-runs", Some(json!({ "date": today().to_string() }))).await;
    assert_eq!(again["run"], Value::Null, "asking again pays nothing twice");
    let run_path = format!("/api/v1/payment-runs/{}", run["id"].as_str().unwrap());

    // The Bacs file, field by field, and the journal.
    let (ctype, disposition, bacs) = download(&app, &fay, &format!("{run_path}/bacs")).await;
    assert!(ctype.starts_with("text/plain") && disposition.contains("bacs-run-1.txt"), "{ctype} {disposition}");
    let lines: Vec<&str> = bacs.lines().collect();
    assert_eq!(lines.iter().map(|l| l.len()).collect::<Vec<_>>(), [80, 100, 100, 80]);
    assert!(lines[0].starts_with("UHL1"));
    assert_eq!(&lines[1][0..17], "11223312345678099", "sort code, account, transaction code 99");
    assert_eq!(&lines[1][35..46], format!("{first:011}"), "the amount in pence");
    assert_eq!(lines[1][64..82].trim_end(), "DP WV-0001");
    assert_eq!(&lines[2][15..17], "17", "the contra record");
    assert!(lines[3].starts_with("UTL1"));
    let (ctype, _, journal) = download(&app, &fay, &format!("{run_path}/journal")).await;
    assert!(ctype.starts_with("text/csv"));
    assert_eq!(journal.lines().count(), 2, "a header and the one payment: {journal}");

    // Releasing it needs a fresh second factor; then the money moves and
    // the first direct payment is on the child's pathway.
    let stale_fay = stale_session(&app, "fay@test.example").await;
    let (status, _) = app.send_as(&stale_fay, Method::POST, &format!("{run_path}/release"), None).await;
    assert_eq!(status, 403);
    let (status, released) = app.send_as(&fay, Method::POST, &format!("{run_path}/release"), None).await;
    assert_eq!((status, released["status"].clone()), (200, json!("released")), "{released}");
    let (_, pathway) = app.get(&format!("{child_path}/pathway")).await;
    assert_eq!(pathway["step"], "living_life", "{pathway}");
    assert!(pathway.to_string().contains("first_direct_payment"), "{pathway}");

    // A statement with mistakes is refused whole, naming every line and
    // field; nothing is imported.
    let header = "account,date,amount,description,merchant,transaction_id\n";
    let bad = format!(
        "{header}WV-0001,2026-11-20,-46.50,PA wages {},Jo Bloggs,TX-1\nWV-0001,2026-11-21,-12.345,Swim,Swim Club,TX-2\nWV-0001,2026-02-31,-8.00,Swim,Swim Club,TX-3\n",
        item_keys[0]
    );
    let (status, problem) = upload(&app, &fay, "format=generic&name=november.csv", &bad).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields(&problem), vec!["line 3: amount".to_owned(), "line 4: date".to_owned()]);
    let (_, spend) = app.send_as(&fay, Method::GET, &format!("{child_path}/spend"), None).await;
    assert_eq!(spend["items"], json!([]), "nothing half-imported");
    let (status, _) = upload(&app, &fay, "format=cheque", &bad).await;
    assert_eq!(status, 422);

    // A good one: the PA's wages name the item and are matched; the swim
    // club waits for a person. Sending it again adds nothing.
    let good = format!(
        "{header}WV-0001,2026-11-20,-46.50,PA wages {},Jo Bloggs,TX-1\nWV-0001,2026-11-21,-12.35,Swim,Swim Club,TX-2\n",
        item_keys[0]
    );
    let (status, imported) = upload(&app, &fay, "format=generic&name=november.csv", &good).await;
    assert_eq!(status, 201, "{imported}");
    assert_eq!((imported["added"].clone(), imported["matched"].clone()), (json!(2), json!(1)));
    let (_, imported) = upload(&app, &fay, "format=generic&name=november.csv", &good).await;
    assert_eq!((imported["added"].clone(), imported["seen_before"].clone()), (json!(0), json!(2)));
    let swim =
        json!({ "format": "generic", "transaction_id": "TX-2", "item_key": item_keys[0], "remember": "merchant" });
    let (status, put) = app.send_as(&fay, Method::PUT, &format!("{child_path}/spend"), Some(swim.clone())).await;
    assert_eq!(
        (status, put["item_key"].clone(), put["matched_by"].clone()),
        (200, json!(item_keys[0]), json!("person"))
    );
    let (status, _) = app.send_as(&parent, Method::PUT, &format!("{child_path}/spend"), Some(swim)).await;
    assert_eq!(status, 404, "a family reads its money; it does not reconcile it");

    // The family reads what came in, what went out, and what is left.
    let (_, money) = app.send_as(&parent, Method::GET, &format!("{child_path}/money"), None).await;
    let dp = stream(&money, "direct_payment");
    assert_eq!((pence(&dp["paid"]), pence(&dp["spent"])), (first, 4_650 + 1_235));
    assert_eq!(pence(&dp["committed"]), dp_budget - first, "the rest stays reserved, to the penny");
    assert_eq!(pence(&money["direct_payment"]["balance"]), first - 5_885);
    assert_eq!(money["paid_into"]["account_number"], "******78", "the family recognises its account");
    assert!(!money.to_string().contains("12345678"), "but never sees the whole number");
    let payments = money["payments"].as_array().unwrap();
    assert_eq!(payments.len(), 1);
    assert_eq!(
        (payments[0]["amount_pence"].clone(), payments[0]["paid_to"].clone(), payments[0]["what"].clone()),
        (json!(first), json!("The family's direct-payment account"), json!("Payment"))
    );

    // An overspend: a manager, a reason and a fresh second factor; sending
    // it again records it once.
    let overspend = json!({ "id": "7d9a2c1e-3b4f-4a5e-8c6d-0e1f2a3b4c5d", "stream": "social_care", "route": "direct_payment",
        "year": allot_domain::FinancialYear::containing(today()).to_string(), "amount": "150.00", "reason": "Respite while mum is in hospital" });
    let path = format!("{child_path}/overspends");
    assert_eq!(app.post(&path, overspend.clone()).await.0, 404, "a caseworker cannot approve one");
    let stale_tess = stale_session(&app, "tess@test.example").await;
    assert_eq!(app.send_as(&stale_tess, Method::POST, &path, Some(overspend.clone())).await.0, 403);
    let (status, approved) = app.send_as(&tess, Method::POST, &path, Some(overspend.clone())).await;
    assert_eq!(status, 201, "{approved}");
    let (status, again) = app.send_as(&tess, Method::POST, &path, Some(overspend)).await;
    assert_eq!((status, again["outcome"].clone()), (200, json!("already_recorded")));
    let (_, money) = app.get(&format!("{child_path}/money")).await;
    let dp = stream(&money, "direct_payment");
    assert_eq!((pence(&dp["budget"]), pence(&dp["left"])), (dp_budget + 15_000, 15_000));

    // An audit: findings within the surplus, a notice with 28 days to
    // answer, and no recovery before then.
    let audits = format!("{child_path}/dp-audits");
    let (status, _) = app.send_as(&fay, Method::POST, &audits, Some(json!({ "on": today().to_string() }))).await;
    assert_eq!(status, 201);
    // The balance less the £20 contingency is the most that may be
    // recovered.
    let surplus = first - 5_885 - 2_000;
    let pounds = |p: i64| format!("{}.{:02}", p / 100, p % 100);
    let findings = |amount: String| {
        json!({ "kind": "findings_recorded", "on": today().to_string(),
        "findings": "Wages paid as planned; the swimming stopped", "proposed_recovery": amount, "reasons": "Swimming stopped in November" })
    };
    let events = format!("{audits}/events");
    let (status, problem) = app.send_as(&fay, Method::POST, &events, Some(findings(pounds(surplus + 1)))).await;
    assert_eq!(status, 422, "contingency money is never surplus: {problem}");
    let (status, body) = app.send_as(&fay, Method::POST, &events, Some(findings(pounds(surplus)))).await;
    assert_eq!(status, 201, "{body}");
    let response_by = today().checked_add(jiff::Span::new().days(28)).unwrap();
    let notice = json!({ "kind": "notice_sent", "on": today().to_string(), "response_by": response_by.to_string() });
    let (status, body) = app.send_as(&fay, Method::POST, &events, Some(notice)).await;
    assert_eq!(status, 201, "{body}");
    let (_, listed) = app.send_as(&parent, Method::GET, &audits, None).await;
    let letter = listed["items"][0]["notice_letter"].as_str().unwrap();
    for expected in ["Mara", &response_by.strftime("%-d %B %Y").to_string(), "Swimming stopped in November"] {
        assert!(letter.contains(expected), "the letter lacks {expected:?}: {letter}");
    }
    let recovery = json!({ "on": today().to_string(), "amount": pounds(surplus) });
    let (status, problem) = app.send_as(&fay, Method::POST, &format!("{audits}/recovery"), Some(recovery)).await;
    assert_eq!(status, 422, "not before the family's response date: {problem}");

    // The area's report, and the school's own: what it holds and is still
    // to be paid for the child.
    let hos = staff(&app, "hos", Role::HeadOfService, None).await;
    let (status, report) = app.send_as(&hos, Method::GET, "/api/v1/reports/money", None).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(pence(&report["paid"]), first);
    let month = format!("{:04}-{:02}", today().year(), today().month());
    assert_eq!(pence(&report["paid_by_month"][&month]), first);
    let senco = app
        .person("sam@millane.example", Role::SchoolSenco, Who { organisation: Some(school), ..Who::default() })
        .await;
    let (status, schools) =
        app.send_as(&senco, Method::GET, "/api/v1/reports/money/organisations?route=isf", None).await;
    assert_eq!(status, 200, "{schools}");
    let isf = stream(&money, "isf");
    assert_eq!(schools["items"][0]["name"], "Mill Lane Primary");
    assert_eq!(schools["items"][0]["children"][0]["reference"], "WV-0001");
    assert_eq!(pence(&schools["items"][0]["committed"]), pence(&isf["budget"]), "the whole ISF still to come");
    let other = organisation(app.store.as_ref(), app.area, "school", "Far Away School").await;
    let stranger =
        app.person("sue@faraway.example", Role::SchoolSenco, Who { organisation: Some(other), ..Who::default() }).await;
    let (_, none) = app.send_as(&stranger, Method::GET, "/api/v1/reports/money/organisations", None).await;
    assert_eq!(none["items"], json!([]), "a school sees only its own");
}
