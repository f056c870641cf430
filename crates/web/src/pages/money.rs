//! Money in pages: a child's budget and statement for the year (what came
//! in, what went out, what is left, what it was for), and payment runs for
//! finance (prepare, check, release, the Bacs file and the journal).

use super::components::{
    BackLink, Button, Cell, Content, Input, Label, NotificationBanner, SummaryList, SummaryRow, Table, Tag, WarningText,
};
use super::home::long_date;
use super::info::term;
use super::{Ctx, Fields, Frame, StreamNames, error_summary, field_error, refused, value};
use crate::api::parse_id;
use crate::caller::Caller;
use crate::money::{money_of, run};
use crate::{AppState, Problem};
use allot_domain::finance::run::RunStatus;
use allot_domain::{ChildId, FieldError, Invalid, Pence};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

pub(crate) async fn child_money(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Fields>,
) -> Result<Markup, Problem> {
    let child = state.store.child(caller.area, parse_id::<ChildId>(&id)?).await?;
    let year = super::year_asked(&q, caller.today())?;
    let view = money_of(&state, &caller, child.id, year).await?;
    let streams = StreamNames::of(&state, &caller).await?;
    let name = child.details.known_as();
    let m = &view.money;
    Ok(Frame::about(&ctx, "Money", &child).render(html! {
        span class="govuk-caption-l" { (name) ", " (year) }
        h1 class="govuk-heading-l" { "Money" }
        @if m.streams.is_empty() {
            p class="govuk-body" { "No budget has been set up for this year yet. It is set up when the support plan is agreed." }
        } @else {
            (Table {
                caption: Some("The budget, by funding stream and how it is held".into()),
                caption_classes: Some("govuk-table__caption--m".into()),
                head: vec![Cell::new("Funding stream"), Cell::new("How it is held"), Cell::numeric("Budget"), Cell::numeric("Paid"), Cell::numeric("Due soon"), Cell::numeric("Left")],
                rows: m.streams.iter().map(|s| vec![
                    Cell::new(streams.name(&s.stream)),
                    Cell::new(s.route.label()),
                    Cell::numeric(s.figures.budget.to_string()),
                    Cell::numeric(s.figures.paid.to_string()),
                    Cell::numeric(s.figures.committed.to_string()),
                    Cell::numeric(s.left.to_string()),
                ]).collect(),
                first_cell_is_header: true,
            })
        }
        @if let Some(dp) = &m.direct_payment {
            h2 class="govuk-heading-m" { "The " (term("direct-payment", "direct payment")) " account" }
            (SummaryList {
                rows: vec![
                    SummaryRow::new("Paid in by the council", dp.paid_in.to_string()),
                    SummaryRow::new("Spent", dp.spent.to_string()),
                    SummaryRow::new("Should be in the account", Content::Html(html! { strong { (dp.balance) } })),
                ].into_iter().chain(view.paid_into.as_ref().map(|b| SummaryRow::new("Paid into", format!("{}, sort code {}, account {}", b.account_name, b.sort_code, b.account_number)))).collect(),
                classes: None,
            })
        }
        h2 class="govuk-heading-m" { "What came in and went out" }
        @if view.payments.is_empty() {
            p class="govuk-body" { "Nothing has been paid this year yet." }
        } @else {
            (Table {
                caption: None,
                caption_classes: None,
                head: vec![Cell::new("Date"), Cell::new("What"), Cell::new("Paid to"), Cell::new("For"), Cell::numeric("Amount")],
                rows: view.payments.iter().map(|p| vec![
                    Cell::new(long_date(p.on)),
                    Cell::new(p.what),
                    Cell::new(p.paid_to.clone()),
                    Cell::new(p.item_what.clone().unwrap_or_else(|| p.reference.clone())),
                    Cell::numeric(Pence::new(p.amount_pence).to_string()),
                ]).collect(),
                first_cell_is_header: false,
            })
        }
        @let items: Vec<_> = m.streams.iter().flat_map(|s| s.items.iter()).collect();
        @if !items.is_empty() {
            (Table {
                caption: Some("Spend against each part of the plan".into()),
                caption_classes: Some("govuk-table__caption--m".into()),
                head: vec![Cell::new("Support"), Cell::numeric("For the year"), Cell::numeric("Spent")],
                rows: items.iter().map(|i| vec![Cell::new(i.what.clone()), Cell::numeric(i.annual.to_string()), Cell::numeric(i.spent.to_string())]).collect(),
                first_cell_is_header: true,
            })
        }
        @if m.not_in_plan.pence() > 0 {
            (WarningText { text: format!("{} was spent on things not in the plan ({} lines). Your caseworker will talk to you about it.", m.not_in_plan, m.not_in_plan_lines).into(), icon_fallback_text: None })
        }
    }))
}

// Payment runs

fn status_tag(status: RunStatus) -> Tag {
    let colour = match status {
        RunStatus::Prepared => "govuk-tag--blue",
        RunStatus::Released => "govuk-tag--green",
        RunStatus::Cancelled => "govuk-tag--grey",
    };
    Tag { text: status.label().into(), classes: Some(colour.into()) }
}

fn runs_page(
    ctx: &Ctx,
    caller: &Caller,
    runs: &[allot_store::PaymentRun],
    fields: &Fields,
    errors: &[FieldError],
    note: Option<String>,
) -> Markup {
    let mut frame = Frame::new(ctx, "Payment runs");
    frame.has_errors = !errors.is_empty();
    frame.render(html! {
        @if let Some(note) = note { (NotificationBanner { content: Some(note.into()), ..NotificationBanner::default() }) }
        @if !errors.is_empty() { (error_summary(errors)) }
        h1 class="govuk-heading-l" { "Payment runs" }
        p class="govuk-body" {
            "A run gathers every payment due by its processing day into one Bacs file. Preparing a run pays nothing: "
            "check it, then release it. Nothing is ever paid twice."
        }
        p class="govuk-body" { a class="govuk-link" href="/statements" { "Import statements and invoices" } }
        form method="post" action="/payments" novalidate {
            input type="hidden" name="csrf_token" value=(caller.session.csrf_token);
            (Input {
                name: "date".into(),
                label: Some(Label { classes: Some("govuk-label--s".into()), ..Label::new("Processing day") }),
                hint: Some("Year, month and day, for example 2026-12-01".into()),
                error: field_error(errors, "date"),
                value: value(fields, "date").or_else(|| Some(caller.today().to_string())),
                classes: Some("govuk-input--width-10".into()),
                spellcheck: Some(false),
                ..Input::default()
            })
            (Button { text: Some("Prepare a run".into()), prevent_double_click: Some(true), ..Button::default() })
        }
        @if runs.is_empty() {
            p class="govuk-body" { "No runs yet." }
        } @else {
            (Table {
                caption: Some("Runs, newest first".into()),
                caption_classes: Some("govuk-table__caption--m".into()),
                head: vec![Cell::new("Run"), Cell::new("Processing day"), Cell::numeric("Payments"), Cell::numeric("Total"), Cell::new("Status")],
                rows: runs.iter().map(|r| vec![
                    Cell::new(Content::Html(html! { a class="govuk-link" href={ "/payments/" (r.id) } { "Run " (r.number) } })),
                    Cell::new(long_date(r.run_date)),
                    Cell::numeric(r.payments.to_string()),
                    Cell::numeric(r.total.to_string()),
                    Cell::new(Content::Html(html! { (status_tag(r.status)) })),
                ]).collect(),
                first_cell_is_header: false,
            })
        }
    })
}

pub(crate) async fn runs(State(state): State<AppState>, ctx: Ctx, caller: Caller) -> Result<Markup, Problem> {
    let runs = state.store.payment_runs(caller.area).await?;
    Ok(runs_page(&ctx, &caller, &runs, &Fields::new(), &[], None))
}

pub(crate) async fn prepare(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Form(fields): Form<Fields>,
) -> Result<Response, Problem> {
    let prepared = match allot_domain::dates::parse_date(value(&fields, "date").as_deref().unwrap_or("")) {
        Ok(day) => state.store.prepare_payment_run(caller.area, day, &caller.stamp()).await.map_err(Problem::from),
        Err(e) => Err(Problem::invalid(Invalid::one("date", e))),
    };
    let note = match prepared {
        Ok(outcome) => match outcome.run {
            Some(run) => return Ok(Redirect::to(&format!("/payments/{}", run.id)).into_response()),
            None if outcome.held.is_empty() => "Nothing new is due by that day: no run was prepared.".to_owned(),
            None => format!(
                "Nothing new is due by that day: no run was prepared. {} payment(s) are held back until their bank details are confirmed.",
                outcome.held.len()
            ),
        },
        Err(problem) => {
            let runs = state.store.payment_runs(caller.area).await?;
            return Ok(refused(|errors| runs_page(&ctx, &caller, &runs, &fields, errors, None), problem));
        }
    };
    let runs = state.store.payment_runs(caller.area).await?;
    Ok(runs_page(&ctx, &caller, &runs, &fields, &[], Some(note)).into_response())
}

pub(crate) async fn run_page(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Fields>,
) -> Result<Markup, Problem> {
    let r = run(&state, &caller, &id).await?;
    let mut frame = Frame::new(&ctx, "Payment run");
    frame.before_content = Some(html! { (BackLink { href: "/payments".into(), text: Some("Payment runs".into()) }) });
    let released = value(&q, "done").as_deref() == Some("released");
    Ok(frame.render(html! {
        @if released {
            (NotificationBanner { content: Some("The run has been released: its payments are made".into()), success: true, ..NotificationBanner::default() })
        }
        span class="govuk-caption-l" { "Run " (r.number) }
        h1 class="govuk-heading-l" { "Payment run for " (long_date(r.run_date)) }
        (SummaryList {
            rows: vec![
                SummaryRow::new("Status", Content::Html(html! { (status_tag(r.status)) })),
                SummaryRow::new("Payments", r.payments.to_string()),
                SummaryRow::new("Total", Content::Html(html! { strong { (r.total) } })),
                SummaryRow::new("Prepared", format!("{} by {}", long_date(allot_domain::dates::date_in_england(r.prepared_at)), r.prepared_by)),
            ].into_iter()
            .chain(r.decided_by.as_ref().map(|by| SummaryRow::new(if r.status == RunStatus::Cancelled { "Cancelled" } else { "Released" }, format!("{} by {}", r.decided_at.map(|t| long_date(allot_domain::dates::date_in_england(t))).unwrap_or_default(), by))))
            .chain(r.reason.as_ref().map(|reason| SummaryRow::new("Why", reason.clone())))
            .collect(),
            classes: None,
        })
        @if !r.held.is_empty() {
            (Table {
                caption: Some("Held back".into()),
                caption_classes: Some("govuk-table__caption--m".into()),
                head: vec![Cell::numeric("Amount"), Cell::new("Why")],
                rows: r.held.iter().map(|h| vec![Cell::numeric(h.amount.to_string()), Cell::new(h.reason.clone())]).collect(),
                first_cell_is_header: false,
            })
        }
        p class="govuk-body" {
            a class="govuk-link" href={ "/api/v1/payment-runs/" (r.id) "/bacs" } { "Download the Bacs file" } " · "
            a class="govuk-link" href={ "/api/v1/payment-runs/" (r.id) "/journal" } { "Download the journal (CSV)" }
        }
        @if r.status == RunStatus::Prepared {
            (WarningText { text: format!("Releasing the run pays {} to {} payees. It cannot be undone.", r.total, r.payments).into(), icon_fallback_text: None })
            form method="post" action={ "/payments/" (r.id) "/release" } novalidate {
                input type="hidden" name="csrf_token" value=(caller.session.csrf_token);
                (Button { text: Some("Release the run".into()), prevent_double_click: Some(true), ..Button::default() })
            }
        }
    }))
}

pub(crate) async fn release(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let released = state.store.release_payment_run(caller.area, parse_id(&id)?, &caller.stamp()).await?;
    Ok(Redirect::to(&format!("/payments/{}?done=released", released.id)).into_response())
}
