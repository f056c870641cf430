//! What providers and schools are paid. A provider or school sees the
//! children it holds money for (an individual service fund or a
//! commissioned service), what has been paid against each part of their
//! plans and what is still to come, ready for the annual review; finance,
//! managers and commissioners see every organisation.

use super::components::{Cell, Table};
use super::{Ctx, Fields, Frame, StreamNames, money, year_asked, year_form};
use crate::caller::Caller;
use crate::money::organisations_paid;
use crate::pathway::children_in;
use crate::receipts::plan_items;
use crate::{AppState, Problem};
use allot_domain::access::ChildScope;
use allot_domain::{ChildId, Role};
use axum::extract::{Query, State};
use maud::{Markup, html};
use std::collections::HashMap;

pub(crate) async fn organisations(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Query(q): Query<Fields>,
) -> Result<Markup, Problem> {
    let year = year_asked(&q, caller.today())?;
    let paid = organisations_paid(&state, &caller, year, None, None).await?;
    let own = matches!(caller.user.details.role, Role::SchoolSenco | Role::ProviderStaff);
    // Names only for the children the person may see; a reference else.
    let names: HashMap<ChildId, String> = children_in(&state, &caller, &ChildScope::of(&caller.user.viewer()))
        .await?
        .into_iter()
        .map(|c| (c.id, c.details.known_as()))
        .collect();
    let streams = StreamNames::of(&state, &caller).await?;
    let title = if own { "The children you hold money for" } else { "What providers and schools are paid" };
    let year_form = year_form("/reports/organisations", year, caller.today());
    let content = if own {
        let mut children = Vec::new();
        for (_, o) in &paid {
            for c in &o.children {
                let items =
                    if names.contains_key(&c.child) { plan_items(&state, &caller, c.child).await? } else { Vec::new() };
                children.push((c, items));
            }
        }
        html! {
            @if let Some((org, _)) = paid.first() { span class="govuk-caption-l" { (org.name) ", " (year) } }
            h1 class="govuk-heading-l" { (title) }
            p class="govuk-body" {
                "What has been paid to you against each part of a child's plan, and what is still to come this year. "
                "Print this page for a child's annual review."
            }
            (year_form)
            @if children.is_empty() {
                p class="govuk-body" { "You hold no money for any child in " (year) "." }
            }
            @for (c, items) in &children {
                @let item_name = |key: &Option<String>| key.as_ref().and_then(|k| items.iter().find(|i| &i.key == k)).map_or_else(|| "Other".to_owned(), |i| i.what.clone());
                h2 class="govuk-heading-m" {
                    @match names.get(&c.child) {
                        Some(name) => { a class="govuk-link" href={ "/children/" (c.child) "/plan" } { (name) } },
                        None => { "A child you no longer work with" },
                    }
                }
                (Table {
                    caption: None,
                    caption_classes: None,
                    head: vec![Cell::new("Part of the plan"), Cell::new("Funding stream"), Cell::new("How it is held"), Cell::numeric("Paid"), Cell::numeric("Still to come")],
                    rows: c.items.iter().map(|i| vec![
                        Cell::new(item_name(&i.item)),
                        Cell::new(streams.name(&i.stream)),
                        Cell::new(i.route.label()),
                        Cell::numeric(i.paid.to_string()),
                        Cell::numeric(i.committed.to_string()),
                    ]).chain(std::iter::once(vec![
                        Cell::new(html! { strong { "Total" } }),
                        Cell::new(""),
                        Cell::new(""),
                        Cell::numeric(html! { strong { (c.paid) } }),
                        Cell::numeric(html! { strong { (c.committed) } }),
                    ])).collect(),
                    first_cell_is_header: true,
                })
            }
        }
    } else {
        html! {
            span class="govuk-caption-l" { (year) }
            h1 class="govuk-heading-l" { (title) }
            (year_form)
            @if paid.is_empty() {
                p class="govuk-body" { "No provider or school has been paid in " (year) "." }
            } @else {
                (Table {
                    caption: None,
                    caption_classes: None,
                    head: vec![Cell::new("Organisation"), Cell::new("Kind"), Cell::numeric("Children"), Cell::numeric("Paid"), Cell::numeric("Still to come")],
                    rows: paid.iter().map(|(org, o)| vec![
                        Cell::new(org.name.to_string()),
                        Cell::new(org.kind.label()),
                        Cell::numeric(o.children.len().to_string()),
                        Cell::numeric(o.paid.to_string()),
                        Cell::numeric(o.committed.to_string()),
                    ]).chain(std::iter::once(vec![
                        Cell::new(html! { strong { "Total" } }),
                        Cell::new(""),
                        Cell::numeric(""),
                        Cell::numeric(html! { strong { (money(paid.iter().map(|(_, o)| o.paid.pence()).sum())) } }),
                        Cell::numeric(html! { strong { (money(paid.iter().map(|(_, o)| o.committed.pence()).sum())) } }),
                    ])).collect(),
                    first_cell_is_header: true,
                })
            }
        }
    };
    Ok(Frame::new(&ctx, title).render(content))
}
