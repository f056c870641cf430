//! Adding a child, the allocation questionnaire, and the indicative budget
//! with its plain-English explanation.

use super::components::{Button, Cell, Choice, Content, Input, Label, Legend, Radios, Select, Table, Textarea};
use super::info::term;
use super::{Ctx, Fields, Frame, error_summary, field_error, money, refused, value};
use crate::api::parse_id;
use crate::caller::Caller;
use crate::ras::{QuestionnaireForm, allocations_of, record_questionnaire};
use crate::{AppState, Problem};
use allot_domain::child::ChildForm;
use allot_domain::{ChildId, EhcPlanStatus, FieldError, PrimaryNeed, Sex};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::collections::BTreeMap;

fn new_child_page(ctx: &Ctx, caller: &Caller, fields: &Fields, errors: &[FieldError]) -> Markup {
    let text = |name: &str, label: &str, hint: Option<&str>, classes: Option<&str>| Input {
        name: name.into(),
        label: Some(Label::new(label)),
        hint: hint.map(Into::into),
        error: field_error(errors, name),
        value: value(fields, name),
        classes: classes.map(Into::into),
        spellcheck: Some(false),
        ..Input::default()
    };
    let codes = |all: Vec<(&str, &str)>| {
        std::iter::once(Choice::new("", "Not known yet"))
            .chain(all.into_iter().map(|(c, l)| Choice::new(c, l)))
            .collect()
    };
    let mut frame = Frame::new(ctx, "Add a child");
    frame.has_errors = !errors.is_empty();
    frame.render(html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                @if !errors.is_empty() { (error_summary(errors)) }
                h1 class="govuk-heading-l" { "Add a child" }
                p class="govuk-body" { "Record the child once: everyone who works with them will use this record." }
                form method="post" action="/children/new" novalidate {
                    input type="hidden" name="csrf_token" value=(caller.session.csrf_token);
                    (text("reference", "Council reference", Some("Your council's case reference, for example WV-0042"), Some("govuk-input--width-10")))
                    (text("legal_given_names", "Given names", Some("As on their birth certificate"), None))
                    (text("legal_family_name", "Family name", None, None))
                    (text("preferred_name", "Known as (optional)", Some("The name they like to be called"), None))
                    (text("date_of_birth", "Date of birth", Some("Year, month and day, for example 2014-09-23"), Some("govuk-input--width-10")))
                    (Radios {
                        name: "sex".into(),
                        legend: Some(Legend { classes: Some("govuk-fieldset__legend--s".into()), ..Legend::new("Sex") }),
                        error: field_error(errors, "sex"),
                        items: Sex::ALL.iter().map(|s| Choice::new(s.code(), s.label())).collect(),
                        value: value(fields, "sex"),
                        classes: Some("govuk-radios--inline".into()),
                        ..Radios::default()
                    })
                    (text("upn", "Unique pupil number (optional)", Some("13 characters, for example T801200100101"), Some("govuk-input--width-20")))
                    (text("nhs_number", "NHS number (optional)", Some("10 digits, for example 943 476 5919"), Some("govuk-input--width-10")))
                    (Textarea {
                        name: "address".into(),
                        label: Some(Label::new("Home address (optional)")),
                        hint: Some("Without the postcode".into()),
                        error: field_error(errors, "address"),
                        value: value(fields, "address"),
                        rows: Some(3),
                        ..Textarea::default()
                    })
                    (text("postcode", "Postcode (optional)", None, Some("govuk-input--width-10")))
                    (Radios {
                        name: "address_protected".into(),
                        legend: Some(Legend { classes: Some("govuk-fieldset__legend--s".into()), ..Legend::new("Is the address protected?") }),
                        hint: Some("Protected addresses are shown only to those who hold the case".into()),
                        error: field_error(errors, "address_protected"),
                        items: vec![Choice::new("no", "No"), Choice::new("yes", "Yes")],
                        value: value(fields, "address_protected").or(Some("no".into())),
                        classes: Some("govuk-radios--inline".into()),
                        ..Radios::default()
                    })
                    (Select {
                        name: "primary_need".into(),
                        label: Some(Label::new("Primary need")),
                        error: field_error(errors, "primary_need"),
                        items: codes(PrimaryNeed::ALL.iter().map(|n| (n.code(), n.label())).collect()),
                        value: value(fields, "primary_need"),
                        ..Select::default()
                    })
                    (Select {
                        name: "ehc_plan_status".into(),
                        label: Some(Label::new("EHC plan")),
                        error: field_error(errors, "ehc_plan_status"),
                        items: EhcPlanStatus::ALL.iter().map(|n| Choice::new(n.code(), n.label())).collect(),
                        value: value(fields, "ehc_plan_status"),
                        ..Select::default()
                    })
                    (Button { text: Some("Add the child".into()), prevent_double_click: Some(true), ..Button::default() })
                }
            }
        }
    })
}

pub(crate) async fn new_child(ctx: Ctx, caller: Caller) -> Markup {
    new_child_page(&ctx, &caller, &Fields::new(), &[])
}

pub(crate) async fn add_child(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Form(fields): Form<Fields>,
) -> Response {
    let form = ChildForm {
        reference: value(&fields, "reference"),
        legal_given_names: value(&fields, "legal_given_names"),
        legal_family_name: value(&fields, "legal_family_name"),
        preferred_name: value(&fields, "preferred_name"),
        date_of_birth: value(&fields, "date_of_birth"),
        sex: value(&fields, "sex"),
        upn: value(&fields, "upn"),
        nhs_number: value(&fields, "nhs_number"),
        // The record keeps an address on one line; people type it on several.
        address: value(&fields, "address")
            .map(|a| a.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(", ")),
        postcode: value(&fields, "postcode"),
        address_protected: Some(value(&fields, "address_protected").as_deref() == Some("yes")),
        primary_need: value(&fields, "primary_need"),
        ehc_plan_status: value(&fields, "ehc_plan_status"),
    };
    match crate::api::add_child(&state, &caller, form).await {
        Ok(child) => Redirect::to(&format!("/children/{}", child.id)).into_response(),
        Err(problem) => refused(|errors| new_child_page(&ctx, &caller, &fields, errors), problem),
    }
}

fn questionnaire_page(
    ctx: &Ctx,
    caller: &Caller,
    child: ChildId,
    policy: &allot_domain::ras::Policy,
    fields: &Fields,
    errors: &[FieldError],
) -> Markup {
    let mut frame = Frame::new(ctx, "The allocation questionnaire");
    frame.has_errors = !errors.is_empty();
    frame.render(html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                @if !errors.is_empty() { (error_summary(errors)) }
                span class="govuk-caption-l" { (policy.title) ", version " (policy.version) }
                h1 class="govuk-heading-l" { "The allocation questionnaire" }
                p class="govuk-body" {
                    "Answer with the family. The answers work out an " (term("indicative-budget", "indicative budget"))
                    ": a starting point for planning, not the final amount. "
                    a class="govuk-link" href="/policy" { "See how each answer scores" } "."
                }
                form method="post" action={ "/children/" (child) "/allocation" } novalidate {
                    input type="hidden" name="csrf_token" value=(caller.session.csrf_token);
                    @for (i, q) in policy.questions.iter().enumerate() {
                        // Questions come grouped by domain, each under its heading.
                        @if i == 0 || policy.questions[i - 1].domain != q.domain {
                            h2 class="govuk-heading-m" { (q.domain) }
                        }
                        @let name = format!("answers.{}", q.id);
                        (Radios {
                            name: name.clone(),
                            legend: Some(Legend {
                                text: if q.optional { format!("{} (optional)", q.text).into() } else { q.text.clone().into() },
                                classes: Some("govuk-fieldset__legend--s".into()),
                                is_page_heading: false,
                            }),
                            hint: q.help.clone().map(Into::into),
                            error: field_error(errors, &name),
                            items: q.options.iter().map(|o| Choice::new(o.id.clone(), o.label.clone())).collect(),
                            value: value(fields, &name),
                            ..Radios::default()
                        })
                    }
                    h2 class="govuk-heading-m" { "What they get now" }
                    p class="govuk-body" { "If the child already has a package, enter what it costs a year, so that no amount falls too fast. Leave empty if they have nothing now." }
                    @for s in &policy.streams {
                        @let name = format!("current.{}", s.id);
                        (Input {
                            name: name.clone(),
                            label: Some(Label::new(format!("{} now, a year (optional)", s.name))),
                            error: field_error(errors, &name),
                            value: value(fields, &name),
                            prefix: Some("£".into()),
                            classes: Some("govuk-input--width-10".into()),
                            inputmode: Some("decimal".into()),
                            spellcheck: Some(false),
                            ..Input::default()
                        })
                    }
                    (Button { text: Some("Work out the indicative budget".into()), prevent_double_click: Some(true), ..Button::default() })
                }
            }
        }
    })
}

async fn policy_in_force(state: &AppState, caller: &Caller) -> Result<allot_domain::ras::Policy, Problem> {
    state.store.current_policy(caller.area, caller.today()).await?.map(|p| p.policy).ok_or_else(|| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "/problems/no-policy",
            "There is no allocation policy in force",
            "No allocation policy is in force today, so no budget can be worked out. Ask your commissioner to publish one.",
        )
    })
}

pub(crate) async fn questionnaire(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Markup, Problem> {
    let id: ChildId = parse_id(&id)?;
    let policy = policy_in_force(&state, &caller).await?;
    Ok(questionnaire_page(&ctx, &caller, id, &policy, &Fields::new(), &[]))
}

pub(crate) async fn answer_questionnaire(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, Problem> {
    let id: ChildId = parse_id(&id)?;
    let policy = policy_in_force(&state, &caller).await?;
    let under = |prefix: &str| -> BTreeMap<String, String> {
        fields
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_owned(), v.trim().to_owned())))
            .collect()
    };
    let form = QuestionnaireForm { answers: Some(under("answers.")), on: None, current: Some(under("current.")) };
    Ok(match record_questionnaire(&state, &caller, id, form).await {
        Ok(_) => Redirect::to(&format!("/children/{id}/budget")).into_response(),
        Err(problem) => refused(|errors| questionnaire_page(&ctx, &caller, id, &policy, &fields, errors), problem),
    })
}

pub(crate) async fn budget(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Markup, Problem> {
    let id: ChildId = parse_id(&id)?;
    let child = state.store.child(caller.area, id).await?;
    let allocations = allocations_of(&state, &caller, id).await?;
    let name = child.details.known_as();
    let may_answer = allot_domain::access::section_allowed(
        caller.user.details.role,
        allot_domain::access::Section::Budget,
        allot_domain::access::Op::Change,
    );
    let policy = state.store.current_policy(caller.area, caller.today()).await?;
    let streams = super::StreamNames::of(&state, &caller).await?;
    let content = html! {
        span class="govuk-caption-l" { (name) }
        h1 class="govuk-heading-l" { "Indicative budget" }
        @match allocations.last() {
            None => p class="govuk-body" { "No budget has been worked out yet." },
            Some(latest) => {
                p class="govuk-body-l" {
                    "The " (term("indicative-budget", "indicative budget")) " is "
                    strong { (money(latest["integrated_pence"].as_i64().unwrap_or_default())) } " a year."
                }
                p class="govuk-body" {
                    "Worked out on "
                    (latest["calculated_on"].as_str().and_then(|d| d.parse().ok()).map_or(String::new(), super::home::long_date))
                    " under the allocation policy " (latest["policy"]["policy_id"].as_str().unwrap_or_default())
                    ", version " (latest["policy"]["version"].as_str().unwrap_or_default())
                    ". It is a starting point for the support plan; the " (term("agreed-budget", "agreed budget")) " is set when the plan is signed off."
                }
                (Table {
                    caption: Some("By funding stream".into()),
                    caption_classes: Some("govuk-table__caption--m".into()),
                    head: vec![Cell::new("Funding stream"), Cell::numeric("Points"), Cell::new("Band"), Cell::numeric("A year")],
                    rows: latest["streams"].as_array().into_iter().flatten().map(|s| vec![
                        Cell::new(streams.name(s["stream_id"].as_str().unwrap_or_default())),
                        Cell::numeric(s["points"].to_string()),
                        Cell::new(s["band"].as_str().unwrap_or("Not eligible").to_owned()),
                        Cell::numeric(money(s["indicative_pence"].as_i64().unwrap_or_default())),
                    ]).collect(),
                    first_cell_is_header: true,
                })
                h2 class="govuk-heading-m" { "How it was worked out" }
                div class="govuk-inset-text allot-explanation" {
                    @for line in latest["explanation"].as_str().unwrap_or("The explanation could not be worked out again.").lines() {
                        @if line.is_empty() { br; } @else { (line) br; }
                    }
                }
                p class="govuk-body allot-no-print" { "To keep a copy, print this page: the header, menu and footer are left out." }
            }
        }
        @if may_answer && policy.is_some() {
            (Button {
                text: Some(Content::Text(if allocations.is_empty() { "Start the questionnaire".into() } else { "Answer the questionnaire again".into() })),
                href: Some(format!("/children/{id}/allocation")),
                classes: (!allocations.is_empty()).then(|| "govuk-button--secondary".into()),
                ..Button::default()
            })
        }
    };
    Ok(Frame::new(&ctx, "Indicative budget").render(content))
}
