//! The pathway through the API: a plan from draft to agreed with the right
//! people, the statutory clock on worklists and in the area's figures,
//! review requests, and the safeguarding gates on direct payments.

use super::access::organisation;
use super::{POLICY, TestApp, Who, amara, publish, spawn};
use allot_domain::{ChildId, Role};
use allot_store::testing::TestDatabase;
use allot_store::{Store, on_both_engines};
use jiff::ToSpan;
use reqwest::Method;
use serde_json::{Value, json};

on_both_engines!(
    a_plan_goes_from_draft_to_agreed_with_the_right_people,
    the_statutory_clock_reaches_worklists_and_the_area_figures,
    direct_payments_are_gated_until_a_manager_lifts_the_gate,
);

const DELEGATION: &str = "[[limit]]\nrole = \"team_manager\"\nmax_annual_amount = \"5000.00\"\n\
    [[limit]]\nrole = \"group_manager\"\nmax_annual_amount = \"20000.00\"\n\
    [[limit]]\nrole = \"head_of_service\"\n[nhs]\nrole = \"nhs_budget_lead\"\n";

fn today() -> jiff::civil::Date {
    allot_domain::dates::date_in_england(jiff::Timestamp::now())
}

/// Publishes the allocation and delegation policies.
pub(super) async fn policies(app: &TestApp) {
    assert_eq!(publish(app, POLICY, "application/toml").await.0, 201);
    let token = app
        .person("policy@council.example", Role::Commissioner, Who { organisation: Some(app.council), ..Who::default() })
        .await;
    let resp = app
        .client
        .post(format!("{}/api/v1/delegation-policies", app.base))
        .bearer_auth(token)
        .header("content-type", "application/toml")
        .body(DELEGATION)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
}

pub(super) async fn staff(
    app: &TestApp,
    name: &str,
    role: Role,
    organisation: Option<allot_domain::OrganisationId>,
) -> String {
    let who = Who { organisation: organisation.or(Some(app.council)), teams: vec!["SEN North"], ..Who::default() };
    app.person(&format!("{name}@test.example"), role, who).await
}

/// Finance is set up to pay the child `id`'s direct payment: the area's
/// finance settings published, and the family's bank details proposed by
/// one finance officer and confirmed by a second. Answers the first
/// officer's token.
pub(super) async fn finance_ready_to_pay(app: &TestApp, id: &str) -> String {
    let setup = allot_domain::Stamp::now(allot_domain::Actor::parse("setup").unwrap());
    let settings = include_str!("../../../../policies/example-finance.toml");
    app.store.publish_finance_settings(app.area, settings, &setup).await.unwrap();
    let fay = staff(app, "fay", Role::FinanceOfficer, None).await;
    let fred = staff(app, "fred", Role::FinanceOfficer, None).await;
    let proposal = json!({ "account": format!("dp/{id}"), "sort_code": "11-22-33", "account_number": "12345678", "account_name": "Mrs N Okafor", "reason": "Direct payment agreement signed" });
    let (status, proposed) = app.send_as(&fay, Method::POST, "/api/v1/bank-details", Some(proposal)).await;
    assert_eq!(status, 201, "{proposed}");
    let decision = json!({ "account": format!("dp/{id}"), "seq": proposed["seq"], "confirm": true });
    assert_eq!(app.send_as(&fred, Method::POST, "/api/v1/bank-details/decisions", Some(decision)).await.0, 200);
    fay
}

pub(super) fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map_or(Vec::new(), |e| e.iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect())
}

fn plan_body(based_on: Value, isf_holder: &str, over_reasons: Value) -> Value {
    json!({
        "based_on": based_on,
        "plan": {
            "outcomes": [{ "area": "friends_and_community", "wanted": "Go swimming with friends", "how_we_will_know": "Goes every Saturday" }],
            "real_wealth": [{ "who": "Grandma", "brings": "Collects Mara from school on Fridays" }],
            "items": [
                { "what": "Personal assistant", "provided_by": "A PA the family employs", "unit_cost": "15.50", "units": "3", "frequency": "weekly", "stream": "social_care", "route": "direct_payment" },
                { "what": "After-school club", "provided_by": "Bright Days Care", "unit_cost": "1000.00", "units": "1", "frequency": "yearly", "stream": "education", "route": "isf", "isf_holder": isf_holder, "provider": isf_holder },
                { "what": "Physiotherapy", "provided_by": "Community physio", "unit_cost": "45.00", "units": "1", "frequency": "fortnightly", "stream": "health", "route": "nhs_managed" }
            ],
            "contingency": { "amount": "200.00", "stream": "social_care", "purpose": "Extra respite if mum is unwell" },
            "keeping_safe": [{ "risk": "Runs towards roads", "reduced_by": "Two adults on outings" }],
            "over_reasons": over_reasons
        }
    })
}

async fn a_plan_goes_from_draft_to_agreed_with_the_right_people(db: TestDatabase) {
    let app = spawn(db).await;
    policies(&app).await;
    let provider = organisation(app.store.as_ref(), app.area, "provider", "Bright Days Care").await;
    let nhs = organisation(app.store.as_ref(), app.area, "nhs", "Wyvern ICB").await;
    let (_, child) = app.post("/api/v1/children", amara()).await;
    let id = child["id"].as_str().unwrap().to_owned();
    let policy = allot_domain::ras::Policy::parse(POLICY).unwrap();
    let answers: serde_json::Map<String, Value> =
        policy.questions.iter().filter(|q| !q.optional).map(|q| (q.id.clone(), json!(q.options[1].id))).collect();
    let (status, allocation) =
        app.post(&format!("/api/v1/children/{id}/allocations"), json!({ "answers": answers })).await;
    assert_eq!(status, 201, "{allocation}");
    let indicative = |stream: &str| {
        allocation["streams"].as_array().unwrap().iter().find(|s| s["stream_id"] == stream).unwrap()["indicative_pence"]
            .as_i64()
            .unwrap()
    };
    let plan_path = format!("/api/v1/children/{id}/plan");
    let holder = provider.to_string();

    // Bad input names the field and saves nothing.
    let mut bad = plan_body(Value::Null, &holder, json!({}));
    bad["plan"]["items"][0]["unit_cost"] = json!("15.505");
    bad["plan"]["items"][2]["stream"] = json!("transport");
    let (status, problem) = app.put(&plan_path, bad).await;
    assert_eq!((status, fields(&problem)), (422, vec!["items[0].unit_cost".to_owned(), "items[2].stream".to_owned()]));
    assert_eq!(app.get(&plan_path).await.1["versions"], json!([]));

    let (status, v1) = app.put(&plan_path, plan_body(Value::Null, &holder, json!({}))).await;
    assert_eq!(status, 200, "{v1}");
    // £15.50 × 3 × 52 = £2,418.00; + £1,000.00; + £45.00 × 26 = £1,170.00; + £200.00 contingency.
    assert_eq!(v1["totals"]["by_stream"], json!({ "social_care": 261_800, "education": 100_000, "health": 117_000 }));
    assert_eq!(v1["totals"]["total"], 478_800);
    assert_eq!(v1["totals"]["by_route"]["direct_payment"], 241_800);

    // A team manager who edits the draft is one of its writers.
    let tom = staff(&app, "tom", Role::TeamManager, None).await;
    let based_on = json!({ "version": 1, "row_version": v1["row_version"] });
    let (status, v1) =
        app.send_as(&tom, Method::PUT, &plan_path, Some(plan_body(based_on.clone(), &holder, json!({})))).await;
    assert_eq!((status, v1["row_version"].clone()), (200, json!(2)), "{v1}");
    let (status, stale) = app.put(&plan_path, plan_body(based_on, &holder, json!({}))).await;
    assert_eq!(status, 409, "{stale}");

    // Over the indicative amount: submission names each stream needing a reason.
    let over: Vec<&str> = [("education", 100_000), ("health", 117_000), ("social_care", 261_800)]
        .into_iter()
        .filter(|(s, total)| *total > indicative(s))
        .map(|(s, _)| s)
        .collect();
    assert!(!over.is_empty(), "the example plan is over somewhere");
    let submit_path = format!("/api/v1/children/{id}/plan/submit");
    let (status, problem) = app.post(&submit_path, json!({ "version": 1, "row_version": 2 })).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields(&problem), over.iter().map(|s| format!("over_reasons.{s}")).collect::<Vec<_>>());
    let reasons: serde_json::Map<String, Value> =
        over.iter().map(|s| (s.to_string(), json!("Two adults needed for outings"))).collect();
    let (_, v1) =
        app.put(&plan_path, plan_body(json!({ "version": 1, "row_version": 2 }), &holder, json!(reasons))).await;
    let (status, v1) = app.post(&submit_path, json!({ "version": 1, "row_version": v1["row_version"] })).await;
    assert_eq!((status, v1["status"].clone()), (200, json!("submitted")), "{v1}");
    // £3,618.00 of council money is within a team manager's £5,000.00; health money needs the NHS.
    assert_eq!(v1["signoff"]["required"], json!(["team_manager", "nhs_budget_lead"]));
    assert_eq!(v1["submission"]["council_total"], 361_800);

    let decisions = format!("/api/v1/children/{id}/plan/decisions");
    let approve = json!({ "version": 1, "decision": "approve" });
    assert_eq!(
        app.post(&decisions, approve.clone()).await.0,
        404,
        "a caseworker cannot sign off: to them it is not there"
    );
    let (status, problem) = app.send_as(&tom, Method::POST, &decisions, Some(approve.clone())).await;
    assert_eq!(status, 422);
    assert!(problem.to_string().contains("wrote or submitted"), "{problem}");
    let tess = staff(&app, "tess", Role::TeamManager, None).await;
    let (status, v1) = app.send_as(&tess, Method::POST, &decisions, Some(approve.clone())).await;
    assert_eq!((status, v1["status"].clone()), (200, json!("submitted")), "{v1}");
    let nina = {
        let who = Who { organisation: Some(nhs), ..Who::default() };
        let child_id: ChildId = id.parse().unwrap();
        // The NHS sees a child with NHS funding the family agreed to share.
        let mum = json!({ "name": "Ngozi Okafor", "relationship": "mother", "parental_responsibility": true, "contact_by": "email", "email": "ngozi@example.org" });
        let (_, mum) = app.post(&format!("/api/v1/children/{id}/family"), mum).await;
        app.post(&format!("/api/v1/children/{id}/consents"), json!({ "given_by": mum["id"], "organisation_id": nhs.to_string(), "shares": "whole_record", "given_on": "2026-01-05" })).await;
        app.post(
            &format!("/api/v1/children/{id}/involvements"),
            json!({ "organisation_id": nhs.to_string(), "kind": "health_funding", "from": "2026-01-05" }),
        )
        .await;
        let _ = child_id;
        app.person("nina@nhs.example", Role::NhsBudgetLead, who).await
    };
    let decline = json!({ "version": 1, "decision": "decline" });
    let (status, problem) = app.send_as(&nina, Method::POST, &decisions, Some(decline)).await;
    assert_eq!((status, fields(&problem)), (422, vec!["reason".to_owned()]), "a refusal needs reasons");
    let (status, v1) = app.send_as(&nina, Method::POST, &decisions, Some(approve)).await;
    assert_eq!((status, v1["status"].clone()), (200, json!("approved")), "{v1}");

    // The family co-signs; the plan is agreed and the pathway moves on.
    let parent = app
        .person("ngozi@example.org", Role::ParentCarer, Who { children: vec![id.parse().unwrap()], ..Who::default() })
        .await;
    let signatures = format!("/api/v1/children/{id}/plan/signatures");
    let (status, v1) =
        app.send_as(&parent, Method::POST, &signatures, Some(json!({ "version": 1, "decision": "co_sign" }))).await;
    assert_eq!((status, v1["status"].clone()), (200, json!("agreed")), "{v1}");
    assert_eq!(
        app.send_as(&parent, Method::POST, &decisions, Some(json!({ "version": 1, "decision": "approve" }))).await.0,
        404
    );
    let (_, pathway) = app.get(&format!("/api/v1/children/{id}/pathway")).await;
    assert_eq!(pathway["step"], "plan_agreed");
    let steps: Vec<&str> = pathway["steps"].as_array().unwrap().iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["indicative_budget", "support_plan", "plan_agreed"]);

    // The area report counts the approvals by approver and by the child's band.
    let head = staff(&app, "hos", Role::HeadOfService, None).await;
    let (_, report) = app.send_as(&head, Method::GET, "/api/v1/reports/pathway", None).await;
    let approvers: Vec<(&str, u64)> = report["approvals_by_approver"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["role"].as_str().unwrap(), a["approvals"].as_u64().unwrap()))
        .collect();
    assert_eq!(approvers.len(), 2, "{report}");
    assert!(approvers.contains(&("team_manager", 1)) && approvers.contains(&("nhs_budget_lead", 1)), "{report}");
    let band_of = |stream: &str| {
        let s = allocation["streams"].as_array().unwrap().iter().find(|s| s["stream_id"] == stream).unwrap();
        s["band"].as_str().unwrap_or("no band").to_owned()
    };
    for stream in ["education", "health", "social_care"] {
        let row = json!({ "stream": stream, "band": band_of(stream), "plans": 1 });
        assert!(report["approved_plans_by_band"].as_array().unwrap().contains(&row), "{row} in {report}");
    }

    // The decision letter, in plain English, to the penny.
    let resp = app
        .client
        .get(format!("{}/api/v1/children/{id}/plan/letter", app.base))
        .bearer_auth(&parent)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let letter = resp.text().await.unwrap();
    let answer_by = today().checked_add(28.days()).unwrap().strftime("%-d %B %Y").to_string();
    for expected in [
        "Mara",
        "£4,788.00",
        "Direct payment: £2,418.00",
        "Individual service fund: £1,000.00",
        &answer_by,
        "Two adults needed for outings",
        "Ombudsman",
    ] {
        assert!(letter.contains(expected), "the letter lacks {expected:?}");
    }

    // A change makes version 2; version 1 stays agreed; the two compare item by item.
    let mut changed = plan_body(json!({ "version": 1, "row_version": v1["row_version"] }), &holder, json!(reasons));
    // Items carried over name the keys the plan gave them.
    for (i, item) in v1["content"]["items"].as_array().unwrap().iter().enumerate() {
        changed["plan"]["items"][i]["key"] = item["key"].clone();
    }
    let first_key = v1["content"]["items"][0]["key"].clone();
    changed["plan"]["items"][0]["unit_cost"] = json!("16.00");
    let (status, v2) = app.put(&plan_path, changed).await;
    assert_eq!((status, v2["version"].clone(), v2["status"].clone()), (200, json!(2), json!("draft")), "{v2}");
    let (_, compared) = app.get(&format!("/api/v1/children/{id}/plan/compare?from=1&to=2")).await;
    assert_eq!(
        compared["changes"],
        json!([{ "change": "changed", "key": first_key, "fields": ["unit_cost", "annual_cost"] }])
    );
    assert_eq!(compared["totals"]["to"]["total"], 478_800 + 7_800, "50p more, 3 times a week, 52 weeks");
    let (_, plan) = app.get(&format!("{plan_path}?version=1")).await;
    assert_eq!(plan["shown"]["status"], "agreed");

    // A provider sees the item it holds money for, not the rest or how the child keeps safe.
    app.post(
        &format!("/api/v1/children/{id}/involvements"),
        json!({ "organisation_id": holder, "kind": "isf_holder", "from": "2026-01-05" }),
    )
    .await;
    let pat = app
        .person("pat@brightdays.example", Role::ProviderStaff, Who { organisation: Some(provider), ..Who::default() })
        .await;
    let (status, seen) = app.send_as(&pat, Method::GET, &format!("{plan_path}?version=1"), None).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["shown"]["content"]["items"].as_array().unwrap().len(), 1);
    assert_eq!(seen["shown"]["content"]["keeping_safe"], json!([]));
    assert!(!seen.to_string().contains("Runs towards roads"));
}

async fn the_statutory_clock_reaches_worklists_and_the_area_figures(db: TestDatabase) {
    let app = spawn(db).await;
    let day = |days_ago: i64| today().checked_sub(days_ago.days()).unwrap().to_string();
    let (_, a) = app.post("/api/v1/children", amara()).await;
    let mut second = amara();
    second["reference"] = json!("WV-0002");
    second["upn"] = Value::Null;
    second["nhs_number"] = Value::Null;
    let (_, b) = app.post("/api/v1/children", second).await;
    let (a, b) = (a["id"].as_str().unwrap().to_owned(), b["id"].as_str().unwrap().to_owned());
    let event = |kind: &str, on: String| json!({ "kind": kind, "on": on });
    let app_ref = &app;
    let record = move |child: &str, body: Value| {
        let path = format!("/api/v1/children/{child}/pathway");
        async move { app_ref.post(&path, body).await }
    };

    // A request 50 days ago with no decision: overdue (due after 6 weeks).
    let (status, _) = record(&a, event("ehc_request_received", day(160))).await;
    assert_eq!(status, 201);
    let (_, list) = app.get("/api/v1/worklist").await;
    assert_eq!(list["overdue"], 1, "{list}");
    assert_eq!(list["items"][0]["kind"], "decision_to_assess");
    assert_eq!(list["items"][0]["child"]["reference"], "WV-0001");
    assert_eq!(list["items"][0]["due"], day(160 - 42));

    // Out of order: a final plan before any draft is refused, by field.
    let (status, problem) = record(&a, event("final_plan_issued", day(10))).await;
    assert_eq!((status, fields(&problem)), (422, vec!["on".to_owned()]));
    let (status, problem) = record(&a, event("twenty_week_exception", day(30))).await;
    assert_eq!((status, fields(&problem)), (422, vec!["reason".to_owned()]));
    for (kind, on) in [("decided_to_assess", day(120)), ("draft_plan_sent", day(40))] {
        assert_eq!(record(&a, event(kind, on)).await.0, 201);
    }
    let exception = json!({ "kind": "twenty_week_exception", "on": day(30), "reason": "The family asked to delay over the summer" });
    assert_eq!(record(&a, exception).await.0, 201);
    assert_eq!(record(&a, event("final_plan_issued", day(10))).await.0, 201, "150 days: late, with an exception");
    for (kind, on) in [
        ("ehc_request_received", day(100)),
        ("decided_to_assess", day(70)),
        ("draft_plan_sent", day(40)),
        ("final_plan_issued", day(20)),
    ] {
        assert_eq!(record(&b, event(kind, on)).await.0, 201, "{kind}");
    }
    let (_, pathway) = app.get(&format!("/api/v1/children/{a}/pathway")).await;
    assert_eq!(pathway["ehc"]["issued_in_time"], false);
    let annual = today().checked_sub(10.days()).unwrap().checked_add(12.months()).unwrap().to_string();
    assert_eq!(
        pathway["due"],
        json!([{ "kind": "annual_review", "label": "Hold the annual review", "due": annual, "urgency": "later", "about": "Hold the annual review" }])
    );

    // The family asks for a review; it reaches the caseworker's worklist.
    let parent = app
        .person("mum@example.org", Role::ParentCarer, Who { children: vec![a.parse().unwrap()], ..Who::default() })
        .await;
    let requests = format!("/api/v1/children/{a}/review-requests");
    let ask = json!({ "received_on": today().to_string(), "what_is_challenged": "The plan leaves out speech therapy" });
    let (status, request) = app.send_as(&parent, Method::POST, &requests, Some(ask)).await;
    assert_eq!(status, 201, "{request}");
    let due = today().checked_add(28.days()).unwrap().to_string();
    assert_eq!(request["record"]["answer_due"], due);
    let (_, all) = app.get("/api/v1/worklist?show=all").await;
    assert!(
        all["items"].as_array().unwrap().iter().any(|i| i["kind"] == "review_request_answer" && i["due"] == due),
        "{all}"
    );
    let answer = json!({ "id": request["record"]["id"], "row_version": 1, "on": today().to_string(), "outcome": "decision_changed", "reasons": "Speech therapy added" });
    let answer_path = format!("{requests}/answer");
    assert_eq!(app.post(&answer_path, answer.clone()).await.0, 404, "a manager answers");
    let tess = staff(&app, "tess", Role::TeamManager, None).await;
    let (status, answered) = app.send_as(&tess, Method::POST, &answer_path, Some(answer.clone())).await;
    assert_eq!((status, answered["record"]["answer"]["outcome"].clone()), (200, json!("decision_changed")));
    let mut again = answer.clone();
    again["row_version"] = json!(2);
    let (status, problem) = app.send_as(&tess, Method::POST, &answer_path, Some(again)).await;
    assert_eq!((status, fields(&problem)), (422, vec!["outcome".to_owned()]), "answered once");

    // The area's figures: one of two plans within 20 weeks; the one late plan had an exception.
    let head = staff(&app, "hos", Role::HeadOfService, None).await;
    let (status, report) = app.send_as(&head, Method::GET, "/api/v1/reports/pathway", None).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        report["twenty_weeks"],
        json!({ "issued": 2, "in_time": 1, "per_mille": 500, "issued_excluding_exceptions": 1, "in_time_excluding_exceptions": 1, "per_mille_excluding_exceptions": 1000 })
    );
    assert_eq!(report["overdue"], 0);
    // Every change is in the child's history with who did it.
    let (_, changes) = app.get(&format!("/api/v1/children/{a}/changes")).await;
    let text = changes.to_string();
    assert!(text.contains("twenty_week_exception") && text.contains("The family asked to delay"), "{text}");
}

async fn direct_payments_are_gated_until_a_manager_lifts_the_gate(db: TestDatabase) {
    let app = spawn(db).await;
    assert_eq!(publish(&app, POLICY, "application/toml").await.0, 201);
    let mut young = amara();
    young["date_of_birth"] =
        json!(today().checked_sub(16.years()).unwrap().checked_sub(10.days()).unwrap().to_string());
    let (status, child) = app.post("/api/v1/children", young).await;
    assert_eq!(status, 201, "{child}");
    let id = child["id"].as_str().unwrap().to_owned();
    let plan_path = format!("/api/v1/children/{id}/plan");
    let plan = |based_on: Value, pa: Option<&str>| json!({ "based_on": based_on, "plan": { "items": [{ "what": "Personal assistant", "provided_by": "Jo", "unit_cost": "15.50", "units": "3", "frequency": "weekly", "stream": "social_care", "route": "direct_payment", "personal_assistant": pa }] } });

    // 16 and no recorded consent: no direct payment.
    let (status, problem) = app.put(&plan_path, plan(Value::Null, None)).await;
    assert_eq!((status, fields(&problem)), (422, vec!["items[0].route".to_owned()]));
    assert!(problem.to_string().contains("16 or 17"), "{problem}");
    let consent = json!({ "kind": "young_person_consented", "on": today().to_string() });
    assert_eq!(app.post(&format!("/api/v1/children/{id}/pathway"), consent).await.0, 201);
    let (status, v1) = app.put(&plan_path, plan(Value::Null, None)).await;
    assert_eq!(status, 200, "{v1}");

    // An open safeguarding concern that says so stops it, until a manager lifts it.
    let concern =
        json!({ "raised_on": today().to_string(), "summary": "Unexplained bruising", "blocks_direct_payment": true });
    let (status, concern) = app.post(&format!("/api/v1/children/{id}/concerns"), concern).await;
    assert_eq!(status, 201, "{concern}");
    let based_on = json!({ "version": 1, "row_version": v1["row_version"] });
    let (status, problem) = app.put(&plan_path, plan(based_on.clone(), None)).await;
    assert_eq!((status, fields(&problem)), (422, vec!["items[0].route".to_owned()]));
    let lift = json!({ "gate": "safeguarding", "subject": concern["record"]["id"], "reason": "Strategy meeting agreed the payment can continue" });
    let gates = format!("/api/v1/children/{id}/gate-exceptions");
    assert_eq!(app.post(&gates, lift.clone()).await.0, 404, "a caseworker cannot lift a gate");
    let tess = staff(&app, "tess", Role::TeamManager, None).await;
    let (status, lifted) = app.send_as(&tess, Method::POST, &gates, Some(lift)).await;
    assert_eq!(status, 201, "{lifted}");
    let (status, v1) = app.put(&plan_path, plan(based_on, None)).await;
    assert_eq!(status, 200, "{v1}");

    // A concern raised after submission still stops the approval.
    let commissioner = app
        .person("policy@council.example", Role::Commissioner, Who { organisation: Some(app.council), ..Who::default() })
        .await;
    let published = app
        .client
        .post(format!("{}/api/v1/delegation-policies", app.base))
        .bearer_auth(commissioner)
        .header("content-type", "application/toml")
        .body(DELEGATION)
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 201);
    let mut with_outcome = plan(json!({ "version": 1, "row_version": v1["row_version"] }), None);
    with_outcome["plan"]["outcomes"] = json!([{ "area": "independent_living", "wanted": "Go to college by bus", "how_we_will_know": "Travels alone twice a week" }]);
    with_outcome["plan"]["over_reasons"] = json!({ "social_care": "No allocation yet: agreed at panel" });
    let (_, v1) = app.put(&plan_path, with_outcome).await;
    let (status, v1) = app
        .post(&format!("/api/v1/children/{id}/plan/submit"), json!({ "version": 1, "row_version": v1["row_version"] }))
        .await;
    assert_eq!((status, v1["status"].clone()), (200, json!("submitted")), "{v1}");
    let second =
        json!({ "raised_on": today().to_string(), "summary": "Missing money reported", "blocks_direct_payment": true });
    let (status, second) = app.post(&format!("/api/v1/children/{id}/concerns"), second).await;
    assert_eq!(status, 201);
    let approve = json!({ "version": 1, "decision": "approve" });
    let (status, problem) =
        app.send_as(&tess, Method::POST, &format!("/api/v1/children/{id}/plan/decisions"), Some(approve)).await;
    assert_eq!((status, fields(&problem)), (422, vec!["items[0].route".to_owned()]), "{problem}");
    let close = json!({ "id": second["record"]["id"], "row_version": 1, "on": today().to_string(), "reason": "Money found: a bank error" });
    let close_path = format!("/api/v1/children/{id}/concerns/close");
    assert_eq!(app.post(&close_path, close.clone()).await.0, 404, "a manager closes a concern");
    let (status, closed) = app.send_as(&tess, Method::POST, &close_path, Some(close)).await;
    assert_eq!((status, closed["record"]["closed"]["reason"].clone()), (200, json!("Money found: a bank error")));

    // A personal assistant whose DBS check needs renewing cannot be paid until a new check is recorded.
    let issued = today().checked_sub(3.years()).unwrap().to_string();
    let pa = json!({ "name": "Jo Bloggs", "employed_by": "Mrs Okafor", "dbs_certificate": "001234567890", "dbs_issued_on": issued });
    let assistants = format!("/api/v1/children/{id}/personal-assistants");
    let (status, pa) = app.post(&assistants, pa).await;
    assert_eq!(status, 201, "{pa}");
    let pa_id = pa["record"]["id"].as_str().unwrap().to_owned();
    let based_on = json!({ "version": 1, "row_version": v1["row_version"] });
    let (status, problem) = app.put(&plan_path, plan(based_on.clone(), Some(&pa_id))).await;
    assert_eq!((status, fields(&problem)), (422, vec!["items[0].personal_assistant".to_owned()]));
    let (_, list) = app.get("/api/v1/worklist").await;
    assert!(
        list["items"].as_array().unwrap().iter().any(|i| i["kind"] == "dbs_renewal" && i["urgency"] == "due_this_week"),
        "{list}"
    );
    let renewed = json!({ "id": pa_id, "row_version": 1, "name": "Jo Bloggs", "employed_by": "Mrs Okafor", "dbs_certificate": "009876543210", "dbs_issued_on": today().to_string(), "update_service": true });
    let (status, renewed) = app.put(&assistants, renewed).await;
    assert_eq!(status, 200, "{renewed}");
    assert_eq!(renewed["record"]["renewal_due"], today().checked_add(3.years()).unwrap().to_string());
    let (status, v1) = app.put(&plan_path, plan(based_on, Some(&pa_id))).await;
    assert_eq!(status, 200, "{v1}");

    // Only case holders see concerns; the lifting is in the history, with its reason.
    let parent = app
        .person("mum@example.org", Role::ParentCarer, Who { children: vec![id.parse().unwrap()], ..Who::default() })
        .await;
    assert_eq!(app.send_as(&parent, Method::GET, &format!("/api/v1/children/{id}/concerns"), None).await.0, 404);
    let (_, changes) = app.get(&format!("/api/v1/children/{id}/changes")).await;
    assert!(changes.to_string().contains("Strategy meeting agreed"), "{changes}");
}
