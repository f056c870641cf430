//! For commissioners: what-if modelling of a new allocation policy over the
//! whole area (change a band's amount, see the totals and how many children
//! gain or lose), and the area's money with charts.

use super::chart::{Bar, bar_chart};
use super::components::{Button, Cell, Input, InsetText, Label, Table};
use super::{Ctx, Fields, Frame, StreamNames, error_summary, field_error, money, value, year_asked, year_form};
use crate::caller::Caller;
use crate::{AppState, Problem};
use allot_domain::finance::reports::area_spend;
use allot_domain::ras::Policy;
use allot_domain::ras::simulate::{Baseline, ChangeSummary, Simulation, population};
use allot_domain::{Invalid, Pence};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

/// The field for a band's amount: `band-{stream}-{index}`.
fn band_field(stream: &str, index: usize) -> String {
    format!("band-{stream}-{index}")
}

/// The what-if policy: the current one with the band amounts sent, or
/// every problem with them.
fn what_if_policy(current: &Policy, fields: &Fields) -> Result<Policy, Invalid> {
    let mut to = current.clone();
    to.version = format!("{} (what if)", current.version);
    let mut inv = Invalid::default();
    for stream in &mut to.streams {
        for (i, band) in stream.bands.iter_mut().enumerate() {
            let field = band_field(&stream.id, i);
            if let Some(text) = value(fields, &field) {
                match Pence::parse(&text) {
                    Ok(p) if p < Pence::ZERO => inv.push(&field, "cannot be less than £0"),
                    Ok(p) => band.amount = p,
                    Err(e) => inv.push(&field, e.to_string()),
                }
            }
        }
    }
    inv.finish(|| to)
}

/// "+£1,234.00", "−£5.00", "no change".
fn change(pence: i64) -> String {
    match pence {
        0 => "no change".into(),
        p if p > 0 => format!("+{}", Pence::new(p)),
        p => format!("−{}", Pence::new(-p)),
    }
}

fn summary_row(name: String, s: &ChangeSummary) -> Vec<Cell> {
    vec![
        Cell::new(name),
        Cell::numeric(money(s.old_protected_pence)),
        Cell::numeric(money(s.new_protected_pence)),
        Cell::numeric(change(s.new_protected_pence - s.old_protected_pence)),
        Cell::numeric(s.gain.to_string()),
        Cell::numeric(s.lose.to_string()),
        Cell::numeric(s.same.to_string()),
    ]
}

fn results(sim: &Simulation, streams: &StreamNames) -> Markup {
    let t = &sim.total;
    let bars: Vec<Bar> = sim
        .histogram
        .iter()
        .map(|b| Bar { label: b.label.to_owned(), value: b.children as i64, text: format!("{} children", b.children) })
        .collect();
    html! {
        h2 class="govuk-heading-m" { "The effect" }
        p class="govuk-body-l" {
            "Across " (sim.children) " children, budgets would come to " strong { (money(t.new_protected_pence)) }
            " a year, against " (money(t.old_protected_pence)) " now (" (change(t.new_protected_pence - t.old_protected_pence)) "). "
            strong { (t.gain) " would gain" } ", " strong { (t.lose) " would lose" } ", " (t.same) " stay the same."
        }
        (Table {
            caption: Some("By funding stream, after protection from sudden cuts".into()),
            caption_classes: Some("govuk-table__caption--s".into()),
            head: vec![Cell::new("Stream"), Cell::numeric("Now"), Cell::numeric("What if"), Cell::numeric("Change"), Cell::numeric("Gain"), Cell::numeric("Lose"), Cell::numeric("Same")],
            rows: sim.streams.iter().map(|(id, s)| summary_row(streams.name(id), s))
                .chain(std::iter::once(summary_row("All streams".into(), t))).collect(),
            first_cell_is_header: true,
        })
        (bar_chart("what-if-changes", "How many children's budgets would change, and by how much", &bars))
        @if !sim.largest.is_empty() {
            (Table {
                caption: Some("The largest changes".into()),
                caption_classes: Some("govuk-table__caption--s".into()),
                head: vec![Cell::new("Child"), Cell::numeric("Now"), Cell::numeric("What if"), Cell::numeric("Change")],
                rows: sim.largest.iter().map(|c| vec![
                    Cell::new(c.child_id.clone()),
                    Cell::numeric(money(c.old_pence)),
                    Cell::numeric(money(c.new_pence)),
                    Cell::numeric(change(c.change_pence)),
                ]).collect(),
                first_cell_is_header: true,
            })
        }
    }
}

pub(crate) async fn what_if(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Query(fields): Query<Fields>,
) -> Result<Response, Problem> {
    let today = caller.today();
    let Some(published) = state.store.current_policy(caller.area, today).await? else {
        return Ok(Frame::new(&ctx, "What if the policy changed?")
            .render(html! {
                h1 class="govuk-heading-l" { "What if the policy changed?" }
                p class="govuk-body" { "No allocation policy is in force yet, so there is nothing to compare with." }
            })
            .into_response());
    };
    let from = &published.policy;
    let names = StreamNames::of(&state, &caller).await?;
    let latest = state.store.latest_allocations(caller.area).await?;
    let streams = from.streams.iter().map(|s| s.id.clone()).collect();
    // Stored answers that no longer fit the policy in force, or a child
    // the policy cannot evaluate, stop the modelling and say which child.
    let cannot_model = |e: &dyn std::fmt::Display| {
        Problem::new(StatusCode::CONFLICT, "/problems/refused", "The modelling cannot run", format!("{e}."))
    };
    let (answers, current) = population(from, streams, &latest).map_err(|e| cannot_model(&e))?;
    let (outcome, errors) = match what_if_policy(from, &fields) {
        Ok(to) if !answers.is_empty() => {
            let sim = Baseline::new(from, &answers, &current, today).and_then(|b| b.compare(&to));
            (Some(sim.map_err(|e| cannot_model(&e))?), Vec::new())
        }
        Ok(_) => (None, Vec::new()),
        Err(invalid) => (None, invalid.0),
    };
    let mut frame = Frame::new(&ctx, "What if the policy changed?");
    frame.has_errors = !errors.is_empty();
    let page = frame.render(html! {
        @if !errors.is_empty() { (error_summary(&errors)) }
        span class="govuk-caption-l" { (from.title) ", version " (from.version) }
        h1 class="govuk-heading-l" { "What if the policy changed?" }
        p class="govuk-body" {
            "Change what a band gives and see what it would mean for every child with a completed questionnaire: "
            "the area's total and how many children would gain or lose. Nothing is published or changed."
        }
        div class="govuk-grid-row" {
            div class="govuk-grid-column-one-third" {
                form method="get" action="/what-if" novalidate data-what-if {
                    @for stream in &from.streams {
                        fieldset class="govuk-fieldset" {
                            legend class="govuk-fieldset__legend govuk-fieldset__legend--s" { (stream.name) }
                            @for (i, band) in stream.bands.iter().enumerate() {
                                @let field = band_field(&stream.id, i);
                                @let points = match band.max_points { Some(max) => format!("{} to {max} points", band.min_points), None => format!("{} points or more", band.min_points) };
                                (Input {
                                    name: field.clone(),
                                    label: Some(Label::new(format!("{} ({points})", band.name))),
                                    hint: Some(format!("Now {}", band.amount).into()),
                                    error: field_error(&errors, &field),
                                    value: value(&fields, &field).or_else(|| Some(band.amount.to_decimal_string())),
                                    prefix: Some("£".into()),
                                    classes: Some("govuk-input--width-10".into()),
                                    inputmode: Some("decimal".into()),
                                    spellcheck: Some(false),
                                    ..Input::default()
                                })
                            }
                        }
                    }
                    (Button { text: Some("See the effect".into()), ..Button::default() })
                }
            }
            div class="govuk-grid-column-two-thirds" id="what-if-results" aria-live="polite" {
                @if let Some(sim) = &outcome {
                    (results(sim, &names))
                } @else if answers.is_empty() {
                    (InsetText { id: None, content: "No child has a completed questionnaire yet.".into(), classes: None })
                } @else {
                    (InsetText { id: None, content: "Correct the amounts to see the effect.".into(), classes: None })
                }
            }
        }
    });
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, page).into_response())
}

/// Month keys (2026-04) as people say them (April 2026).
fn month_name(key: &str) -> String {
    format!("{key}-01")
        .parse::<jiff::civil::Date>()
        .map_or_else(|_| key.to_owned(), |d| d.strftime("%B %Y").to_string())
}

pub(crate) async fn money_report(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Query(q): Query<Fields>,
) -> Result<Markup, Problem> {
    let year = year_asked(&q, caller.today())?;
    let transfers: Vec<_> = state.store.transfers(caller.area, None).await?.into_iter().map(|s| s.transfer).collect();
    let report = area_spend(&transfers, year);
    let names = StreamNames::of(&state, &caller).await?;
    let bars: Vec<Bar> = report
        .paid_by_month
        .iter()
        .map(|(month, paid)| Bar { label: month_name(month), value: paid.pence(), text: paid.to_string() })
        .collect();
    Ok(Frame::new(&ctx, "The area's money").render(html! {
        span class="govuk-caption-l" { (year) }
        h1 class="govuk-heading-l" { "The area's money" }
        (year_form("/reports/money", year, caller.today()))
        p class="govuk-body-l" {
            "Budgets of " strong { (report.total.budget) } ": " (report.total.paid) " paid, "
            (report.total.committed) " due to be paid, " (report.left) " not yet set aside. "
            (report.recovered) " recovered after audits."
        }
        @if bars.is_empty() {
            p class="govuk-body" { "Nothing has been paid in this year yet." }
        } @else {
            (bar_chart("paid-by-month", "Paid each month", &bars))
            (Table {
                caption: Some("Paid each month".into()),
                caption_classes: Some("govuk-table__caption--s".into()),
                head: vec![Cell::new("Month"), Cell::numeric("Paid")],
                rows: bars.iter().map(|b| vec![Cell::new(b.label.clone()), Cell::numeric(b.text.clone())]).collect(),
                first_cell_is_header: true,
            })
        }
        (Table {
            caption: Some("By funding stream and how the money is held".into()),
            caption_classes: Some("govuk-table__caption--m".into()),
            head: vec![Cell::new("Stream"), Cell::new("How it is held"), Cell::numeric("Children"), Cell::numeric("Budget"), Cell::numeric("Paid"), Cell::numeric("Due"), Cell::numeric("Left")],
            rows: report.streams.iter().map(|s| vec![
                Cell::new(names.name(&s.stream)),
                Cell::new(s.route.label()),
                Cell::numeric(s.children.to_string()),
                Cell::numeric(s.figures.budget.to_string()),
                Cell::numeric(s.figures.paid.to_string()),
                Cell::numeric(s.figures.committed.to_string()),
                Cell::numeric(s.left.to_string()),
            ]).collect(),
            first_cell_is_header: true,
        })
        @if report.streams.is_empty() { p class="govuk-body" { "No budget has been set up in this year." } }
        p class="govuk-body" { a class="govuk-link" href="/reports/organisations" { "What each provider and school was paid" } }
    }))
}
