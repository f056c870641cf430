//! The area's pages: what-if modelling for commissioners, the money
//! report, what providers and schools see, and administration.

use super::money_pages::paid_direct_payment;
use super::pages::{browser, hidden, sign_in};
use super::pathway::policies;
use super::{TestApp, Who, amara, spawn};
use allot_domain::Role;
use allot_store::testing::TestDatabase;
use allot_store::{Store, on_both_engines};
use serde_json::{Value, json};

on_both_engines!(
    a_commissioner_models_a_new_band_amount_over_the_whole_area,
    the_money_report_draws_what_was_paid_and_a_provider_sees_only_its_own,
    an_administrator_adds_stops_and_restores_people_and_publishes_policies,
);

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let resp = client.get(format!("{}{path}", app.base)).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn send(client: &reqwest::Client, app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let resp = client.post(format!("{}{path}", app.base)).form(form).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// Two children with completed questionnaires.
async fn two_children_assessed(app: &TestApp) {
    let policy = allot_domain::ras::Policy::parse(super::POLICY).unwrap();
    for (reference, option) in [("WV-0001", 1), ("WV-0002", 2)] {
        let mut child = amara();
        child["reference"] = reference.into();
        let (_, child) = app.post("/api/v1/children", child).await;
        let answers: serde_json::Map<String, Value> = policy
            .questions
            .iter()
            .filter(|q| !q.optional)
            .map(|q| (q.id.clone(), json!(q.options[option.min(q.options.len() - 1)].id)))
            .collect();
        let path = format!("/api/v1/children/{}/allocations", child["id"].as_str().unwrap());
        assert_eq!(app.post(&path, json!({ "answers": answers })).await.0, 201);
    }
}

async fn a_commissioner_models_a_new_band_amount_over_the_whole_area(db: TestDatabase) {
    let app = spawn(db).await;
    policies(&app).await;
    two_children_assessed(&app).await;
    let client = browser();
    sign_in(&app, &client, "policy@council.example").await;

    // As published: the amounts now, and no one gains or loses.
    let (status, html) = page(&client, &app, "/what-if").await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Across 2 children") && html.contains("0 would gain") && html.contains("0 would lose"),
        "{html}"
    );
    assert!(html.contains("<svg") && html.contains(">no change</text>"), "the chart, labelled in words");

    // Every social care band £1,000 more: both children gain, and the total
    // goes up by exactly what their bands gain.
    let policy = allot_domain::ras::Policy::parse(super::POLICY).unwrap();
    let social_care = policy.streams.iter().find(|s| s.id == "social_care").unwrap();
    let raised: Vec<(String, String)> = social_care
        .bands
        .iter()
        .enumerate()
        .map(|(i, b)| {
            (format!("band-social_care-{i}"), allot_domain::Pence::new(b.amount.pence() + 100_000).to_decimal_string())
        })
        .collect();
    let query = serde_urlencoded::to_string(&raised).unwrap();
    let (status, html) = page(&client, &app, &format!("/what-if?{query}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("2 would gain") && html.contains("0 would lose"), "{html}");
    assert!(html.contains(&format!("value=\"{}\"", raised[0].1)), "the amount typed stays in its field");

    // An amount that is not money is named, kept, and nothing is modelled.
    let (status, html) = page(&client, &app, "/what-if?band-social_care-0=12.345").await;
    assert_eq!(status, 422);
    assert!(html.contains("href=\"#band-social_care-0\">") && html.contains("value=\"12.345\""), "{html}");
    assert!(html.contains("Correct the amounts to see the effect"));

    // A caseworker has no what-if page.
    let caseworker = browser();
    sign_in(&app, &caseworker, "asha@council.example").await;
    assert_eq!(page(&caseworker, &app, "/what-if").await.0, 403);
}

async fn the_money_report_draws_what_was_paid_and_a_provider_sees_only_its_own(db: TestDatabase) {
    let app = spawn(db).await;
    let (_, paid) = paid_direct_payment(&app).await;
    let finance = browser();
    sign_in(&app, &finance, "fay@test.example").await;
    let (status, html) = page(&finance, &app, "/reports/money").await;
    assert_eq!(status, 200);
    let shown = allot_domain::Pence::new(paid).to_string();
    let month = allot_domain::dates::date_in_england(jiff::Timestamp::now()).strftime("%B %Y").to_string();
    assert!(html.contains(&format!(">{month}</text>")) && html.contains(&format!(">{shown}</text>")), "{html}");
    assert!(
        html.contains("role=\"img\"")
            && html.contains("<caption class=\"govuk-table__caption govuk-table__caption--s\">Paid each month")
    );
    assert_eq!(page(&finance, &app, "/reports/money?year=not-a-year").await.0, 404);

    // A provider paid for no one sees that, and nothing of the family's.
    let provider = super::access::organisation(app.store.as_ref(), app.area, "provider", "Bright Days Care").await;
    super::add_user(
        app.store.as_ref(),
        app.area,
        "pat@brightdays.example",
        Role::ProviderStaff,
        Who { organisation: Some(provider), ..Who::default() },
    )
    .await;
    let client = browser();
    sign_in(&app, &client, "pat@brightdays.example").await;
    let (status, html) = page(&client, &app, "/reports/organisations").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("The children you hold money for") && html.contains("You hold no money for any child"),
        "{html}"
    );
    assert!(!html.contains("Mara") && !html.contains(&shown));
    assert_eq!(page(&client, &app, "/reports/money").await.0, 403, "the area's money is not for providers");
}

async fn an_administrator_adds_stops_and_restores_people_and_publishes_policies(db: TestDatabase) {
    let app = spawn(db).await;
    super::add_user(
        app.store.as_ref(),
        app.area,
        "ada@council.example",
        Role::Administrator,
        Who { organisation: Some(app.council), ..Who::default() },
    )
    .await;
    let client = browser();
    sign_in(&app, &client, "ada@council.example").await;
    let (_, html) = page(&client, &app, "/admin/users").await;
    let csrf = hidden(&html, "csrf_token");

    // Cara, a caseworker, sent with the role and teams given.
    let add_cara = |role: &'static str, teams: &'static str| {
        let form = [
            ("csrf_token", csrf.clone()),
            ("name", "Cara Jones".into()),
            ("username", "cara@council.example".into()),
            ("role", role.into()),
            ("teams", teams.into()),
        ];
        let (client, url) = (client.clone(), format!("{}/admin/users", app.base));
        async move {
            let resp = client.post(url).form(&form).send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };

    // Without a role chosen, or a caseworker without a team: named, typing kept.
    let (status, html) = add_cara("", "").await;
    assert_eq!(status, 422);
    assert!(
        html.contains("href=\"#role\">")
            && html.contains("value=\"Cara Jones\"")
            && html.contains("value=\"cara@council.example\""),
        "{html}"
    );
    let (status, html) = add_cara("caseworker", "").await;
    assert_eq!(status, 422);
    assert!(html.contains("href=\"#teams\">"), "a caseworker works in a team: {html}");
    let (status, html) = add_cara("caseworker", "SEN North, SEN South").await;
    assert_eq!(status, 201, "{html}");
    let password = html.split("<code class=\"allot-secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert!(password.len() >= 12 && html.contains("Authenticator app key"), "{html}");

    // Stopping her needs a reason; then she cannot sign in.
    let users = app.store.users(app.area).await.unwrap();
    let cara = users.iter().find(|u| u.details.username.as_str() == "cara@council.example").unwrap();
    assert_eq!(cara.details.teams.len(), 2);
    let path = format!("/admin/users/{}", cara.id);
    let (status, html) =
        send(&client, &app, &path, &[("csrf_token", &csrf), ("action", "disable"), ("reason", "")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("href=\"#reason\">Give the reason, for the record"), "{html}");
    let (status, _) =
        send(&client, &app, &path, &[("csrf_token", &csrf), ("action", "disable"), ("reason", "Left the council")])
            .await;
    assert_eq!(status, 303);
    let (_, html) = page(&client, &app, &format!("{path}?done=disable")).await;
    assert!(html.contains("They can no longer sign in") && html.contains("Cannot sign in"));
    let (_, html) = page(&client, &app, &path).await;
    assert!(html.contains("Let them sign in again"), "{html}");
    assert!(app.store.user(app.area, cara.id).await.unwrap().disabled);

    // Policies: a file with a mistake names its line; nothing is published.
    let (_, html) = page(&client, &app, "/admin/policies").await;
    assert!(html.contains("Publish a policy"));
    let good = "[[limit]]\nrole = \"team_manager\"\nmax_annual_amount = \"5000.00\"\n[[limit]]\nrole = \"head_of_service\"\n[nhs]\nrole = \"nhs_budget_lead\"\n";
    let bad = good.replace("5000.00", "lots");
    let (status, html) =
        send(&client, &app, "/admin/policies", &[("csrf_token", &csrf), ("kind", "delegation"), ("file", &bad)]).await;
    assert_eq!(status, 422);
    let summary = html.split("govuk-error-summary__list").nth(1).unwrap().split("</ul>").next().unwrap();
    assert!(
        summary.contains("href=\"#file\">The file has problems: line 1: max_annual_amount: enter an amount"),
        "{summary}"
    );
    assert!(html.contains("max_annual_amount = &quot;lots&quot;"), "the text pasted is kept");
    assert!(app.store.delegation_policies(app.area).await.unwrap().is_empty());
    let (status, _) =
        send(&client, &app, "/admin/policies", &[("csrf_token", &csrf), ("kind", "delegation"), ("file", good)]).await;
    assert_eq!(status, 303);
    let (_, html) = page(&client, &app, "/admin/policies?done=delegation").await;
    assert!(html.contains("The delegation policy has been published") && html.contains("1 (in force)"), "{html}");
}
