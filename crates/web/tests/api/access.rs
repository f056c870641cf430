//! Access: the authorization matrix over every route, the canary scan of
//! every output, sessions, and the audit trail.

use super::{TestApp, Who, add_user, code_now, spawn};
use allot_domain::{ChildId, OrganisationId, Role};
use allot_store::testing::TestDatabase;
use allot_store::{Store, on_both_engines};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

on_both_engines!(
    every_route_answers_every_role_as_the_matrix_says,
    restricted_fields_never_reach_a_role_that_may_not_see_them,
    sessions_end_on_sign_out_disable_and_reset,
    repeated_failed_sign_ins_are_slowed_and_recorded,
    cookie_sessions_need_the_csrf_token_for_changes,
    an_idle_session_ends_and_money_needs_a_fresh_second_factor,
    a_change_of_access_takes_effect_on_the_next_request,
    every_look_is_in_a_chain_that_detects_tampering,
);

/// Marker strings in restricted fields of the fixture's records.
const PROTECTED_MARKER: &str = "CANARYPROTECTED 1 Safe House Lane";
const FAMILY_MARKER: &str = "Canaryfamily Okafor";
const OTHER_CHILD_MARKER: &str = "CANARYOTHERCHILD";
const OTHER_AREA_MARKER: &str = "CANARYOTHERAREA";
const SAFEGUARDING_MARKER: &str = "CANARYSAFEGUARDING bruising";
const KEEPING_SAFE_MARKER: &str = "CANARYKEEPSAFE runs off";
const OTHER_ITEM_MARKER: &str = "CANARYOTHERITEM swimming";
/// Account numbers only finance may see in full.
const FAMILY_ACCOUNT_MARKER: &str = "27182818";
const PROVIDER_ACCOUNT_MARKER: &str = "31415926";

/// Everything the access tests need: an area with a child every role has a
/// relationship with ("own"), one nobody but area-wide roles can see
/// ("other"), a child in another area, and a user of every role.
struct Fixture {
    app: TestApp,
    tokens: BTreeMap<Role, String>,
    own: Ids,
    other: Ids,
    other_area: Ids,
    policy: String,
    /// A prepared payment run in the area.
    run: String,
    nhs: OrganisationId,
    school: OrganisationId,
}

/// The ids of a child and of records that belong to it.
#[derive(Debug, Clone)]
struct Ids {
    child: String,
    consent: String,
    involvement: String,
    user: String,
    receipt: String,
}

/// A receipt for `child`, as its family would send it.
async fn receipt(store: &dyn Store, area: allot_domain::AreaId, child: &str) -> String {
    use allot_domain::finance::receipt::{ReceiptFile, ReceiptForm};
    let form = ReceiptForm {
        spent_on: Some("2026-11-01".into()),
        amount: Some("12.00".into()),
        what: Some("Bus fares".into()),
        item: None,
    };
    let details = form.parse(jiff::civil::date(2026, 11, 22), &[]).unwrap();
    let file = ReceiptFile::parse("fares.pdf", b"%PDF-1.4 fares".to_vec()).unwrap();
    let stamp = allot_domain::Stamp::now(allot_domain::Actor::parse("setup").unwrap());
    store.add_receipt(area, child.parse().unwrap(), &details, &file, &stamp).await.unwrap().id.to_string()
}

pub(super) async fn organisation(
    store: &dyn Store,
    area: allot_domain::AreaId,
    kind: &str,
    name: &str,
) -> OrganisationId {
    use allot_domain::organisation::{Organisation, OrganisationKind};
    let o = Organisation {
        id: OrganisationId::new(),
        area_id: area,
        kind: OrganisationKind::parse(kind).unwrap(),
        name: allot_domain::Name::parse(name).unwrap(),
        code: None,
    };
    let records = allot_domain::records::AreaRecords { organisations: vec![o.clone()], ..Default::default() };
    let stamp = allot_domain::Stamp::now(allot_domain::Actor::parse("setup").unwrap());
    store.load_records(area, &records, &stamp, &|_, _| {}).await.unwrap();
    o.id
}

fn child_body(reference: &str, family: &str, address: &str, protected: bool) -> Value {
    json!({
        "reference": reference, "legal_given_names": "Amara", "legal_family_name": family,
        "date_of_birth": "2009-01-10", "sex": "female", "address": address, "postcode": "BS1 4DJ",
        "address_protected": protected, "primary_need": "ASD", "ehc_plan_status": "final"
    })
}

/// Creates a child as the app's caseworker with a mother, her consent to
/// share with each of `consent_to`, and involvements; returns the ids.
async fn child_with_records(
    app: &TestApp,
    token: &str,
    body: Value,
    consent_to: &[OrganisationId],
    involved: &[(OrganisationId, &str)],
) -> (String, String, String) {
    let (status, child) = app.send_as(token, Method::POST, "/api/v1/children", Some(body)).await;
    assert_eq!(status, 201, "{child}");
    let id = child["id"].as_str().unwrap().to_owned();
    let mum = json!({ "name": FAMILY_MARKER, "relationship": "mother", "parental_responsibility": true, "contact_by": "email", "email": "canaryfamily@example.org" });
    let (_, mum) = app.send_as(token, Method::POST, &format!("/api/v1/children/{id}/family"), Some(mum)).await;
    let mut consent = String::new();
    for org in consent_to {
        let body = json!({ "given_by": mum["id"], "organisation_id": org.to_string(), "shares": "whole_record", "given_on": "2026-01-05" });
        let (status, c) =
            app.send_as(token, Method::POST, &format!("/api/v1/children/{id}/consents"), Some(body)).await;
        assert_eq!(status, 201, "{c}");
        consent = c["id"].as_str().unwrap().to_owned();
    }
    let mut involvement = String::new();
    for (org, kind) in involved {
        let body = json!({ "organisation_id": org.to_string(), "kind": kind, "from": "2026-09-01" });
        let (status, i) =
            app.send_as(token, Method::POST, &format!("/api/v1/children/{id}/involvements"), Some(body)).await;
        assert_eq!(status, 201, "{i}");
        involvement = i["id"].as_str().unwrap().to_owned();
    }
    (id, consent, involvement)
}

async fn fixture(db: TestDatabase) -> Fixture {
    let app = spawn(db).await;
    let store: &dyn Store = app.store.as_ref();
    let area = app.area;
    let nhs = organisation(store, area, "nhs", "Wyvern ICB").await;
    let school = organisation(store, area, "school", "Mill Lane Primary").await;
    let provider = organisation(store, area, "provider", "Bright Days Care").await;
    let elsewhere = organisation(store, area, "provider", "Other Provider").await;
    let (child, consent, involvement) = child_with_records(
        &app,
        &app.token,
        child_body("OWN-1", "Okafor", PROTECTED_MARKER, true),
        &[nhs, school, elsewhere],
        &[(school, "school_placement"), (provider, "isf_holder"), (nhs, "health_funding")],
    )
    .await;
    // The other child's case is held in another team.
    let south = allot_domain::professional::Professional {
        id: allot_domain::ProfessionalId::new(),
        area_id: area,
        organisation_id: app.council,
        name: allot_domain::Name::parse("Cara").unwrap(),
        role: allot_domain::professional::ProfessionalRole::SocialWorker,
        team: allot_domain::Name::parse("SEN South").unwrap(),
        email: "cara@council.example".into(),
    };
    let records = allot_domain::records::AreaRecords { professionals: vec![south.clone()], ..Default::default() };
    let stamp = allot_domain::Stamp::now(allot_domain::Actor::parse("setup").unwrap());
    store.load_records(area, &records, &stamp, &|_, _| {}).await.unwrap();
    let cara = app
        .person(
            "cara@council.example",
            Role::Caseworker,
            Who {
                organisation: Some(app.council),
                professional: Some(south.id),
                teams: vec!["SEN South"],
                ..Who::default()
            },
        )
        .await;
    let (other_child, other_consent, other_involvement) = child_with_records(
        &app,
        &cara,
        child_body("OTHER-1", "Zed", OTHER_CHILD_MARKER, false),
        &[elsewhere],
        &[(elsewhere, "commissioned")],
    )
    .await;
    // Another area, with its own caseworker, child and records.
    let b = allot_store::testing::seed_area(store, "E06000002").await;
    let b_user = add_user(
        store,
        b.area,
        "bea@other.example",
        Role::Caseworker,
        Who {
            organisation: Some(b.council),
            professional: Some(b.caseworkers[0]),
            teams: vec!["SEN North"],
            ..Who::default()
        },
    )
    .await;
    let b_token = app.sign_in(&b_user).await;
    let b_org = organisation(store, b.area, "school", "Far School").await;
    let (b_child, b_consent, b_involvement) = child_with_records(
        &app,
        &b_token,
        child_body("FAR-1", "Far", OTHER_AREA_MARKER, false),
        &[b_org],
        &[(b_org, "school_placement")],
    )
    .await;
    let b_user_id = store.users(b.area).await.unwrap()[0].id.to_string();
    let council = Some(app.council);
    let mut tokens = BTreeMap::new();
    for role in Role::ALL {
        let who = match role {
            Role::ParentCarer | Role::YoungPerson => {
                Who { children: vec![child.parse::<ChildId>().unwrap()], ..Who::default() }
            }
            Role::Caseworker => Who {
                organisation: council,
                professional: Some(app.caseworkers[1]),
                teams: vec!["SEN North"],
                ..Who::default()
            },
            Role::TeamManager => Who { organisation: council, teams: vec!["SEN North"], ..Who::default() },
            Role::GroupManager => Who { organisation: council, teams: vec!["SEN North", "SEN East"], ..Who::default() },
            Role::NhsBudgetLead => Who { organisation: Some(nhs), ..Who::default() },
            Role::SchoolSenco => Who { organisation: Some(school), ..Who::default() },
            Role::ProviderStaff => Who { organisation: Some(provider), ..Who::default() },
            _ => Who { organisation: council, ..Who::default() },
        };
        let token = app.person(&format!("{}@test.example", role.code()), *role, who).await;
        tokens.insert(*role, token);
    }
    let policy_body = super::POLICY.to_owned();
    let resp = app
        .client
        .post(format!("{}/api/v1/ras/policies", app.base))
        .bearer_auth(&tokens[&Role::Commissioner])
        .header("content-type", "application/toml")
        .body(policy_body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let policy = resp.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    // A safeguarding concern and a plan with restricted parts.
    let concern = json!({ "raised_on": "2026-11-01", "summary": SAFEGUARDING_MARKER, "blocks_direct_payment": false });
    let (status, body) =
        app.send_as(&app.token, Method::POST, &format!("/api/v1/children/{child}/concerns"), Some(concern)).await;
    assert_eq!(status, 201, "{body}");
    let item = |what: &str, route: &str, holder: Option<OrganisationId>| {
        json!({ "what": what, "provided_by": "someone", "unit_cost": "10.00", "units": "1", "frequency": "weekly",
                "stream": "social_care", "route": route, "isf_holder": holder.map(|h| h.to_string()), "provider": holder.map(|h| h.to_string()) })
    };
    let plan = json!({ "based_on": null, "plan": {
        "outcomes": [{ "area": "good_health", "wanted": "Sleep through", "how_we_will_know": "Sleep diary" }],
        "items": [item("Short breaks", "isf", Some(provider)), item(OTHER_ITEM_MARKER, "council_managed", None)],
        "keeping_safe": [{ "risk": KEEPING_SAFE_MARKER, "reduced_by": "Two adults" }]
    } });
    let (status, body) =
        app.send_as(&app.token, Method::PUT, &format!("/api/v1/children/{child}/plan"), Some(plan)).await;
    assert_eq!(status, 200, "{body}");
    let run = money(store, area, &child, provider).await;
    let users = store.users(area).await.unwrap();
    let user = |name: &str| users.iter().find(|u| u.details.username.as_str() == name).unwrap().id.to_string();
    Fixture {
        run,
        own: Ids {
            receipt: receipt(store, area, &child).await,
            child,
            consent,
            involvement,
            user: user("asha@council.example"),
        },
        other: Ids {
            receipt: receipt(store, area, &other_child).await,
            child: other_child,
            consent: other_consent,
            involvement: other_involvement,
            user: user("cara@council.example"),
        },
        other_area: Ids {
            receipt: receipt(store, b.area, &b_child).await,
            child: b_child,
            consent: b_consent,
            involvement: b_involvement,
            user: b_user_id,
        },
        tokens,
        app,
        policy,
        nhs,
        school,
    }
}

/// The roles allowed each route on the fixture's own child (or, for
/// routes not about a child, at all). Written out by hand from the access
/// policy in plain words, not computed from it: the test compares the two.
fn matrix() -> BTreeMap<&'static str, &'static str> {
    let all = "parent_carer young_person caseworker team_manager group_manager head_of_service nhs_budget_lead \
               finance_officer school_senco provider_staff commissioner auditor administrator";
    let record_readers = "parent_carer young_person caseworker team_manager group_manager head_of_service \
                          nhs_budget_lead finance_officer school_senco provider_staff auditor";
    let case_holders = "caseworker team_manager group_manager head_of_service";
    let family_readers = "parent_carer young_person caseworker team_manager group_manager head_of_service auditor";
    let pathway_readers =
        "parent_carer young_person caseworker team_manager group_manager head_of_service nhs_budget_lead auditor";
    let casework_readers = "caseworker team_manager group_manager head_of_service auditor";
    let managers = "team_manager group_manager head_of_service";
    let approvers = "team_manager group_manager head_of_service nhs_budget_lead";
    let family_and_case_holders = "parent_carer young_person caseworker team_manager group_manager head_of_service";
    let money_readers = "parent_carer young_person caseworker team_manager group_manager head_of_service \
                         nhs_budget_lead finance_officer auditor";
    let money_changers = "caseworker team_manager group_manager head_of_service finance_officer";
    let money_report_readers = "group_manager head_of_service nhs_budget_lead finance_officer commissioner auditor";
    BTreeMap::from([
        ("GET /healthz", "public"),
        ("GET /readyz", "public"),
        ("GET /api/openapi.json", "public"),
        ("GET /policy", "public"),
        ("POST /api/v1/session", "public"),
        ("GET /auth/oidc/start", "public"),
        ("GET /auth/oidc/callback", "public"),
        ("GET /api/v1/session", all),
        ("DELETE /api/v1/session", all),
        // Pages.
        ("GET /assets/{*path}", "public"),
        ("GET /sign-in", "public"),
        ("POST /sign-in", "public"),
        ("POST /sign-out", all),
        ("POST /session/extend", all),
        ("GET /", all),
        ("GET /children", record_readers),
        ("GET /children/{id}", record_readers),
        ("GET /children/new", case_holders),
        ("POST /children/new", case_holders),
        ("GET /children/{id}/allocation", case_holders),
        ("POST /children/{id}/allocation", case_holders),
        (
            "GET /children/{id}/budget",
            "parent_carer young_person caseworker team_manager group_manager head_of_service nhs_budget_lead \
             finance_officer school_senco auditor",
        ),
        ("GET /children/{id}/plan", record_readers),
        ("GET /children/{id}/plan/edit", case_holders),
        ("POST /children/{id}/plan/edit", case_holders),
        ("GET /children/{id}/plan/submit", case_holders),
        ("POST /children/{id}/plan/submit", case_holders),
        ("GET /children/{id}/plan/decision", approvers),
        ("POST /children/{id}/plan/decision", approvers),
        ("POST /children/{id}/plan/decision/check", approvers),
        ("GET /children/{id}/plan/co-sign", family_and_case_holders),
        ("POST /children/{id}/plan/co-sign", family_and_case_holders),
        ("GET /children/{id}/plan/letter", pathway_readers),
        ("GET /children/{id}/plan/compare", record_readers),
        ("GET /children/{id}/review-requests", pathway_readers),
        ("POST /children/{id}/review-requests", family_and_case_holders),
        ("POST /children/{id}/review-requests/answer", approvers),
        ("GET /approvals", approvers),
        ("GET /children/{id}/money", money_readers),
        ("GET /children/{id}/receipts", money_readers),
        ("POST /children/{id}/receipts", family_and_case_holders),
        ("GET /api/v1/children/{id}/receipts", money_readers),
        ("POST /api/v1/children/{id}/receipts", family_and_case_holders),
        ("GET /api/v1/children/{id}/receipts/{receipt}", money_readers),
        ("GET /children/{id}/access-log", "team_manager group_manager head_of_service auditor"),
        ("GET /direct-payments", "team_manager group_manager head_of_service finance_officer auditor"),
        ("GET /children/{id}/dp-audits", money_readers),
        ("POST /children/{id}/dp-audits", money_changers),
        ("GET /children/{id}/dp-audits/evidence", money_changers),
        ("POST /children/{id}/dp-audits/evidence", money_changers),
        ("GET /children/{id}/dp-audits/findings", money_changers),
        ("POST /children/{id}/dp-audits/findings", money_changers),
        ("GET /children/{id}/dp-audits/notice", money_changers),
        ("POST /children/{id}/dp-audits/notice", money_changers),
        ("GET /children/{id}/dp-audits/response", money_changers),
        ("POST /children/{id}/dp-audits/response", money_changers),
        ("GET /children/{id}/dp-audits/recovery", money_changers),
        ("POST /children/{id}/dp-audits/recovery", money_changers),
        ("GET /children/{id}/dp-audits/close", money_changers),
        ("POST /children/{id}/dp-audits/close", money_changers),
        ("GET /what-if", "commissioner administrator"),
        ("GET /reports/money", money_report_readers),
        (
            "GET /reports/organisations",
            "group_manager head_of_service nhs_budget_lead finance_officer school_senco provider_staff commissioner auditor",
        ),
        ("GET /admin/users", "administrator"),
        ("POST /admin/users", "administrator"),
        ("GET /admin/users/{id}", "administrator"),
        ("POST /admin/users/{id}", "administrator"),
        ("GET /admin/policies", "commissioner administrator"),
        ("POST /admin/policies", "commissioner administrator"),
        ("GET /payments", "finance_officer"),
        ("POST /payments", "finance_officer"),
        ("GET /payments/{id}", "finance_officer"),
        ("GET /statements", "finance_officer"),
        ("POST /statements", "finance_officer"),
        ("POST /payments/{id}/release", "finance_officer"),
        ("GET /accessibility", "public"),
        ("GET /glossary", "public"),
        ("POST /api/v1/session/confirm", all),
        ("GET /api/v1/children", record_readers),
        ("POST /api/v1/children", case_holders),
        ("GET /api/v1/children/{id}", record_readers),
        ("PUT /api/v1/children/{id}", case_holders),
        ("GET /api/v1/children/{id}/family", family_readers),
        ("POST /api/v1/children/{id}/family", case_holders),
        (
            "GET /api/v1/children/{id}/consents",
            "parent_carer young_person caseworker team_manager group_manager head_of_service nhs_budget_lead auditor",
        ),
        ("POST /api/v1/children/{id}/consents", case_holders),
        ("POST /api/v1/consents/{id}/withdraw", case_holders),
        ("GET /api/v1/children/{id}/lead-professionals", family_readers),
        ("POST /api/v1/children/{id}/lead-professionals", case_holders),
        ("GET /api/v1/children/{id}/changes", "caseworker team_manager group_manager head_of_service auditor"),
        (
            "GET /api/v1/children/{id}/allocations",
            "parent_carer young_person caseworker team_manager group_manager head_of_service nhs_budget_lead \
             finance_officer school_senco auditor",
        ),
        ("POST /api/v1/children/{id}/allocations", case_holders),
        ("GET /api/v1/children/{id}/involvements", record_readers),
        ("POST /api/v1/children/{id}/involvements", case_holders),
        ("POST /api/v1/involvements/{id}/end", case_holders),
        ("GET /api/v1/children/{id}/access-log", "team_manager group_manager head_of_service auditor"),
        ("GET /api/v1/children/{id}/subject-access", "head_of_service"),
        ("GET /api/v1/ras/policies", all),
        ("POST /api/v1/ras/policies", "commissioner administrator"),
        ("GET /api/v1/ras/policies/{id}", all),
        (
            "GET /api/v1/organisations",
            "caseworker team_manager group_manager head_of_service nhs_budget_lead finance_officer school_senco \
             provider_staff commissioner auditor administrator",
        ),
        (
            "GET /api/v1/professionals",
            "caseworker team_manager group_manager head_of_service nhs_budget_lead finance_officer school_senco \
             provider_staff commissioner auditor administrator",
        ),
        ("GET /api/v1/users", "administrator"),
        ("POST /api/v1/users", "administrator"),
        ("POST /api/v1/users/{id}/reset-credentials", "administrator"),
        ("POST /api/v1/users/{id}/disable", "administrator"),
        ("POST /api/v1/users/{id}/enable", "administrator"),
        ("GET /api/v1/audit/verify", "auditor"),
        ("GET /api/v1/children/{id}/pathway", pathway_readers),
        ("POST /api/v1/children/{id}/pathway", case_holders),
        ("GET /api/v1/children/{id}/plan", record_readers),
        ("PUT /api/v1/children/{id}/plan", case_holders),
        ("POST /api/v1/children/{id}/plan/submit", case_holders),
        ("POST /api/v1/children/{id}/plan/decisions", approvers),
        ("POST /api/v1/children/{id}/plan/signatures", family_and_case_holders),
        ("GET /api/v1/children/{id}/plan/compare", record_readers),
        ("GET /api/v1/children/{id}/plan/letter", pathway_readers),
        ("GET /api/v1/children/{id}/review-requests", pathway_readers),
        ("POST /api/v1/children/{id}/review-requests", family_and_case_holders),
        ("POST /api/v1/children/{id}/review-requests/answer", approvers),
        ("GET /api/v1/children/{id}/personal-assistants", casework_readers),
        ("POST /api/v1/children/{id}/personal-assistants", case_holders),
        ("PUT /api/v1/children/{id}/personal-assistants", case_holders),
        ("GET /api/v1/children/{id}/concerns", casework_readers),
        ("POST /api/v1/children/{id}/concerns", case_holders),
        ("POST /api/v1/children/{id}/concerns/close", managers),
        ("GET /api/v1/children/{id}/risks", casework_readers),
        ("POST /api/v1/children/{id}/risks", case_holders),
        ("POST /api/v1/children/{id}/risks/close", case_holders),
        ("GET /api/v1/children/{id}/gate-exceptions", casework_readers),
        ("POST /api/v1/children/{id}/gate-exceptions", managers),
        ("GET /api/v1/worklist", case_holders),
        ("GET /api/v1/approvals", approvers),
        ("GET /api/v1/reports/pathway", "team_manager group_manager head_of_service commissioner auditor"),
        ("GET /api/v1/risks", "team_manager group_manager head_of_service commissioner auditor"),
        ("POST /api/v1/risks", "team_manager group_manager head_of_service commissioner"),
        ("POST /api/v1/risks/close", "team_manager group_manager head_of_service commissioner"),
        ("GET /api/v1/delegation-policies", all),
        ("POST /api/v1/delegation-policies", "commissioner administrator"),
        ("GET /api/v1/children/{id}/money", money_readers),
        ("GET /api/v1/children/{id}/spend", money_readers),
        ("PUT /api/v1/children/{id}/spend", money_changers),
        ("POST /api/v1/children/{id}/overspends", approvers),
        ("GET /api/v1/children/{id}/dp-audits", money_readers),
        ("POST /api/v1/children/{id}/dp-audits", money_changers),
        ("POST /api/v1/children/{id}/dp-audits/events", money_changers),
        ("POST /api/v1/children/{id}/dp-audits/recovery", money_changers),
        ("GET /api/v1/payment-runs", "finance_officer"),
        ("POST /api/v1/payment-runs", "finance_officer"),
        ("POST /api/v1/payment-runs/{id}/release", "finance_officer"),
        ("POST /api/v1/payment-runs/{id}/cancel", "finance_officer"),
        ("GET /api/v1/payment-runs/{id}/bacs", "finance_officer"),
        ("GET /api/v1/payment-runs/{id}/journal", "finance_officer"),
        ("GET /api/v1/bank-details", "finance_officer"),
        ("POST /api/v1/bank-details", "finance_officer"),
        ("POST /api/v1/bank-details/decisions", "finance_officer"),
        ("POST /api/v1/statements", "finance_officer"),
        ("GET /api/v1/direct-payments", "team_manager group_manager head_of_service finance_officer auditor"),
        ("GET /api/v1/reports/money", money_report_readers),
        (
            "GET /api/v1/reports/money/organisations",
            "group_manager head_of_service nhs_budget_lead finance_officer school_senco provider_staff commissioner \
             auditor",
        ),
    ])
}

/// Roles that see every child in the area (where their role allows the
/// section at all).
const AREA_WIDE: [Role; 3] = [Role::HeadOfService, Role::FinanceOfficer, Role::Auditor];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Own,
    OtherChild,
    OtherArea,
    Missing,
}

/// The concrete path for a route template and target.
fn path_for(f: &Fixture, template: &str, target: Target) -> Option<String> {
    if template == "/assets/{*path}" {
        return (target == Target::Own).then(|| "/assets/allot.css".to_owned());
    }
    if !template.contains("{id}") {
        return (target == Target::Own).then(|| template.to_owned());
    }
    let ids = match target {
        Target::Own => &f.own,
        Target::OtherChild => &f.other,
        Target::OtherArea => &f.other_area,
        Target::Missing => {
            let missing = allot_domain::ChildId::new().to_string();
            return Some(template.replace("{id}", &missing).replace("{receipt}", &missing));
        }
    };
    let id = if template.starts_with("/api/v1/children/") || template.starts_with("/children/") {
        &ids.child
    } else if template.starts_with("/api/v1/consents/") {
        &ids.consent
    } else if template.starts_with("/api/v1/involvements/") {
        &ids.involvement
    } else if template.starts_with("/api/v1/users/") || template.starts_with("/admin/users/") {
        &ids.user
    } else if template.starts_with("/api/v1/payment-runs/") || template.starts_with("/payments/") {
        if target == Target::OtherArea {
            return Some(template.replace("{id}", &allot_domain::ChildId::new().to_string()));
        }
        &f.run
    } else if template.starts_with("/api/v1/ras/policies/") {
        if target == Target::OtherArea {
            // The other area has no policy: its nearest is a missing one.
            return Some(template.replace("{id}", &allot_domain::ChildId::new().to_string()));
        }
        &f.policy
    } else {
        panic!("the matrix does not know what kind of id {template} takes: add it");
    };
    Some(template.replace("{id}", id).replace("{receipt}", &ids.receipt))
}

/// Denied is 401 (not signed in), 403 or 404; anything but a 5xx else is
/// allowed (a 422 for the empty body shows the guard let it through). A
/// public route hides nothing, so its 404 (say, sign-in through an identity
/// provider that is not set up) is an answer, not a denial.
fn allowed(status: u16, what: &str) -> bool {
    assert!(status < 500, "{what}: {status}");
    !matches!(status, 401 | 403 | 404)
}

fn allowed_public(status: u16, what: &str) -> bool {
    assert!(status < 500, "{what}: {status}");
    !matches!(status, 401 | 403)
}

async fn every_route_answers_every_role_as_the_matrix_says(db: TestDatabase) {
    let f = fixture(db).await;
    let spec = matrix();
    let mut served = BTreeSet::new();
    let mut failures = Vec::new();
    let mut sign_outs = Vec::new();
    for route in allot_web::routes() {
        for (method, _, _) in &route.operations {
            let key = format!("{} {}", method.to_uppercase(), route.path);
            let expected = *spec.get(key.as_str()).unwrap_or_else(|| panic!("{key} is missing from the matrix"));
            served.insert(key.clone());
            let method: Method = method.to_uppercase().parse().unwrap();
            for target in [Target::Own, Target::OtherChild, Target::OtherArea, Target::Missing] {
                let Some(path) = path_for(&f, route.path, target) else { continue };
                let about_a_child = route.path.contains("{id}")
                    && !route.path.starts_with("/api/v1/users/")
                    && !route.path.starts_with("/admin/users/")
                    && !route.path.starts_with("/api/v1/payment-runs/")
                    && !route.path.starts_with("/payments/")
                    && !route.path.starts_with("/api/v1/ras/policies/");
                let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
                // Anonymous first.
                let (status, _) = f.app.send_as("", method.clone(), &path, body.clone()).await;
                let anonymous_ok = match expected {
                    "public" => allowed_public(status, &key),
                    // A page sends someone not signed in to sign in.
                    _ if route.is_page() => status == 303,
                    _ => status == 401,
                };
                if !anonymous_ok {
                    failures.push(format!("anonymous {key} {target:?}: {status}"));
                }
                for (role, token) in &f.tokens {
                    if key == "DELETE /api/v1/session" {
                        sign_outs.push((*role, token.clone(), path.clone()));
                        continue;
                    }
                    if key == "POST /sign-out" {
                        // It would end the session the rest of the matrix
                        // uses; pages::signing_in_and_out checks it.
                        continue;
                    }
                    let own_ok = expected == "public" || expected.split_whitespace().any(|r| r == role.code());
                    let want = match target {
                        Target::Own => own_ok,
                        Target::OtherChild if about_a_child => own_ok && AREA_WIDE.contains(role),
                        Target::OtherChild => own_ok,
                        Target::OtherArea | Target::Missing => expected == "public",
                    };
                    let (status, body) = f.app.send_as(token, method.clone(), &path, body.clone()).await;
                    let what = format!("{role} {key} {target:?}");
                    let got = if expected == "public" { allowed_public(status, &what) } else { allowed(status, &what) };
                    if got != want {
                        failures.push(format!(
                            "{role} {key} {target:?}: expected {}, got {status} {body}",
                            if want { "allowed" } else { "denied" }
                        ));
                    }
                }
            }
        }
    }
    // Signing out last, so that every other request had a session.
    for (role, token, path) in sign_outs {
        let (status, _) = f.app.send_as(&token, Method::DELETE, &path, None).await;
        if status != 204 {
            failures.push(format!("{role} signs out: {status}"));
        }
        let (status, _) = f.app.send_as(&token, Method::GET, "/api/v1/session", None).await;
        assert_eq!(status, 401, "{role}'s session ended at once");
    }
    let stale: Vec<_> = spec.keys().filter(|k| !served.contains(**k)).collect();
    assert!(stale.is_empty(), "the matrix names routes that do not exist: {stale:?}");
    assert!(failures.is_empty(), "{} unexpected answers:\n{}", failures.len(), failures.join("\n"));
}

/// For someone without access, another child's record looks exactly like
/// one that does not exist.
async fn denied_looks_like_missing(f: &Fixture, token: &str) {
    let denied = f.app.send_as(token, Method::GET, &format!("/api/v1/children/{}", f.other.child), None).await;
    let missing = f.app.send_as(token, Method::GET, &format!("/api/v1/children/{}", ChildId::new()), None).await;
    let other_area = f.app.send_as(token, Method::GET, &format!("/api/v1/children/{}", f.other_area.child), None).await;
    assert_eq!(denied.0, 404);
    assert_eq!(denied, missing);
    assert_eq!(other_area, missing);
}

/// Money for the own child: confirmed bank details for the family and the
/// provider, and a £40 payment to the provider due in a prepared run.
/// Returns the run's id.
async fn money(store: &dyn Store, area: allot_domain::AreaId, child: &str, provider: OrganisationId) -> String {
    use allot_domain::finance::bank::BankDetailsForm;
    use allot_domain::finance::ledger::{AccountKey, Phase, Transfer, TransferKind};
    use allot_domain::ids::TransferId;
    use allot_domain::pathway::plan::ManagementRoute;
    use allot_domain::{FinancialYear, Pence, Stamp};
    let stamp = |by: &str| Stamp::now(allot_domain::Actor::parse(by).unwrap());
    store
        .publish_finance_settings(area, include_str!("../../../../policies/example-finance.toml"), &stamp("setup"))
        .await
        .unwrap();
    let child: ChildId = child.parse().unwrap();
    for (account, number) in [
        (AccountKey::DirectPayment { child }, FAMILY_ACCOUNT_MARKER),
        (AccountKey::Organisation { organisation: provider }, PROVIDER_ACCOUNT_MARKER),
    ] {
        let details = BankDetailsForm {
            sort_code: Some("11-22-33".into()),
            account_number: Some(number.into()),
            account_name: Some("Canary Account".into()),
        }
        .parse()
        .unwrap();
        let p = store.propose_bank_details(area, &account, &details, "Set up", &stamp("one")).await.unwrap();
        store.decide_bank_details(area, &account, p.seq, true, &stamp("two")).await.unwrap();
    }
    let year = FinancialYear::starting(2026);
    let budget = AccountKey::Budget { child, stream: "social_care".into(), route: ManagementRoute::Isf, year };
    let on = jiff::civil::date(2026, 11, 2);
    let transfer = |debit: AccountKey, credit: AccountKey, kind, phase| Transfer {
        id: TransferId::new(),
        debit,
        credit,
        amount: Pence::new(4_000),
        kind,
        phase,
        item: None,
        on,
        reference: "Short breaks".into(),
    };
    let funding = AccountKey::Funding { stream: "social_care".into(), year };
    let set_up = transfer(funding, budget.clone(), TransferKind::Budget, Phase::Posted);
    let due =
        transfer(budget, AccountKey::Organisation { organisation: provider }, TransferKind::Payment, Phase::Pending);
    for t in [set_up, due] {
        store.record_transfer(area, &t, &stamp("setup")).await.unwrap();
    }
    let outcome = store.prepare_payment_run(area, on, &stamp("setup")).await.unwrap();
    outcome.run.expect("the payment is due").id.to_string()
}

async fn restricted_fields_never_reach_a_role_that_may_not_see_them(db: TestDatabase) {
    let f = fixture(db).await;
    denied_looks_like_missing(&f, &f.tokens[&Role::ParentCarer]).await;
    denied_looks_like_missing(&f, &f.tokens[&Role::ProviderStaff]).await;
    let mut gets = Vec::new();
    for route in allot_web::routes() {
        if route.operations.iter().any(|(m, _, _)| *m == "get") {
            for target in [Target::Own, Target::OtherChild, Target::OtherArea] {
                if let Some(path) = path_for(&f, route.path, target) {
                    gets.push(path.clone());
                    if path.contains("/subject-access") {
                        gets.push(format!("{path}?format=html"));
                    }
                }
            }
        }
    }
    gets.push("/api/v1/children?q=okafor".into());
    let mut seen_protected = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for (role, token) in &f.tokens {
        let may_see_protected = allot_domain::access::sees_protected(*role);
        let may_see_family = matches!(
            role,
            Role::ParentCarer
                | Role::YoungPerson
                | Role::Caseworker
                | Role::TeamManager
                | Role::GroupManager
                | Role::HeadOfService
                | Role::Auditor
        );
        for path in &gets {
            let (_, body) = f.app.send_as(token, Method::GET, path, None).await;
            let text = body.to_string();
            if text.contains("CANARYPROTECTED") {
                seen_protected.insert(*role);
                assert!(may_see_protected, "{role} saw the protected address at {path}");
            }
            assert!(may_see_family || !text.contains("Canaryfamily"), "{role} saw family details at {path}");
            let organisation_or_finance =
                matches!(role, Role::SchoolSenco | Role::ProviderStaff | Role::FinanceOfficer);
            for (marker, allowed) in [
                ("CANARYSAFEGUARDING", may_see_protected || *role == Role::Auditor),
                ("CANARYKEEPSAFE", !organisation_or_finance),
                ("CANARYOTHERITEM", !matches!(role, Role::SchoolSenco | Role::ProviderStaff)),
            ] {
                if text.contains(marker) {
                    seen.insert((marker, *role));
                    assert!(allowed, "{role} saw {marker} at {path}");
                }
            }
            for marker in [FAMILY_ACCOUNT_MARKER, PROVIDER_ACCOUNT_MARKER] {
                if text.contains(marker) {
                    seen.insert((marker, *role));
                    assert_eq!(*role, Role::FinanceOfficer, "{role} saw a whole account number at {path}");
                }
            }
            if text.contains("******18") {
                seen.insert(("******18", *role));
            }
            assert!(!text.contains(OTHER_AREA_MARKER), "{role} saw another area's child at {path}");
            assert!(
                AREA_WIDE.contains(role) || !text.contains(OTHER_CHILD_MARKER),
                "{role} saw another team's child at {path}"
            );
        }
    }
    // The markers are really there for those who may see them (so the scan
    // above is not vacuous).
    assert!(seen_protected.contains(&Role::Caseworker) && seen_protected.contains(&Role::HeadOfService));
    for seen_by in [
        ("CANARYSAFEGUARDING", Role::Caseworker),
        ("CANARYKEEPSAFE", Role::ParentCarer),
        ("CANARYOTHERITEM", Role::FinanceOfficer),
        ("CANARYOTHERITEM", Role::NhsBudgetLead),
        (FAMILY_ACCOUNT_MARKER, Role::FinanceOfficer),
        (PROVIDER_ACCOUNT_MARKER, Role::FinanceOfficer),
        // The family recognises its account by its last two digits.
        ("******18", Role::ParentCarer),
    ] {
        assert!(seen.contains(&seen_by), "{seen_by:?}: the marker should be visible here");
    }
    // Nothing identifying ever reaches the operational log.
    let log = super::captured_log();
    for marker in ["CANARY", "Canary", "Okafor", "OWN-1", &f.own.child, &f.other.child] {
        assert!(!log.contains(marker), "the log holds {marker:?}");
    }
    assert!(log.contains("/api/v1/children/{id}"), "the log does record requests, by route");
}

async fn sessions_end_on_sign_out_disable_and_reset(db: TestDatabase) {
    let f = fixture(db).await;
    let admin = &f.tokens[&Role::Administrator];
    let target = f.own.user.clone();
    let asha = f.app.sign_in("asha@council.example").await;
    let second = f.app.sign_in("asha@council.example").await;
    assert_eq!(f.app.send_as(&asha, Method::GET, "/api/v1/session", None).await.0, 200);
    // Signing out ends that session only.
    assert_eq!(f.app.send_as(&asha, Method::DELETE, "/api/v1/session", None).await.0, 204);
    assert_eq!(f.app.send_as(&asha, Method::GET, "/api/v1/session", None).await.0, 401);
    assert_eq!(f.app.send_as(&second, Method::GET, "/api/v1/session", None).await.0, 200);
    // Disabling ends every session at once, and sign-in is refused.
    let (status, problem) =
        f.app.send_as(admin, Method::POST, &format!("/api/v1/users/{target}/disable"), Some(json!({}))).await;
    assert_eq!((status, problem["errors"][0]["field"].clone()), (422, json!("reason")));
    let (status, user) = f
        .app
        .send_as(
            admin,
            Method::POST,
            &format!("/api/v1/users/{target}/disable"),
            Some(json!({ "reason": "left the council" })),
        )
        .await;
    assert_eq!((status, user["disabled"].clone()), (200, json!(true)));
    assert_eq!(f.app.send_as(&second, Method::GET, "/api/v1/session", None).await.0, 401);
    let body = json!({ "username": "asha@council.example", "password": super::PASSWORD, "code": code_now() });
    assert_eq!(f.app.send_as("", Method::POST, "/api/v1/session", Some(body)).await.0, 401);
    f.app
        .send_as(admin, Method::POST, &format!("/api/v1/users/{target}/enable"), Some(json!({ "reason": "returned" })))
        .await;
    // A reset ends sessions too, and hands over new credentials once.
    let third = f.app.sign_in("asha@council.example").await;
    let (status, handover) = f
        .app
        .send_as(
            admin,
            Method::POST,
            &format!("/api/v1/users/{target}/reset-credentials"),
            Some(json!({ "reason": "lost phone" })),
        )
        .await;
    assert_eq!(status, 200, "{handover}");
    assert_eq!(f.app.send_as(&third, Method::GET, "/api/v1/session", None).await.0, 401);
    let password = handover["temporary_password"].as_str().unwrap();
    let secret =
        allot_domain::totp::TotpSecret::parse_base32(handover["authenticator"]["secret"].as_str().unwrap()).unwrap();
    assert!(handover["authenticator"]["uri"].as_str().unwrap().starts_with("otpauth://totp/"));
    let code = format!("{:06}", secret.code_for_step(jiff::Timestamp::now().as_second() / 30));
    let old = json!({ "username": "asha@council.example", "password": super::PASSWORD, "code": code });
    assert_eq!(
        f.app.send_as("", Method::POST, "/api/v1/session", Some(old)).await.0,
        401,
        "the old password no longer works"
    );
    let new = json!({ "username": "asha@council.example", "password": password, "code": code });
    let (status, session) = f.app.send_as("", Method::POST, "/api/v1/session", Some(new.clone())).await;
    assert_eq!(status, 201, "{session}");
    assert_eq!(session["user"]["role"], "caseworker");
    // The same code cannot be used twice.
    assert_eq!(f.app.send_as("", Method::POST, "/api/v1/session", Some(new)).await.0, 401);
    // Staff must give a code at all.
    let no_code = json!({ "username": "caseworker@test.example", "password": super::PASSWORD });
    assert_eq!(f.app.send_as("", Method::POST, "/api/v1/session", Some(no_code)).await.0, 401);
}

async fn repeated_failed_sign_ins_are_slowed_and_recorded(db: TestDatabase) {
    let app = spawn(db).await;
    let wrong = json!({ "username": "asha@council.example", "password": "not the password", "code": code_now() });
    for _ in 0..5 {
        let (status, problem) = app.send_as("", Method::POST, "/api/v1/session", Some(wrong.clone())).await;
        assert_eq!((status, problem["type"].clone()), (401, json!("/problems/sign-in-failed")));
    }
    let (status, problem) = app.send_as("", Method::POST, "/api/v1/session", Some(wrong)).await;
    assert_eq!(status, 429, "{problem}");
    // Even the right password waits now.
    let right = json!({ "username": "asha@council.example", "password": super::PASSWORD, "code": code_now() });
    assert_eq!(app.send_as("", Method::POST, "/api/v1/session", Some(right)).await.0, 429);
    // An unknown user gets the same answer as a wrong password.
    let unknown = json!({ "username": "nobody@council.example", "password": "x", "code": "123456" });
    let (status, problem) = app.send_as("", Method::POST, "/api/v1/session", Some(unknown)).await;
    assert_eq!(
        (status, problem["detail"].clone()),
        (401, json!("The user name, password or security code is not right."))
    );
    let trail = app.store.audit_entries(app.area, None, 0, 1000).await.unwrap();
    let refused = trail.iter().filter(|e| e.entry.action == "sign_in" && e.entry.outcome.code() == "refused").count();
    assert_eq!(refused, 7, "every refused attempt by a known user is in the audit trail");
}

async fn cookie_sessions_need_the_csrf_token_for_changes(db: TestDatabase) {
    let app = spawn(db).await;
    let body = json!({ "username": "asha@council.example", "password": super::PASSWORD, "code": code_now() });
    let resp = app.client.post(format!("{}/api/v1/session", app.base)).json(&body).send().await.unwrap();
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let session: Value = resp.json().await.unwrap();
    let token = session["token"].as_str().unwrap();
    assert!(token.len() >= 32, "at least 128 bits");
    let csrf = session["csrf_token"].as_str().unwrap();
    assert!(session["warn_at"].as_str().unwrap() < session["expires_at"].as_str().unwrap());
    let cookie_header = format!("allot_session={token}");
    let url = format!("{}/api/v1/children", app.base);
    let read = app.client.get(&url).header("cookie", &cookie_header).send().await.unwrap();
    assert_eq!(read.status(), 200, "reading needs no CSRF token");
    let forged = app.client.post(&url).header("cookie", &cookie_header).json(&super::amara()).send().await.unwrap();
    assert_eq!(forged.status(), 403);
    let wrong = app
        .client
        .post(&url)
        .header("cookie", &cookie_header)
        .header("x-csrf-token", "0".repeat(64))
        .json(&super::amara())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    assert_eq!(app.children_count().await, 0);
    let good = app
        .client
        .post(&url)
        .header("cookie", &cookie_header)
        .header("x-csrf-token", csrf)
        .json(&super::amara())
        .send()
        .await
        .unwrap();
    assert_eq!(good.status(), 201);
}

async fn a_change_of_access_takes_effect_on_the_next_request(db: TestDatabase) {
    let f = fixture(db).await;
    let school = &f.tokens[&Role::SchoolSenco];
    let nhs = &f.tokens[&Role::NhsBudgetLead];
    let child = format!("/api/v1/children/{}", f.own.child);
    assert_eq!(f.app.send_as(school, Method::GET, &child, None).await.0, 200);
    // The placement ends today: the school loses access at once.
    let involvements = f.app.get(&format!("{child}/involvements")).await.1;
    let placement = involvements["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["organisation_id"] == f.school.to_string())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let today = allot_domain::dates::date_in_england(jiff::Timestamp::now()).to_string();
    let (status, ended) = f.app.post(&format!("/api/v1/involvements/{placement}/end"), json!({ "until": today })).await;
    assert_eq!((status, ended["active"].clone()), (200, json!(false)), "{ended}");
    assert_eq!(f.app.send_as(school, Method::GET, &child, None).await.0, 404);
    // Consent withdrawn: the NHS loses access at once.
    assert_eq!(f.app.send_as(nhs, Method::GET, &child, None).await.0, 200);
    let consents = f.app.get(&format!("{child}/consents")).await.1;
    let nhs_consent =
        consents["items"].as_array().unwrap().iter().find(|c| c["organisation_id"] == f.nhs.to_string()).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    f.app.post(&format!("/api/v1/consents/{nhs_consent}/withdraw"), json!({ "reason": "family asked" })).await;
    assert_eq!(f.app.send_as(nhs, Method::GET, &child, None).await.0, 404);
    // The case moves to another team: the old team's caseworker loses it.
    let cw = &f.tokens[&Role::Caseworker];
    assert_eq!(f.app.send_as(cw, Method::GET, &child, None).await.0, 200);
    let cara = f
        .app
        .store
        .professionals(f.app.area)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.team.as_str() == "SEN South")
        .unwrap();
    let (status, _) = f
        .app
        .post(
            &format!("{child}/lead-professionals"),
            json!({ "professional_id": cara.id.to_string(), "reason": "moved house" }),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(f.app.send_as(cw, Method::GET, &child, None).await.0, 404);
}

async fn every_look_is_in_a_chain_that_detects_tampering(db: TestDatabase) {
    let f = fixture(db).await;
    let finance = &f.tokens[&Role::FinanceOfficer];
    let provider = &f.tokens[&Role::ProviderStaff];
    let child = format!("/api/v1/children/{}", f.own.child);
    f.app.send_as(finance, Method::GET, &child, None).await;
    f.app.send_as(provider, Method::GET, &format!("{child}/family"), None).await;
    let (status, log) =
        f.app.send_as(&f.tokens[&Role::TeamManager], Method::GET, &format!("{child}/access-log"), None).await;
    assert_eq!(status, 200);
    let items = log["items"].as_array().unwrap();
    let look = items.iter().find(|e| e["actor"] == "finance_officer@test.example").expect("the finance officer's look");
    assert_eq!(
        (look["action"].clone(), look["outcome"].clone(), look["role"].clone()),
        (json!("read"), json!("allowed"), json!("finance_officer"))
    );
    let refused =
        items.iter().find(|e| e["actor"] == "provider_staff@test.example").expect("the provider's refused attempt");
    assert_eq!(refused["outcome"], "refused");
    assert!(items.iter().any(|e| e["action"] == "create" && e["entity"] == "family_member"), "changes are there too");
    // The auditor checks the chain: whole.
    let auditor = &f.tokens[&Role::Auditor];
    let (status, check) = f.app.send_as(auditor, Method::GET, "/api/v1/audit/verify", None).await;
    assert_eq!((status, check["whole"].clone()), (200, json!(true)), "{check}");
    let checkpoint: allot_domain::audit::Checkpoint = serde_json::from_value(check["checkpoint"].clone()).unwrap();
    // Someone edits one entry in the database directly: detected.
    let area = f.app.area;
    let original = f.app.store.audit_entries(f.app.area, None, 2, 1).await.unwrap()[0].entry.actor.clone();
    f.app
        .db
        .tamper(&format!("UPDATE audit_trail SET actor = 'someone-else' WHERE seq = 3 AND area_id = '{area}'"))
        .await;
    let problems = f.app.store.verify_audit(f.app.area, vec![]).await.unwrap();
    assert!(problems.iter().any(|p| p.contains("entry 3 has been changed")), "{problems:?}");
    f.app.db.tamper(&format!("UPDATE audit_trail SET actor = '{original}' WHERE seq = 3 AND area_id = '{area}'")).await;
    assert_eq!(f.app.store.verify_audit(f.app.area, vec![checkpoint.clone()]).await.unwrap(), Vec::<String>::new());
    // Removing an entry from the middle: detected.
    f.app.db.tamper(&format!("UPDATE audit_trail SET seq = -seq WHERE seq = 5 AND area_id = '{area}'")).await;
    let problems = f.app.store.verify_audit(f.app.area, vec![]).await.unwrap();
    assert!(problems.iter().any(|p| p.contains("out of place")), "{problems:?}");
    f.app.db.tamper(&format!("UPDATE audit_trail SET seq = -seq WHERE seq = -5 AND area_id = '{area}'")).await;
    // Cutting the end off and rewinding the head to match: only an
    // exported checkpoint shows it.
    let last = checkpoint.seq;
    let before = f.app.store.audit_entries(f.app.area, None, last - 2, 1).await.unwrap()[0].clone();
    f.app.db.tamper(&format!("DELETE FROM audit_trail WHERE seq >= {last} AND area_id = '{area}'")).await;
    f.app
        .db
        .tamper(&format!(
            "UPDATE audit_heads SET seq = {}, hash = '{}' WHERE area_id = '{area}'",
            before.seq, before.hash
        ))
        .await;
    assert_eq!(f.app.store.verify_audit(f.app.area, vec![]).await.unwrap(), Vec::<String>::new());
    let problems = f.app.store.verify_audit(f.app.area, vec![checkpoint]).await.unwrap();
    assert!(problems.iter().any(|p| p.contains("checkpoint")), "{problems:?}");
}

async fn an_idle_session_ends_and_money_needs_a_fresh_second_factor(db: TestDatabase) {
    use allot_domain::session::SessionTimes;
    let app = spawn(db).await;
    app.person("comm@council.example", Role::Commissioner, Who { organisation: Some(app.council), ..Who::default() })
        .await;
    let username = allot_domain::user::Username::parse("comm@council.example").unwrap();
    let (user, _) = app.store.user_for_sign_in(&username).await.unwrap().unwrap();
    // A session last used 31 minutes ago has ended.
    let long_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(31);
    let idle = allot_store::Session {
        token_hash: allot_web::token_hash("idle-session-token"),
        user_id: user.id,
        csrf_token: "x".into(),
        times: SessionTimes { created: long_ago, last_seen: long_ago, second_factor_at: Some(long_ago) },
    };
    app.store.start_session(&idle).await.unwrap();
    let (status, problem) = app.send_as("idle-session-token", Method::GET, "/api/v1/ras/policies", None).await;
    assert_eq!((status, problem["type"].clone()), (401, json!("/problems/sign-in-needed")));
    // Signed in 20 minutes ago and busy since: publishing a policy (it
    // changes money) asks for the code again first.
    let earlier = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(20);
    let busy = allot_store::Session {
        token_hash: allot_web::token_hash("busy-session-token"),
        times: SessionTimes { created: earlier, last_seen: jiff::Timestamp::now(), second_factor_at: Some(earlier) },
        ..idle
    };
    app.store.start_session(&busy).await.unwrap();
    let publish = |token: &'static str| {
        app.client
            .post(format!("{}/api/v1/ras/policies", app.base))
            .bearer_auth(token)
            .header("content-type", "application/toml")
            .body(super::POLICY)
            .send()
    };
    let refused = publish("busy-session-token").await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.json::<Value>().await.unwrap()["type"], "/problems/confirm-second-factor");
    let (status, _) = app
        .send_as("busy-session-token", Method::POST, "/api/v1/session/confirm", Some(json!({ "code": "000000" })))
        .await;
    assert_eq!(status, 422, "a wrong code confirms nothing");
    let (status, confirmed) = app
        .send_as("busy-session-token", Method::POST, "/api/v1/session/confirm", Some(json!({ "code": code_now() })))
        .await;
    assert_eq!(status, 200, "{confirmed}");
    assert_eq!(publish("busy-session-token").await.unwrap().status(), 201);
}
