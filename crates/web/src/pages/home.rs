//! Home (what is due, for those who hold cases; the family's children),
//! finding a child, and a child's record.

use super::components::{
    BackLink, Button, Cell, Content, Input, InsetText, Label, SummaryList, SummaryRow, Table, Tag, WarningText,
};
use super::{Ctx, Frame};
use crate::api::parse_id;
use crate::caller::Caller;
use crate::pathway::{children_in, worklist_for};
use crate::{AppState, Problem};
use allot_domain::access::{AreaAction, ChildScope, Op, Section, area_allowed, section_allowed};
use allot_domain::child::ChildView;
use allot_domain::paging::{ChildQuery, Cursor, PAGE_SIZE_DEFAULT};
use allot_domain::pathway::casework::CaseRecords;
use allot_domain::pathway::clocks::Urgency;
use allot_domain::pathway::record::{PathwayState, all_due};
use allot_domain::{ChildId, Role};
use axum::extract::{Path, Query, State};
use maud::{Markup, html};

/// A date as people write it: 3 March 2026.
pub(crate) fn long_date(d: jiff::civil::Date) -> String {
    d.strftime("%-d %B %Y").to_string()
}

fn urgency_tag(u: Urgency) -> Markup {
    match u {
        Urgency::Overdue => html! { (Tag { text: "Overdue".into(), classes: Some("govuk-tag--red".into()) }) },
        Urgency::DueThisWeek => {
            html! { (Tag { text: "Due this week".into(), classes: Some("govuk-tag--yellow".into()) }) }
        }
        Urgency::Later => html! { (Tag { text: "Later".into(), classes: Some("govuk-tag--grey".into()) }) },
    }
}

fn child_link(id: ChildId, text: &str) -> Content {
    Content::Html(html! { a class="govuk-link" href={ "/children/" (id) } { (text) } })
}

fn search_form(q: &str) -> Markup {
    html! {
        form method="get" action="/children" role="search" {
            (Input {
                name: "q".into(),
                label: Some(Label { classes: Some("govuk-label--m".into()), ..Label::new("Find a child") }),
                hint: Some("Their name or the council's reference".into()),
                value: Some(q.to_owned()).filter(|q| !q.is_empty()),
                input_type: Some("search".into()),
                spellcheck: Some(false),
                classes: Some("govuk-!-width-two-thirds".into()),
                ..Input::default()
            })
            (Button { text: Some("Search".into()), classes: Some("govuk-button--secondary".into()), ..Button::default() })
        }
    }
}

pub(crate) async fn home(State(state): State<AppState>, ctx: Ctx, caller: Caller) -> Result<Markup, Problem> {
    let role = caller.user.details.role;
    let first_name = caller.user.details.name.to_string();
    let content = if area_allowed(role, AreaAction::Worklist) {
        let list = worklist_for(&state, &caller, false).await?;
        let rows: Vec<Vec<Cell>> = list
            .items
            .iter()
            .map(|(child, due)| {
                vec![
                    Cell::new(child_link(child.id, &child.name)),
                    Cell::new(due.kind.label()),
                    Cell::new(long_date(due.due)),
                    Cell::new(urgency_tag(due.urgency)),
                ]
            })
            .collect();
        html! {
            h1 class="govuk-heading-l" { span class="govuk-caption-l" { (first_name) } "Your work" }
            p class="govuk-body" {
                (list.children) " children in your caseload and your team's. "
                strong { (list.overdue) " overdue" } ", " (list.due_this_week) " due this week."
            }
            @if rows.is_empty() {
                (InsetText { id: None, content: "Nothing is overdue or due this week.".into(), classes: None })
            } @else {
                (Table {
                    caption: Some("Overdue and due this week".into()),
                    caption_classes: Some("govuk-table__caption--m".into()),
                    head: vec![Cell::new("Child"), Cell::new("What"), Cell::new("Due"), Cell::new("Status")],
                    rows,
                    first_cell_is_header: false,
                })
            }
            (search_form(""))
        }
    } else if matches!(role, Role::ParentCarer | Role::YoungPerson) {
        let children = children_in(&state, &caller, &ChildScope::of(&caller.user.viewer())).await?;
        html! {
            h1 class="govuk-heading-l" { span class="govuk-caption-l" { (first_name) } "Your family's budgets" }
            @if children.is_empty() {
                p class="govuk-body" { "There is no child linked to your account yet. Ask your caseworker to link your child's record." }
            } @else {
                ul class="govuk-list" {
                    @for c in &children {
                        li { a class="govuk-link govuk-!-font-size-24" href={ "/children/" (c.id) } {
                            (c.details.known_as())
                        } }
                    }
                }
            }
        }
    } else {
        html! {
            h1 class="govuk-heading-l" { span class="govuk-caption-l" { (first_name) } "Home" }
            p class="govuk-body" { "You are signed in as " (role.label().to_lowercase()) "." }
            @if area_allowed(role, AreaAction::ListChildren) { (search_form("")) }
        }
    };
    Ok(Frame::new(&ctx, "Home").render(content))
}

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ChildrenQuery {
    #[serde(default)]
    q: String,
    cursor: Option<String>,
}

pub(crate) async fn children(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Query(params): Query<ChildrenQuery>,
) -> Result<Markup, Problem> {
    let q = params.q.trim().chars().take(200).collect::<String>();
    let mut query = ChildQuery { limit: PAGE_SIZE_DEFAULT, ..ChildQuery::default() };
    if !q.is_empty() {
        query.search = Some(q.clone());
    }
    // A cursor that does not parse starts from the first page.
    query.after = params.cursor.as_deref().and_then(|c| Cursor::decode(c, query.sort).ok());
    let scope = ChildScope::of(&caller.user.viewer());
    let page = state.store.list_children(caller.area, &scope, jiff::Timestamp::now(), &query).await?;
    let today = caller.today();
    let rows: Vec<Vec<Cell>> = page
        .items
        .iter()
        .map(|c| {
            let v = c.view(caller.sees_protected(), today);
            vec![
                Cell::new(child_link(v.id, &format!("{} {}", v.legal_given_names, v.legal_family_name))),
                Cell::new(v.reference.to_string()),
                Cell::new(born(&v)),
                Cell::new(v.ehc_plan_status.label()),
            ]
        })
        .collect();
    let next =
        page.next.map(|c| format!("/children?q={}&cursor={}", super::urlencode(&q), super::urlencode(&c.encode())));
    let content = html! {
        h1 class="govuk-heading-l" { "Children" }
        @if area_allowed(caller.user.details.role, AreaAction::AddChild) {
            (Button { text: Some("Add a child".into()), href: Some("/children/new".into()), classes: Some("govuk-button--secondary".into()), ..Button::default() })
        }
        (search_form(&q))
        @if rows.is_empty() {
            p class="govuk-body" { @if q.is_empty() { "There are no children you can see." } @else { "No child matches “" (q) "”." } }
        } @else {
            (Table {
                caption: Some(if q.is_empty() { "Children you can see".into() } else { format!("Children matching “{q}”") }),
                caption_classes: Some("govuk-table__caption--m".into()),
                head: vec![Cell::new("Name"), Cell::new("Reference"), Cell::new("Date of birth"), Cell::new("EHC plan")],
                rows,
                first_cell_is_header: false,
            })
        }
        @if let Some(next) = next {
            nav class="govuk-pagination govuk-pagination--block" aria-label="Pages of results" {
                div class="govuk-pagination__next" {
                    a class="govuk-link govuk-pagination__link" href=(next) rel="next" {
                        span class="govuk-pagination__link-title" { "Next page" }
                    }
                }
            }
        }
    };
    Ok(Frame::new(&ctx, "Children").render(content))
}

/// "23 September 2014 (age 12)".
fn born(v: &ChildView) -> String {
    let date = v.date_of_birth.parse::<jiff::civil::Date>().map_or(v.date_of_birth.clone(), long_date);
    match v.age {
        Some(age) => format!("{date} (age {age})"),
        None => date,
    }
}

/// The record's summary rows, as this person may see it.
fn summary(v: &ChildView) -> SummaryList {
    let withheld = |field: &str| v.withheld.contains(&field);
    let or_none = |o: Option<String>| o.unwrap_or_else(|| "Not recorded".into());
    let mut rows = vec![
        SummaryRow::new("Legal name", format!("{} {}", v.legal_given_names, v.legal_family_name)),
        SummaryRow::new("Known as", or_none(v.preferred_name.as_ref().map(ToString::to_string))),
        SummaryRow::new("Date of birth", born(v)),
        SummaryRow::new("Council reference", v.reference.to_string()),
        SummaryRow::new("Unique pupil number", or_none(v.upn.as_ref().map(ToString::to_string))),
        SummaryRow::new("NHS number", or_none(v.nhs_number.as_ref().map(ToString::to_string))),
    ];
    rows.push(if withheld("address") {
        SummaryRow::new("Address", "This address is protected. Ask the caseworker if you need to contact the family.")
    } else {
        SummaryRow::new(
            "Address",
            Content::Html(html! {
                (or_none(v.address.clone()))
                @if let Some(p) = &v.postcode { br; (p.to_string()) }
                @if v.address_protected {
                    (WarningText { text: "This address is protected: do not share it.".into(), icon_fallback_text: None })
                }
            }),
        )
    });
    rows.push(SummaryRow::new("Primary need", or_none(v.primary_need.map(|n| n.label().to_owned()))));
    rows.push(SummaryRow::new("EHC plan", v.ehc_plan_status.label()));
    SummaryList { rows, classes: None }
}

pub(crate) async fn child(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Markup, Problem> {
    let id: ChildId = parse_id(&id)?;
    let record = state.store.child(caller.area, id).await?;
    let today = caller.today();
    let v = record.view(caller.sees_protected(), today);
    let role = caller.user.details.role;
    let reads = |section| section_allowed(role, section, Op::Read);
    let family = if reads(Section::Family) { Some(state.store.family_members(caller.area, id).await?) } else { None };
    let consents = if reads(Section::Consent) { Some(state.store.consents(caller.area, id).await?) } else { None };
    let pathway = if reads(Section::Pathway) {
        let events = state.store.pathway_events(caller.area, Some(id)).await?;
        let records = if reads(Section::Casework) {
            state.store.case_records(caller.area, Some(id)).await?.into_iter().map(|r| r.record).collect()
        } else {
            Vec::new()
        };
        Some((events, CaseRecords::from_records(records)))
    } else {
        None
    };
    let name = record.details.known_as();
    let now = jiff::Timestamp::now();
    let content = html! {
        span class="govuk-caption-l" { (v.reference.to_string()) }
        h1 class="govuk-heading-l" { (name) }
        ul class="govuk-list" {
            @if reads(Section::Budget) {
                li { a class="govuk-link" href={ "/children/" (id) "/budget" } { "Indicative budget and how it was worked out" } }
            }
            @if reads(Section::Plan) {
                li { a class="govuk-link" href={ "/children/" (id) "/plan" } { "Support plan" } }
            }
            @if reads(Section::Money) {
                li { a class="govuk-link" href={ "/children/" (id) "/money" } { "Money: what has been paid and spent" } }
            }
            @if reads(Section::Money) {
                li { a class="govuk-link" href={ "/children/" (id) "/dp-audits" } { "Direct payment audits" } }
            }
            @if reads(Section::Receipts) {
                li { a class="govuk-link" href={ "/children/" (id) "/receipts" } { "Receipts" } }
            }
            @if reads(Section::Pathway) {
                li { a class="govuk-link" href={ "/children/" (id) "/review-requests" } { "Asking for a decision to be reviewed" } }
            }
            @if reads(Section::AccessLog) {
                li { a class="govuk-link" href={ "/children/" (id) "/access-log" } { "Who has looked at this record" } }
            }
            @if reads(Section::SubjectAccess) {
                li { a class="govuk-link" href={ "/api/v1/children/" (id) "/subject-access?format=html" } { "Everything held about " (name) ", for a subject access request" } }
            }
        }
        h2 class="govuk-heading-m" { "Summary" }
        (summary(&v))
        @if let Some((events, records)) = &pathway {
            @let state = PathwayState::from_events(&events.iter().map(|e| e.event.clone()).collect::<Vec<_>>());
            h2 class="govuk-heading-m" { "Where things are" }
            p class="govuk-body" {
                "Step: " strong { (state.step.map_or("Not started".to_owned(), |s| s.label().to_owned())) }
            }
            @let due = all_due(&state, records, today);
            @if due.is_empty() {
                p class="govuk-body" { "Nothing is due." }
            } @else {
                (Table {
                    caption: Some("What is due".into()),
                    caption_classes: Some("govuk-table__caption--s".into()),
                    head: vec![Cell::new("What"), Cell::new("Due"), Cell::new("Status")],
                    rows: due.iter().map(|d| vec![Cell::new(d.kind.label()), Cell::new(long_date(d.due)), Cell::new(urgency_tag(d.urgency))]).collect(),
                    first_cell_is_header: false,
                })
            }
            h2 class="govuk-heading-m" { "What has happened" }
            @if events.is_empty() {
                p class="govuk-body" { "Nothing has been recorded on the pathway yet." }
            } @else {
                ol class="govuk-list" reversed {
                    @for e in events.iter().rev() {
                        li {
                            strong { (long_date(e.event.on)) } ": " (e.event.kind.label())
                            @if let Some(step) = e.event.step { " (" (step.label()) ")" }
                        }
                    }
                }
            }
        }
        @if let Some(family) = &family {
            h2 class="govuk-heading-m" { "Family and contacts" }
            @if family.is_empty() { p class="govuk-body" { "No family members are recorded." } }
            @for m in family {
                @let d = &m.details;
                (SummaryList {
                    rows: vec![
                        SummaryRow::new("Name", d.name.to_string()),
                        SummaryRow::new("Relationship", d.relationship.label()),
                        SummaryRow::new("Parental responsibility", if d.parental_responsibility { "Yes" } else { "No" }),
                        SummaryRow::new("Contact by", d.contact_by.label()),
                    ],
                    classes: None,
                })
            }
        }
        @if let Some(consents) = &consents {
            h2 class="govuk-heading-m" { "Consent to share" }
            @if consents.is_empty() {
                p class="govuk-body" { "The family has not consented to share information with anyone." }
            } @else {
                (Table {
                    caption: Some("Who the family agreed to share with".into()),
                    caption_classes: Some("govuk-table__caption--s".into()),
                    head: vec![Cell::new("What is shared"), Cell::new("Given by"), Cell::new("Given on"), Cell::new("Status")],
                    rows: consents.iter().map(|c| vec![
                        Cell::new(c.details.shares.label()),
                        Cell::new(c.details.given_by.to_string()),
                        Cell::new(long_date(c.details.given_on)),
                        Cell::new(if c.is_active(now, today) {
                            Content::Html(html! { (Tag { text: "Active".into(), classes: Some("govuk-tag--green".into()) }) })
                        } else {
                            Content::Html(html! { (Tag { text: "Withdrawn".into(), classes: Some("govuk-tag--grey".into()) }) })
                        }),
                    ]).collect(),
                    first_cell_is_header: false,
                })
            }
        }
    };
    let mut frame = Frame::new(&ctx, &name);
    if area_allowed(role, AreaAction::ListChildren) {
        frame.before_content =
            Some(html! { (BackLink { href: "/children".into(), text: Some("All children".into()) }) });
    }
    Ok(frame.render(content))
}
