//! Pages anyone may read without signing in: the allocation policy in
//! force, the words we use, and the accessibility statement.

use super::components::{Cell, Table};
use super::{Ctx, Frame};
use crate::caller::PublicArea;
use crate::{AppState, Problem};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

/// The words of `domain.md`, in plain English: `(anchor, word, meaning)`.
pub(crate) const GLOSSARY: &[(&str, &str, &str)] = &[
    (
        "personal-budget",
        "Personal budget",
        "Money from one organisation (the council's education or social care team, or the NHS) for one child's support. A personal health budget is the NHS's.",
    ),
    ("integrated-budget", "Integrated budget", "All of a child's personal budgets added together and planned as one."),
    (
        "funding-stream",
        "Funding stream",
        "Where part of the money comes from: education, social care or health (a council may have others, like transport). Each keeps its own rules, even inside an integrated budget.",
    ),
    (
        "ras",
        "Resource allocation system (RAS)",
        "The published way the council works out an indicative budget: each answer in the allocation questionnaire scores points, the points fall in a band, and the band gives an amount of money.",
    ),
    (
        "indicative-budget",
        "Indicative budget",
        "The amount the resource allocation system says your child is likely to need. It is a starting point for planning, not a final amount.",
    ),
    (
        "agreed-budget",
        "Agreed budget",
        "The amount agreed when the support plan is signed off. This is the money that is paid.",
    ),
    (
        "support-plan",
        "Support plan",
        "How your child's outcomes will be met: what matters to them, the help from family, friends and community, the support the money buys and what it costs, who holds which money, how your child keeps safe, and a contingency.",
    ),
    (
        "real-wealth",
        "Real wealth",
        "What a family already has that helps: family, friends, community groups and services open to everyone.",
    ),
    (
        "contingency",
        "Contingency",
        "Money set aside in the plan for when things change or go wrong. It is never treated as money left over.",
    ),
    ("direct-payment", "Direct payment", "Money paid to the family, who buy the support and show how it was spent."),
    (
        "isf",
        "Individual service fund (ISF)",
        "Money held by a provider or a school on the family's behalf, to pay for the support the family chose.",
    ),
    (
        "council-managed",
        "Council-managed (or NHS-managed)",
        "The council or the NHS arranges and pays for the support itself.",
    ),
    (
        "ehc-plan",
        "EHC plan",
        "An education, health and care plan: the legal plan for a child's education, health and care needs. It says what the personal budget is, what it buys, and how it is managed and reviewed.",
    ),
    (
        "lead-professional",
        "Lead professional",
        "The one person a family deals with (also called a keyworker or named worker).",
    ),
    (
        "pa",
        "Personal assistant (PA)",
        "Someone a family employs with a direct payment. They need a DBS (criminal record) check.",
    ),
    ("local-offer", "Local offer", "The published list of support available in the area."),
];

/// A link to a word in the glossary.
pub(crate) fn term(anchor: &str, text: &str) -> Markup {
    debug_assert!(GLOSSARY.iter().any(|(a, _, _)| *a == anchor), "no glossary entry {anchor}");
    html! { a class="govuk-link" href={ "/glossary#" (anchor) } { (text) } }
}

pub(crate) async fn glossary(ctx: Ctx) -> Markup {
    Frame::new(&ctx, "Words we use").render(html! {
        h1 class="govuk-heading-l" { "Words we use" }
        p class="govuk-body-l" { "What the words on these pages mean." }
        dl class="govuk-summary-list" {
            @for (anchor, word, meaning) in GLOSSARY {
                div class="govuk-summary-list__row" id=(anchor) {
                    dt class="govuk-summary-list__key" { (word) }
                    dd class="govuk-summary-list__value" { (meaning) }
                }
            }
        }
    })
}

pub(crate) async fn accessibility(ctx: Ctx) -> Markup {
    Frame::new(&ctx, "Accessibility statement").render(html! {
        h1 class="govuk-heading-l" { "Accessibility statement for Allot" }
        p class="govuk-body" {
            "This statement applies to Allot, the service your council uses to run personal budgets for children and young people with special educational needs and disabilities."
        }
        p class="govuk-body" { "We want as many people as possible to be able to use this service. For example, you should be able to:" }
        ul class="govuk-list govuk-list--bullet" {
            li { "zoom in up to 400% without the text spilling off the screen" }
            li { "use the whole service with only a keyboard" }
            li { "use the service with a screen reader" }
            li { "use the service without JavaScript" }
            li { "print a budget, its explanation and letters" }
        }
        h2 class="govuk-heading-m" { "How accessible this service is" }
        p class="govuk-body" {
            "Allot is built with the GOV.UK Design System. Every page is checked automatically, in a real browser, against the Web Content Accessibility Guidelines (WCAG) version 2.2 at levels A and AA, when it is empty, filled in and showing errors."
        }
        p class="govuk-body" { "We know some parts are not yet fully accessible:" }
        ul class="govuk-list govuk-list--bullet" {
            li { "some steps of the pathway are not yet available as pages, only through the service's interface for other systems" }
            li { "the service has not yet been tested by disabled people using their own assistive technology" }
        }
        h2 class="govuk-heading-m" { "Feedback and contact information" }
        p class="govuk-body" {
            "If you need information in a different format, like large print, easy read, audio or braille, or you find a problem with this service, tell your caseworker or contact your council. They will reply within 5 working days."
        }
        h2 class="govuk-heading-m" { "Enforcement procedure" }
        p class="govuk-body" {
            "The Equality and Human Rights Commission (EHRC) is responsible for enforcing the Public Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018. If you are not happy with how your council responds to your complaint, contact the Equality Advisory and Support Service (EASS)."
        }
        h2 class="govuk-heading-m" { "Compliance status" }
        p class="govuk-body" {
            "This service is partially compliant with the Web Content Accessibility Guidelines version 2.2 AA standard, because of the parts listed above."
        }
    })
}

/// The allocation policy in force, for anyone to read: every question,
/// option, points and band.
pub(crate) async fn policy(
    State(state): State<AppState>,
    ctx: Ctx,
    PublicArea(area): PublicArea,
) -> Result<Response, Problem> {
    let today = allot_domain::dates::date_in_england(jiff::Timestamp::now());
    let Some(published) = state.store.current_policy(area, today).await? else {
        let page = Frame::new(&ctx, "No allocation policy").render(html! {
            h1 class="govuk-heading-l" { "No allocation policy is in force" }
            p class="govuk-body" { "This area has not published a resource allocation policy yet." }
        });
        return Ok((StatusCode::NOT_FOUND, page).into_response());
    };
    let p = &published.policy;
    let page = Frame::new(&ctx, &p.title).render(html! {
        span class="govuk-caption-l" { "How budgets are worked out" }
        h1 class="govuk-heading-l" { (p.title) }
        p class="govuk-body" {
            "Version " (p.version) ", in force from " (super::home::long_date(p.effective_from)) ". Published "
            (super::home::long_date(allot_domain::dates::date_in_england(published.published_at))) "."
        }
        p class="govuk-body" {
            "This is how an " (term("indicative-budget", "indicative budget")) " is worked out. Each answer scores points for one or more "
            (term("funding-stream", "funding streams")) ". A stream's total points fall in a band, which gives an annual amount. "
            "That amount is multiplied by the age factor for the child's age (where the stream has one), a "
            (term("contingency", "contingency")) " is added, and the result is rounded to the nearest pound (halves round up). "
            "Nobody's amount falls by more than the stream's maximum reduction at one time from what they get now."
        }
        details class="govuk-details" {
            summary class="govuk-details__summary" { span class="govuk-details__summary-text" { "Check this is the published policy" } }
            div class="govuk-details__text" { "The policy's content hash (SHA-256) is " code { (p.content_hash) } "." }
        }
        @for s in &p.streams {
            h2 class="govuk-heading-m" { (s.name) }
            p class="govuk-body" {
                "Paid by: " (s.agency.label()) ". Eligible from " (s.eligibility_min_points) " points. Contingency "
                (s.contingency) "%. At most " (s.max_reduction) "% less at one time."
            }
            (Table {
                caption: Some(format!("Bands for {}", s.name)),
                caption_classes: Some("govuk-table__caption--s".into()),
                head: vec![Cell::new("Band"), Cell::new("Points"), Cell::numeric("Annual amount")],
                rows: s.bands.iter().map(|b| vec![
                    Cell::new(b.name.clone()),
                    Cell::new(b.max_points.map_or(format!("{} or more", b.min_points), |m| format!("{} to {m}", b.min_points))),
                    Cell::numeric(b.amount.to_string()),
                ]).collect(),
                first_cell_is_header: false,
            })
            @if !s.age_factors.is_empty() {
                (Table {
                    caption: Some(format!("Age factors for {}", s.name)),
                    caption_classes: Some("govuk-table__caption--s".into()),
                    head: vec![Cell::new("Age"), Cell::numeric("Multiply by")],
                    rows: s.age_factors.iter().map(|a| vec![
                        Cell::new(format!("{} to {}", a.min_age, a.max_age)),
                        Cell::numeric(a.factor.to_string()),
                    ]).collect(),
                    first_cell_is_header: false,
                })
            }
        }
        h2 class="govuk-heading-m" { "The questions" }
        @for q in &p.questions {
            h3 class="govuk-heading-s" { (q.text) @if q.optional { " (optional)" } }
            p class="govuk-body" { "About: " (q.domain) }
            @if let Some(help) = &q.help { p class="govuk-body" { (help) } }
            (Table {
                caption: Some(format!("Points for each answer to “{}”", q.text)),
                caption_classes: Some("govuk-visually-hidden".into()),
                head: std::iter::once(Cell::new("Answer"))
                    .chain(p.streams.iter().map(|s| Cell::numeric(format!("{} points", s.name))))
                    .collect(),
                rows: q.options.iter().map(|o| {
                    std::iter::once(Cell::new(o.label.clone()))
                        .chain(o.points.iter().map(|pts| Cell::numeric(pts.to_string())))
                        .collect()
                }).collect(),
                first_cell_is_header: true,
            })
        }
    });
    Ok(page.into_response())
}
