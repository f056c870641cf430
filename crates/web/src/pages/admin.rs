//! Administration: the people who use Allot (add them with their role,
//! organisation and teams; stop or restore their access, or give them new
//! sign-in details, always with a reason for the record), and publishing
//! the allocation and delegation policies.

use super::components::{
    Button, Cell, Choice, Content, Input, Label, Legend, NotificationBanner, Radios, Select, SummaryList, SummaryRow,
    Table, Tag, Textarea, WarningText,
};
use super::home::long_date;
use super::{Ctx, Fields, Frame, error_summary, field_error, refused, value};
use crate::api::ReasonForm;
use crate::caller::Caller;
use crate::users::{Handover, add_user, reset_user, set_disabled};
use crate::{AppState, Problem};
use allot_domain::dates::date_in_england;
use allot_domain::organisation::OrganisationKind;
use allot_domain::pathway::delegation::DelegationPolicy;
use allot_domain::ras::Policy;
use allot_domain::user::{User, UserForm};
use allot_domain::{FieldError, Invalid, Role};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

fn status_tag(user: &User) -> Markup {
    if user.disabled {
        html! { (Tag { text: "Cannot sign in".into(), classes: Some("govuk-tag--grey".into()) }) }
    } else {
        html! { (Tag { text: "Active".into(), classes: Some("govuk-tag--green".into()) }) }
    }
}

/// The sign-in details to hand over, shown this once.
fn handover_page(ctx: &Ctx, handover: &Handover, what: &str) -> Markup {
    let u = &handover.user.details;
    Frame::new(ctx, what).render(html! {
        (NotificationBanner { content: Some(format!("{what}: {}", u.name).into()), success: true, ..NotificationBanner::default() })
        h1 class="govuk-heading-l" { "Sign-in details for " (u.name) }
        (WarningText { text: "These are shown only once. Give them to the person in a safe way; they choose a new password when they first sign in.".into(), icon_fallback_text: None })
        (SummaryList { rows: [
            Some(SummaryRow::new("User name", u.username.to_string())),
            Some(SummaryRow::new("Temporary password", html! { code class="allot-secret" { (handover.temporary_password) } })),
            handover.authenticator.as_ref().map(|(secret, _)| SummaryRow::new("Authenticator app key", html! { code class="allot-secret" { (secret) } })),
        ].into_iter().flatten().collect(), classes: None })
        p class="govuk-body" { a class="govuk-link" href="/admin/users" { "Back to users" } }
    })
}

fn users_page(ctx: &Ctx, caller: &Caller, users: &[User], fields: &Fields, errors: &[FieldError]) -> Markup {
    let mut frame = Frame::new(ctx, "Users");
    frame.has_errors = !errors.is_empty();
    frame.render(html! {
        @if !errors.is_empty() { (error_summary(errors)) }
        h1 class="govuk-heading-l" { "Users" }
        (Table {
            caption: Some(format!("{} people can use Allot in this area", users.len())),
            caption_classes: Some("govuk-table__caption--s".into()),
            head: vec![Cell::new("Name"), Cell::new("User name"), Cell::new("Role"), Cell::new("Teams"), Cell::new("Status")],
            rows: users.iter().map(|u| vec![
                Cell::new(html! { a class="govuk-link" href={ "/admin/users/" (u.id) } { (u.details.name) } }),
                Cell::new(u.details.username.to_string()),
                Cell::new(u.details.role.label()),
                Cell::new(u.details.teams.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ")),
                Cell::new(status_tag(u)),
            ]).collect(),
            first_cell_is_header: true,
        })
        h2 class="govuk-heading-m" id="add" { "Add someone" }
        p class="govuk-body" {
            "Add council staff here. Families are linked to their child when they are added, and staff of schools, "
            "providers and the NHS with their organisation, through " code { "allot users add" } " or the API."
        }
        form method="post" action="/admin/users" novalidate {
            input type="hidden" name="csrf_token" value=(caller.session.csrf_token);
            (Input { name: "name".into(), label: Some(Label::new("Full name")), error: field_error(errors, "name"), value: value(fields, "name"), autocomplete: Some("off".into()), ..Input::default() })
            (Input { name: "username".into(), label: Some(Label::new("User name")), hint: Some("Their work email address".into()), error: field_error(errors, "username"), value: value(fields, "username"), spellcheck: Some(false), autocomplete: Some("off".into()), ..Input::default() })
            (Select {
                name: "role".into(),
                label: Some(Label::new("Role")),
                error: field_error(errors, "role"),
                items: std::iter::once(Choice::new("", "Choose a role")).chain(Role::ALL.iter().filter(|r| r.organisation_kind() == Some(OrganisationKind::Council)).map(|r| Choice::new(r.code(), r.label()))).collect(),
                value: value(fields, "role"),
                ..Select::default()
            })
            (Input { name: "teams".into(), label: Some(Label::new("Teams (for caseworkers and their managers)")), hint: Some("Separate teams with commas, like SEN North, SEN South".into()), error: field_error(errors, "teams"), value: value(fields, "teams"), ..Input::default() })
            (Button { text: Some("Add the user".into()), prevent_double_click: Some(true), ..Button::default() })
        }
    })
}

pub(crate) async fn users(State(state): State<AppState>, ctx: Ctx, caller: Caller) -> Result<Markup, Problem> {
    let users = state.store.users(caller.area).await?;
    Ok(users_page(&ctx, &caller, &users, &Fields::new(), &[]))
}

pub(crate) async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Form(fields): Form<Fields>,
) -> Result<Response, Problem> {
    // Staff work for the council unless the role says otherwise; the
    // council is the organisation that employs the administrator.
    let form = UserForm {
        username: value(&fields, "username"),
        name: value(&fields, "name"),
        role: value(&fields, "role"),
        organisation_id: caller.user.details.organisation_id.map(|o| o.to_string()),
        professional_id: None,
        teams: value(&fields, "teams")
            .map(|t| t.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()),
        children: None,
    };
    match add_user(&state, &caller, &form).await {
        Ok(handover) => Ok((StatusCode::CREATED, handover_page(&ctx, &handover, "User added")).into_response()),
        Err(problem) => {
            let users = state.store.users(caller.area).await?;
            Ok(refused(|errors| users_page(&ctx, &caller, &users, &fields, errors), problem))
        }
    }
}

fn user_page(
    ctx: &Ctx,
    caller: &Caller,
    user: &User,
    fields: &Fields,
    errors: &[FieldError],
    done: Option<&String>,
) -> Markup {
    let d = &user.details;
    let mut frame = Frame::new(ctx, d.name.as_str());
    frame.has_errors = !errors.is_empty();
    frame.before_content =
        Some(html! { (super::components::BackLink { href: "/admin/users".into(), text: Some("Users".into()) }) });
    frame.render(html! {
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            @if let Some(done) = done {
                (NotificationBanner { content: Some(if done == "disable" { "They can no longer sign in" } else { "They can sign in again" }.into()), success: true, ..NotificationBanner::default() })
            }
            @if !errors.is_empty() { (error_summary(errors)) }
            h1 class="govuk-heading-l" { (d.name) }
            (SummaryList { rows: vec![
                SummaryRow::new("User name", d.username.to_string()),
                SummaryRow::new("Role", d.role.label()),
                SummaryRow::new("Teams", if d.teams.is_empty() { "None".to_owned() } else { d.teams.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ") }),
                SummaryRow::new("Authenticator app", if user.has_second_factor { "Set up" } else { "Not set up" }),
                SummaryRow::new("Status", status_tag(user)),
            ], classes: None })
            h2 class="govuk-heading-m" { "Change their access" }
            form method="post" action={ "/admin/users/" (user.id) } novalidate {
                input type="hidden" name="csrf_token" value=(caller.session.csrf_token);
                (Radios {
                    name: "action".into(),
                    legend: Some(Legend { classes: Some("govuk-fieldset__legend--s".into()), ..Legend::new("What do you want to do?") }),
                    error: field_error(errors, "action"),
                    items: vec![
                        if user.disabled { Choice::new("enable", "Let them sign in again") } else { Choice::new("disable", "Stop them signing in") },
                        Choice { hint: Some("A new temporary password and authenticator key, for a lost phone or a forgotten password".into()), ..Choice::new("reset", "Give them new sign-in details") },
                    ],
                    value: value(fields, "action"),
                    ..Radios::default()
                })
                (Textarea { name: "reason".into(), label: Some(Label { classes: Some("govuk-label--s".into()), ..Label::new("Why? (kept in the record)") }), error: field_error(errors, "reason"), value: value(fields, "reason"), rows: Some(3), ..Textarea::default() })
                (Button { text: Some("Make the change".into()), prevent_double_click: Some(true), ..Button::default() })
            }
        } }
    })
}

pub(crate) async fn user(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Fields>,
) -> Result<Markup, Problem> {
    let user = state.store.user(caller.area, crate::api::parse_id(&id)?).await?;
    Ok(user_page(&ctx, &caller, &user, &Fields::new(), &[], q.get("done")))
}

pub(crate) async fn change_user(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    form: Result<Form<Fields>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Problem> {
    // Someone who is not there is not there, whatever was sent.
    let user = state.store.user(caller.area, crate::api::parse_id(&id)?).await?;
    let Form(fields) = form.map_err(|e| Problem::bad_request(e.body_text()))?;
    let reason = ReasonForm { reason: value(&fields, "reason") };
    let action = value(&fields, "action").unwrap_or_default();
    let result = match action.as_str() {
        "reset" => match reset_user(&state, &caller, &id, &reason).await {
            Ok(handover) => return Ok(handover_page(&ctx, &handover, "New sign-in details").into_response()),
            Err(problem) => Err(problem),
        },
        "disable" | "enable" => set_disabled(&state, &caller, &id, &reason, action == "disable").await,
        _ => {
            let mut inv = Invalid::one("action", "choose what to do");
            if reason.parse().is_err() {
                inv.push("reason", "give the reason, for the record");
            }
            Err(Problem::invalid(inv))
        }
    };
    Ok(match result {
        Ok(changed) => Redirect::to(&format!("/admin/users/{}?done={action}", changed.id)).into_response(),
        Err(problem) => refused(|errors| user_page(&ctx, &caller, &user, &fields, errors, None), problem),
    })
}

// Policies

fn policies_page(
    ctx: &Ctx,
    caller: &Caller,
    published: (&[allot_domain::ras::PublishedPolicy], &[allot_domain::pathway::delegation::PublishedDelegation]),
    fields: &Fields,
    errors: &[FieldError],
    done: Option<&String>,
) -> Markup {
    let (ras, delegation) = published;
    let mut frame = Frame::new(ctx, "Policies");
    frame.has_errors = !errors.is_empty();
    frame.render(html! {
        @if let Some(done) = done {
            (NotificationBanner { content: Some(format!("The {} policy has been published", if done == "delegation" { "delegation" } else { "allocation" }).into()), success: true, ..NotificationBanner::default() })
        }
        @if !errors.is_empty() { (error_summary(errors)) }
        h1 class="govuk-heading-l" { "Policies" }
        (Table {
            caption: Some("Allocation policies (how indicative budgets are worked out)".into()),
            caption_classes: Some("govuk-table__caption--m".into()),
            head: vec![Cell::new("Policy"), Cell::new("Version"), Cell::new("In force from"), Cell::new("Published")],
            rows: ras.iter().rev().map(|p| vec![
                Cell::new(p.policy.title.clone()),
                Cell::new(p.policy.version.clone()),
                Cell::new(long_date(p.policy.effective_from)),
                Cell::new(format!("{} by {}", long_date(date_in_england(p.published_at)), p.published_by)),
            ]).collect(),
            first_cell_is_header: true,
        })
        p class="govuk-body" { a class="govuk-link" href="/policy" { "The policy in force, as families read it" } }
        (Table {
            caption: Some("Delegation policies (who may approve how much)".into()),
            caption_classes: Some("govuk-table__caption--m".into()),
            head: vec![Cell::new("Version"), Cell::new("Published")],
            rows: delegation.iter().rev().map(|p| vec![
                Cell::new(if Some(p.version) == delegation.last().map(|l| l.version) { format!("{} (in force)", p.version) } else { p.version.to_string() }),
                Cell::new(format!("{} by {}", long_date(date_in_england(p.published_at)), p.published_by)),
            ]).collect(),
            first_cell_is_header: true,
        })
        h2 class="govuk-heading-m" { "Publish a policy" }
        p class="govuk-body" { "A published policy is never changed: a new version replaces it from its date. Check it with " code { "allot ras check" } " first." }
        form method="post" action="/admin/policies" novalidate {
            input type="hidden" name="csrf_token" value=(caller.session.csrf_token);
            (Radios {
                name: "kind".into(),
                legend: Some(Legend { classes: Some("govuk-fieldset__legend--s".into()), ..Legend::new("Which kind of policy?") }),
                error: field_error(errors, "kind"),
                items: vec![Choice::new("allocation", "Allocation policy (the RAS)"), Choice::new("delegation", "Delegation policy")],
                value: value(fields, "kind"),
                ..Radios::default()
            })
            (Textarea {
                name: "file".into(),
                label: Some(Label { classes: Some("govuk-label--s".into()), ..Label::new("The policy file") }),
                hint: Some(Content::Text("Paste the whole TOML file".into())),
                error: field_error(errors, "file"),
                value: value(fields, "file"),
                rows: Some(12),
                ..Textarea::default()
            })
            (Button { text: Some("Publish the policy".into()), prevent_double_click: Some(true), ..Button::default() })
        }
    })
}

async fn render_policies(
    state: &AppState,
    ctx: &Ctx,
    caller: &Caller,
    fields: &Fields,
    errors: &[FieldError],
    done: Option<&String>,
) -> Result<Markup, Problem> {
    let ras = state.store.policies(caller.area).await?;
    let delegation = state.store.delegation_policies(caller.area).await?;
    Ok(policies_page(ctx, caller, (&ras, &delegation), fields, errors, done))
}

pub(crate) async fn policies(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Query(q): Query<Fields>,
) -> Result<Markup, Problem> {
    render_policies(&state, &ctx, &caller, &Fields::new(), &[], q.get("done")).await
}

/// A policy file's problems as one error on the field, naming each line.
fn file_problems(errors: Vec<allot_domain::ras::PolicyError>) -> Problem {
    let lines: Vec<String> = errors.iter().map(|e| format!("line {}: {}", e.line, e.message)).collect();
    Problem::invalid(Invalid::one("file", format!("the file has problems: {}", lines.join("; "))))
}

pub(crate) async fn publish(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Form(fields): Form<Fields>,
) -> Result<Response, Problem> {
    let text = value(&fields, "file").unwrap_or_default();
    let kind = value(&fields, "kind").unwrap_or_default();
    let published = match kind.as_str() {
        _ if text.trim().is_empty() => {
            let mut inv = Invalid::default();
            if !matches!(kind.as_str(), "allocation" | "delegation") {
                inv.push("kind", "choose which kind of policy it is");
            }
            inv.push("file", "paste the policy file");
            Err(Problem::invalid(inv))
        }
        "allocation" => match Policy::parse(&text) {
            Ok(policy) => state
                .store
                .publish_policy(caller.area, &policy, &text, &caller.stamp())
                .await
                .map(|_| ())
                .map_err(Problem::from),
            Err(errors) => Err(file_problems(errors)),
        },
        "delegation" => match DelegationPolicy::parse(&text) {
            Ok(policy) => state
                .store
                .publish_delegation(caller.area, &policy, &text, &caller.stamp())
                .await
                .map(|_| ())
                .map_err(Problem::from),
            Err(errors) => Err(file_problems(errors)),
        },
        _ => Err(Problem::invalid(Invalid::one("kind", "choose which kind of policy it is"))),
    };
    match published {
        Ok(()) => Ok(Redirect::to(&format!("/admin/policies?done={kind}")).into_response()),
        Err(problem) => {
            let ras = state.store.policies(caller.area).await?;
            let delegation = state.store.delegation_policies(caller.area).await?;
            // A version published before is said on the file.
            let problem = problem.on_field("file");
            Ok(refused(|errors| policies_page(&ctx, &caller, (&ras, &delegation), &fields, errors, None), problem))
        }
    }
}
