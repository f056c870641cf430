//! "Who has looked at this child's record?": the audit trail about one
//! child, for managers and auditors, a page at a time, oldest first (the
//! same order as the API and the CLI, so a page's last entry says where
//! the next one starts, however long the trail).

use super::components::{Cell, Table, Tag};
use super::{Ctx, Fields, Frame, value};
use crate::api::parse_id;
use crate::caller::Caller;
use crate::{AppState, Problem};
use allot_domain::access::Section;
use allot_domain::audit::{Outcome, SealedEntry};
use allot_domain::dates::time_in_england;
use allot_domain::{ChildId, Role};
use axum::extract::{Path, Query, State};
use maud::{Markup, html};
use std::collections::HashMap;

/// Entries on one page: enough to scan, few enough to read.
const PAGE: u32 = 100;

/// What was done, in words.
fn action(entry: &SealedEntry) -> String {
    let e = &entry.entry;
    let detail: serde_json::Value = serde_json::from_str(&e.detail).unwrap_or_default();
    // Looks name the part of the record opened; changes name what changed.
    let part = detail["section"]
        .as_str()
        .and_then(|code| Section::parse(code).ok())
        .map_or_else(|| e.entity.replace('_', " "), |s| s.label().to_lowercase());
    match (e.action.as_str(), e.outcome) {
        (_, Outcome::Refused) => format!("Tried to open {part}"),
        ("read", _) => format!("Looked at {part}"),
        ("create", _) => format!("Added {part}"),
        ("update", _) => format!("Changed {part}"),
        (other, _) if e.entity == "child" => sentence_case(&other.replace('_', " ")),
        (other, _) => format!("{} ({part})", sentence_case(&other.replace('_', " "))),
    }
}

fn sentence_case(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// Who, by name where they are a user of the area (a process keeps its name).
fn who(entry: &SealedEntry, names: &HashMap<String, String>) -> String {
    let e = &entry.entry;
    let role = Role::parse(&e.role).map_or_else(|_| e.role.clone(), |r| r.label().to_owned());
    match names.get(&e.actor) {
        Some(name) => format!("{name} ({}), {role}", e.actor),
        None => format!("{}, {role}", e.actor),
    }
}

pub(crate) async fn access_log(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Fields>,
) -> Result<Markup, Problem> {
    let child = state.store.child(caller.area, parse_id::<ChildId>(&id)?).await?;
    let after = match value(&q, "after") {
        Some(v) => v.parse::<i64>().map_err(|_| Problem::not_found())?,
        None => 0,
    };
    let entries = state.store.audit_entries(caller.area, Some(child.id), after, PAGE).await?;
    let names: HashMap<String, String> = state
        .store
        .users(caller.area)
        .await?
        .into_iter()
        .map(|u| (u.details.username.to_string(), u.details.name.to_string()))
        .collect();
    let more = entries.len() == PAGE as usize;
    let name = child.details.known_as();
    Ok(Frame::about(&ctx, "Who has looked at this record", &child).render(html! {
        span class="govuk-caption-l" { (name) }
        h1 class="govuk-heading-l" { "Who has looked at this record" }
        p class="govuk-body" {
            "Every time someone opens, changes or tries to open part of this record, it is written down here. "
            "Entries cannot be changed or removed. Times are UK time."
        }
        @if entries.is_empty() {
            p class="govuk-body" { @if after == 0 { "Nobody has looked at this record yet." } @else { "There are no later entries." } }
        } @else {
            (Table {
                caption: Some(format!("{} entries, oldest first", entries.len())),
                caption_classes: Some("govuk-table__caption--s".into()),
                head: vec![Cell::new("When"), Cell::new("Who"), Cell::new("What"), Cell::new("Result")],
                rows: entries.iter().map(|e| vec![
                    Cell::new(time_in_england(e.entry.at).strftime("%-d %B %Y, %H:%M").to_string()),
                    Cell::new(who(e, &names)),
                    Cell::new(action(e)),
                    Cell::new(html! { (match e.entry.outcome {
                        Outcome::Allowed => Tag { text: "Allowed".into(), classes: Some("govuk-tag--green".into()) },
                        Outcome::Refused => Tag { text: "Refused".into(), classes: Some("govuk-tag--red".into()) },
                    }) }),
                ]).collect(),
                first_cell_is_header: false,
            })
        }
        ul class="govuk-list" {
            @if more {
                li { a class="govuk-link" href={ "/children/" (child.id) "/access-log?after=" (entries[entries.len() - 1].seq) } { "Later entries" } }
            }
            @if after > 0 {
                li { a class="govuk-link" href={ "/children/" (child.id) "/access-log" } { "Back to the first entries" } }
            }
        }
    }))
}
