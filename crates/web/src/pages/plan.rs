//! The support plan in pages: a version in full with its totals against
//! the indicative budget, changing the draft, checking it and submitting it
//! for sign-off, deciding on it (check your answers first; the second
//! factor again if it is stale), co-signing, the decision letter, comparing
//! versions, the approvals queue, and asking for a decision to be reviewed.

use super::components::{
    BackLink, Button, Cell, Choice, Content, ErrorLink, ErrorSummary, Input, InsetText, Label, Legend,
    NotificationBanner, Radios, RowAction, Select, SummaryList, SummaryRow, Table, Tag, Textarea, WarningText,
};
use super::home::long_date;
use super::info::term;
use super::{Ctx, Fields, Frame, error_summary, field_error, refused, sentence, value};
use crate::api::parse_id;
use crate::caller::Caller;
use crate::pathway::{self, BasedOn, Indicative, SIGNATURES, SIGNOFF_DECISIONS};
use crate::{AppState, Problem};
use allot_domain::access::{Op, Section, section_allowed};
use allot_domain::child::Child;
use allot_domain::finance::budget::PaymentSchedule;
use allot_domain::pathway::casework::CaseRecord;
use allot_domain::pathway::casework::{ReviewAnswerForm, ReviewOutcome, ReviewRequest, ReviewRequestForm};
use allot_domain::pathway::content::{
    ContingencyForm, KeepingSafeForm, OutcomeArea, OutcomeForm, PlanContent, PlanForm, RealWealthForm,
};
use allot_domain::pathway::plan::{Frequency, ManagementRoute, SupportItemForm, check_submission};
use allot_domain::pathway::signoff::{DecisionForm, DecisionKind, ItemChange, PlanStatus, PlanVersion, compare_items};
use allot_domain::{FieldError, Invalid, Pence};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::collections::BTreeMap;

/// A child's plan as pages need it.
struct Plan {
    child: Child,
    versions: Vec<PlanVersion>,
    indicative: Indicative,
}

async fn load(state: &AppState, caller: &Caller, id: &str) -> Result<Plan, Problem> {
    let child = state.store.child(caller.area, parse_id(id)?).await?;
    let versions = state.store.plan_versions(caller.area, Some(child.id)).await?;
    let indicative = pathway::indicative(state, caller, child.id).await?;
    Ok(Plan { child, versions, indicative })
}

impl Plan {
    /// Version `n` (from a query's text), or the latest one `fits`.
    fn version(&self, n: Option<&String>, fits: impl Fn(&PlanVersion) -> bool) -> Result<&PlanVersion, Problem> {
        match n.filter(|n| !n.is_empty()) {
            Some(n) => {
                let n: i64 = n.trim().parse().map_err(|_| Problem::not_found())?;
                self.versions.iter().find(|v| v.version == n).ok_or_else(Problem::not_found)
            }
            None => self.versions.iter().rev().find(|v| fits(v)).ok_or_else(|| {
                Problem::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "/problems/no-such-version",
                    "There is no version for this",
                    "No version of this child's plan is waiting for this. Go back to the plan to see where it stands.",
                )
            }),
        }
    }

    fn path(&self, rest: &str) -> String {
        format!("/children/{}/plan{rest}", self.child.id)
    }
}

fn may(caller: &Caller, section: Section) -> bool {
    section_allowed(caller.user.details.role, section, Op::Change)
}

/// Pounds and pence as typed into a form: `1,000.00`.
fn typed(p: Pence) -> String {
    p.to_string().trim_start_matches('£').to_owned()
}

/// Units in hundredths as typed: `2.5`, `3`.
fn units(hundredths: i64) -> String {
    match hundredths % 100 {
        0 => (hundredths / 100).to_string(),
        r if r % 10 == 0 => format!("{}.{}", hundredths / 100, r / 10),
        r => format!("{}.{r:02}", hundredths / 100),
    }
}

fn status_tag(status: PlanStatus) -> Tag {
    let colour = match status {
        PlanStatus::Draft => "govuk-tag--grey",
        PlanStatus::Submitted => "govuk-tag--blue",
        PlanStatus::Approved => "govuk-tag--turquoise",
        PlanStatus::Agreed => "govuk-tag--green",
        PlanStatus::Declined => "govuk-tag--red",
        PlanStatus::Returned => "govuk-tag--orange",
    };
    Tag { text: status.label().into(), classes: Some(colour.into()) }
}

fn banner(done: Option<&String>) -> Option<NotificationBanner> {
    let text = match done?.as_str() {
        "saved" => "The plan has been saved",
        "submitted" => "The plan has been submitted for sign-off",
        "decided" => "Your decision has been recorded",
        "signed" => "The plan has been co-signed: it is agreed",
        "asked" => "Your request has been sent",
        "answered" => "Your answer has been recorded and the family can read it",
        _ => return None,
    };
    Some(NotificationBanner { content: Some(text.into()), success: true, ..NotificationBanner::default() })
}

/// The plan's money by funding stream against the indicative budget.
fn money_table(content: &PlanContent, compared_with: &BTreeMap<String, Pence>, ind: &Indicative) -> Table {
    let totals = content.totals();
    let mut streams: Vec<&String> = compared_with.keys().chain(totals.by_stream.keys()).collect();
    streams.sort();
    streams.dedup();
    let difference = |planned: Pence, indicative: Option<&Pence>| match indicative {
        None => "No indicative amount".to_owned(),
        Some(i) if planned > *i => format!("{} over", Pence::new(planned.pence() - i.pence())),
        Some(i) if planned < *i => format!("{} under", Pence::new(i.pence() - planned.pence())),
        Some(_) => "The same".to_owned(),
    };
    let indicative_total = Pence::new(compared_with.values().map(|p| p.pence()).sum());
    let mut rows: Vec<Vec<Cell>> = streams
        .iter()
        .map(|s| {
            let planned = totals.by_stream.get(*s).copied().unwrap_or(Pence::ZERO);
            vec![
                Cell::new(ind.name(s).to_owned()),
                Cell::numeric(compared_with.get(*s).map_or("None".to_owned(), Pence::to_string)),
                Cell::numeric(planned.to_string()),
                Cell::numeric(difference(planned, compared_with.get(*s))),
            ]
        })
        .collect();
    rows.push(vec![
        Cell::new("Total a year"),
        Cell::numeric(indicative_total.to_string()),
        Cell::numeric(Content::Html(html! { strong { (totals.total) } })),
        Cell::numeric(difference(totals.total, Some(&indicative_total))),
    ]);
    Table {
        caption: Some("The money a year, by funding stream".into()),
        caption_classes: Some("govuk-table__caption--m".into()),
        head: vec![
            Cell::new("Funding stream"),
            Cell::numeric("Indicative budget"),
            Cell::numeric("In the plan"),
            Cell::numeric("Difference"),
        ],
        rows,
        first_cell_is_header: true,
    }
}

/// Everything a version says, as the person may see it.
fn plan_content(
    content: &PlanContent,
    ind: &Indicative,
    organisations: &std::collections::HashMap<allot_domain::OrganisationId, String>,
) -> Markup {
    let org = |id: Option<allot_domain::OrganisationId>| {
        id.and_then(|id| organisations.get(&id).cloned()).unwrap_or_default()
    };
    html! {
        h2 class="govuk-heading-m" { "What we want to achieve" }
        @if content.outcomes.is_empty() { p class="govuk-body" { "No outcomes are written yet." } } @else {
            (Table {
                caption: None, caption_classes: None,
                head: vec![Cell::new("Area of life"), Cell::new("What we want"), Cell::new("How we will know")],
                rows: content.outcomes.iter().map(|o| vec![Cell::new(o.area.label()), Cell::new(o.wanted.clone()), Cell::new(o.how_we_will_know.clone())]).collect(),
                first_cell_is_header: false,
            })
        }
        h2 class="govuk-heading-m" { "What family, friends and community bring" }
        p class="govuk-body" { "This is the " (term("real-wealth", "real wealth")) " around the child: it costs nothing but is part of the plan." }
        @if content.real_wealth.is_empty() { p class="govuk-body" { "Nothing is written yet." } } @else {
            (Table {
                caption: None, caption_classes: None,
                head: vec![Cell::new("Who"), Cell::new("What they bring")],
                rows: content.real_wealth.iter().map(|r| vec![Cell::new(r.who.clone()), Cell::new(r.brings.clone())]).collect(),
                first_cell_is_header: false,
            })
        }
        h2 class="govuk-heading-m" { "Support and what it costs" }
        @if content.items.is_empty() { p class="govuk-body" { "No support is costed yet." } } @else {
            (Table {
                caption: None, caption_classes: None,
                head: vec![Cell::new("Support"), Cell::new("Cost"), Cell::new("How the money is held"), Cell::new("Funding stream"), Cell::numeric("A year")],
                rows: content.items.iter().map(|i| {
                    let it = &i.item;
                    let held = match it.route {
                        ManagementRoute::Isf => format!("{}, held by {}", it.route.label(), org(it.isf_holder)),
                        r => r.label().to_owned(),
                    };
                    vec![
                        Cell::new(Content::Html(html! { (it.what) br; span class="govuk-body-s" { (it.provided_by) } })),
                        Cell::new(format!("{} × {}, {}", it.unit_cost, units(it.units_hundredths), it.frequency.label().to_lowercase())),
                        Cell::new(held),
                        Cell::new(ind.name(&it.stream).to_owned()),
                        Cell::numeric(it.annual_cost().to_string()),
                    ]
                }).collect(),
                first_cell_is_header: false,
            })
        }
        @if let Some(c) = &content.contingency {
            h2 class="govuk-heading-m" { "Contingency" }
            p class="govuk-body" { (c.amount) " a year from " (ind.name(&c.stream)) ", for: " (c.purpose) }
        }
        @if !content.over_reasons.is_empty() {
            h2 class="govuk-heading-m" { "Why the plan is over the indicative budget" }
            (SummaryList { rows: content.over_reasons.iter().map(|(s, r)| SummaryRow::new(ind.name(s).to_owned(), r.clone())).collect(), classes: None })
        }
        h2 class="govuk-heading-m" { "How I keep safe" }
        @if content.keeping_safe.is_empty() { p class="govuk-body" { "Nothing is written yet." } } @else {
            (Table {
                caption: None, caption_classes: None,
                head: vec![Cell::new("Risk"), Cell::new("What reduces it")],
                rows: content.keeping_safe.iter().map(|k| vec![Cell::new(k.risk.clone()), Cell::new(k.reduced_by.clone())]).collect(),
                first_cell_is_header: false,
            })
        }
        p class="govuk-body" { "Direct payments are paid: " (content.payment_schedule.label().to_lowercase()) "." }
    }
}

/// Who must approve a version, and who has.
fn signoff(v: &PlanVersion) -> Markup {
    html! {
        @if let Some(s) = &v.submission {
            h2 class="govuk-heading-m" { "Sign-off" }
            p class="govuk-body" { "Submitted on " (long_date(allot_domain::dates::date_in_england(s.at))) "." }
            (SummaryList {
                rows: s.required.iter().map(|role| {
                    let by = v.decisions.iter().find(|d| d.kind == DecisionKind::Approve && d.stands_for == Some(*role));
                    SummaryRow::new(role.label(), match by {
                        Some(d) => format!("Approved by {} on {}", d.by_name, long_date(allot_domain::dates::date_in_england(d.at))),
                        None => "Waiting".to_owned(),
                    })
                }).collect(),
                classes: None,
            })
        }
        @if !v.decisions.is_empty() {
            (Table {
                caption: Some("Decisions and signatures".into()),
                caption_classes: Some("govuk-table__caption--s".into()),
                head: vec![Cell::new("Date"), Cell::new("Who"), Cell::new("What"), Cell::new("Reasons")],
                rows: v.decisions.iter().map(|d| vec![
                    Cell::new(long_date(allot_domain::dates::date_in_england(d.at))),
                    Cell::new(match &d.signed_for { Some(f) => format!("{f} (recorded by {})", d.by_name), None => format!("{} ({})", d.by_name, d.role.label()) }),
                    Cell::new(d.kind.label()),
                    Cell::new(d.reason.clone().unwrap_or_default()),
                ]).collect(),
                first_cell_is_header: false,
            })
        }
    }
}

pub(crate) async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Fields>,
) -> Result<Markup, Problem> {
    let plan = load(&state, &caller, &id).await?;
    let name = plan.child.details.known_as();
    let organisations = crate::money::organisation_names(&state, &caller).await?;
    let latest = plan.versions.last();
    let shown = if plan.versions.is_empty() { None } else { Some(plan.version(q.get("version"), |_| true)?) };
    let is_latest = shown.is_some() && shown.map(|v| v.version) == latest.map(|v| v.version);
    let role = caller.user.details.role;
    let content = html! {
        @if let Some(b) = banner(q.get("done")) { (b) }
        span class="govuk-caption-l" { (name) }
        h1 class="govuk-heading-l" { "Support plan" }
        @match shown {
            None => {
                p class="govuk-body" { "No support plan has been written yet." }
                @if may(&caller, Section::Plan) {
                    (Button { text: Some("Write the plan".into()), href: Some(plan.path("/edit")), ..Button::default() })
                }
            }
            Some(v) => {
                p class="govuk-body" {
                    "Version " (v.version) " of " (plan.versions.len()) ": " (status_tag(v.status))
                }
                @if plan.versions.len() > 1 {
                    p class="govuk-body" {
                        "Other versions: "
                        @for (i, other) in plan.versions.iter().filter(|o| o.version != v.version).enumerate() {
                            @if i > 0 { ", " }
                            a class="govuk-link" href={ (plan.path("")) "?version=" (other.version) } { "version " (other.version) " (" (other.status.label().to_lowercase()) ")" }
                        }
                        ". "
                        a class="govuk-link" href=(plan.path("/compare")) { "Compare versions" }
                    }
                }
                @let content = v.content.for_viewer(role, caller.user.details.organisation_id);
                @let compared_with = v.submission.as_ref().map_or(&plan.indicative.amounts, |s| &s.indicative);
                (money_table(&content, compared_with, &plan.indicative))
                @let over = allot_domain::pathway::plan::over_indicative(&content.totals(), compared_with);
                @let unexplained: Vec<_> = over.keys().filter(|s| !content.over_reasons.contains_key(*s)).collect();
                @if v.status == PlanStatus::Draft && !unexplained.is_empty() {
                    (WarningText {
                        text: format!(
                            "The plan is over the indicative budget for {}: say why before you submit it.",
                            unexplained.iter().map(|s| plan.indicative.name(s)).collect::<Vec<_>>().join(" and ")
                        ).into(),
                        icon_fallback_text: None,
                    })
                }
                div class="govuk-button-group" {
                    @if is_latest && may(&caller, Section::Plan) {
                        @if v.status.is_editable() {
                            (Button { text: Some("Submit for sign-off".into()), href: Some(plan.path("/submit")), ..Button::default() })
                            (Button { text: Some("Change the plan".into()), href: Some(plan.path("/edit")), classes: Some("govuk-button--secondary".into()), ..Button::default() })
                        } @else {
                            (Button { text: Some("Start a new version".into()), href: Some(plan.path("/edit")), classes: Some("govuk-button--secondary".into()), ..Button::default() })
                        }
                    }
                    @if v.status == PlanStatus::Submitted && may(&caller, Section::Signoff) {
                        (Button { text: Some("Make a decision".into()), href: Some(format!("{}?version={}", plan.path("/decision"), v.version)), ..Button::default() })
                    }
                    @if v.status == PlanStatus::Approved && may(&caller, Section::CoSign) {
                        (Button { text: Some("Co-sign the plan".into()), href: Some(format!("{}?version={}", plan.path("/co-sign"), v.version)), ..Button::default() })
                    }
                }
                @if matches!(v.status, PlanStatus::Approved | PlanStatus::Agreed | PlanStatus::Declined | PlanStatus::Returned)
                    && section_allowed(role, Section::Pathway, Op::Read) {
                    p class="govuk-body" {
                        a class="govuk-link" href={ (plan.path("/letter")) "?version=" (v.version) } { "Read the decision letter" }
                    }
                }
                (plan_content(&content, &plan.indicative, &organisations))
                (signoff(v))
            }
        }
    };
    Ok(Frame::about(&ctx, "Support plan", &plan.child).render(content))
}

// Changing the plan

/// The rows of a repeated part of the form (`outcomes[0].wanted`…), in
/// order, leaving out rows with nothing typed (a kept item's key aside).
fn rows(fields: &Fields, list: &str) -> Vec<BTreeMap<String, String>> {
    let mut by_index: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
    for (key, value) in fields {
        let Some(rest) = key.strip_prefix(list).and_then(|r| r.strip_prefix('[')) else { continue };
        let Some((index, field)) = rest.split_once("].") else { continue };
        let Ok(index) = index.parse::<usize>() else { continue };
        by_index.entry(index).or_default().insert(field.to_owned(), value.trim().to_owned());
    }
    by_index.into_values().filter(|row| row.iter().any(|(f, v)| f != "key" && !v.is_empty())).collect()
}

/// What the plan form sent, as the domain's form, and the fields renumbered
/// without the empty rows (the numbers the domain's errors use).
fn plan_form(fields: &Fields) -> (PlanForm, Fields) {
    let mut kept: Fields =
        fields.iter().filter(|(k, _)| !k.contains('[')).map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut list = |name: &str| {
        let rows = rows(fields, name);
        for (i, row) in rows.iter().enumerate() {
            for (f, v) in row {
                kept.insert(format!("{name}[{i}].{f}"), v.clone());
            }
        }
        rows
    };
    let get = |row: &BTreeMap<String, String>, f: &str| row.get(f).filter(|v| !v.is_empty()).cloned();
    let outcomes = list("outcomes");
    let real_wealth = list("real_wealth");
    let items = list("items");
    let keeping_safe = list("keeping_safe");
    let contingency = ContingencyForm {
        amount: value(fields, "contingency.amount"),
        stream: value(fields, "contingency.stream"),
        purpose: value(fields, "contingency.purpose"),
    };
    let form = PlanForm {
        outcomes: outcomes
            .iter()
            .map(|r| OutcomeForm {
                area: get(r, "area"),
                wanted: get(r, "wanted"),
                how_we_will_know: get(r, "how_we_will_know"),
            })
            .collect(),
        real_wealth: real_wealth
            .iter()
            .map(|r| RealWealthForm { who: get(r, "who"), brings: get(r, "brings") })
            .collect(),
        items: items
            .iter()
            .map(|r| SupportItemForm {
                key: get(r, "key"),
                what: get(r, "what"),
                provided_by: get(r, "provided_by"),
                unit_cost: get(r, "unit_cost"),
                units: get(r, "units"),
                frequency: get(r, "frequency"),
                stream: get(r, "stream"),
                route: get(r, "route"),
                isf_holder: get(r, "isf_holder"),
                provider: get(r, "provider"),
                personal_assistant: get(r, "personal_assistant"),
            })
            .collect(),
        contingency: (contingency != ContingencyForm::default()).then_some(contingency),
        keeping_safe: keeping_safe
            .iter()
            .map(|r| KeepingSafeForm { risk: get(r, "risk"), reduced_by: get(r, "reduced_by") })
            .collect(),
        over_reasons: fields
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("over_reasons.")?.to_owned(), v.trim().to_owned())))
            .filter(|(_, v)| !v.is_empty())
            .collect(),
        payment_schedule: value(fields, "payment_schedule"),
    };
    (form, kept)
}

/// A saved version as the form's fields.
fn fields_of(content: &PlanContent) -> Fields {
    let mut f = Fields::new();
    let mut put = |k: String, v: String| {
        f.insert(k, v);
    };
    for (i, o) in content.outcomes.iter().enumerate() {
        put(format!("outcomes[{i}].area"), o.area.code().to_owned());
        put(format!("outcomes[{i}].wanted"), o.wanted.clone());
        put(format!("outcomes[{i}].how_we_will_know"), o.how_we_will_know.clone());
    }
    for (i, r) in content.real_wealth.iter().enumerate() {
        put(format!("real_wealth[{i}].who"), r.who.clone());
        put(format!("real_wealth[{i}].brings"), r.brings.clone());
    }
    for (i, p) in content.items.iter().enumerate() {
        let it = &p.item;
        let at = |f: &str| format!("items[{i}].{f}");
        put(at("key"), p.key.clone());
        put(at("what"), it.what.clone());
        put(at("provided_by"), it.provided_by.clone());
        put(at("unit_cost"), typed(it.unit_cost));
        put(at("units"), units(it.units_hundredths));
        put(at("frequency"), it.frequency.code().to_owned());
        put(at("stream"), it.stream.clone());
        put(at("route"), it.route.code().to_owned());
        for (name, id) in [("isf_holder", it.isf_holder), ("provider", it.provider)] {
            if let Some(id) = id {
                put(at(name), id.to_string());
            }
        }
        if let Some(pa) = it.personal_assistant {
            put(at("personal_assistant"), pa.to_string());
        }
    }
    for (i, k) in content.keeping_safe.iter().enumerate() {
        put(format!("keeping_safe[{i}].risk"), k.risk.clone());
        put(format!("keeping_safe[{i}].reduced_by"), k.reduced_by.clone());
    }
    if let Some(c) = &content.contingency {
        put("contingency.amount".into(), typed(c.amount));
        put("contingency.stream".into(), c.stream.clone());
        put("contingency.purpose".into(), c.purpose.clone());
    }
    for (s, r) in &content.over_reasons {
        put(format!("over_reasons.{s}"), r.clone());
    }
    put("payment_schedule".into(), content.payment_schedule.code().to_owned());
    f
}

/// How many rows of `list` the fields hold.
fn count(fields: &Fields, list: &str) -> usize {
    fields
        .keys()
        .filter_map(|k| k.strip_prefix(list)?.strip_prefix('[')?.split_once(']')?.0.parse::<usize>().ok())
        .map(|i| i + 1)
        .max()
        .unwrap_or(0)
}

/// What the plan form offers to choose from.
struct Choices {
    streams: Vec<Choice>,
    holders: Vec<Choice>,
    providers: Vec<Choice>,
    assistants: Vec<Choice>,
}

async fn choices(state: &AppState, caller: &Caller, plan: &Plan) -> Result<Choices, Problem> {
    let choose = |what: &str| Choice::new("", format!("Choose {what}"));
    let organisations = state.store.organisations(caller.area).await?;
    let of_kinds = |kinds: &[&str], none: &str| {
        std::iter::once(Choice::new("", none))
            .chain(
                organisations
                    .iter()
                    .filter(|o| kinds.contains(&o.kind.code()))
                    .map(|o| Choice::new(o.id.to_string(), o.name.to_string())),
            )
            .collect::<Vec<_>>()
    };
    let assistants = state
        .store
        .case_records(caller.area, Some(plan.child.id))
        .await?
        .into_iter()
        .filter_map(|s| match s.record {
            CaseRecord::PersonalAssistant(pa) => Some(Choice::new(pa.id.to_string(), pa.name.to_string())),
            _ => None,
        })
        .collect::<Vec<_>>();
    Ok(Choices {
        streams: std::iter::once(choose("a funding stream"))
            .chain(plan.indicative.streams.iter().map(|s| Choice::new(s.clone(), plan.indicative.name(s).to_owned())))
            .collect(),
        holders: of_kinds(&["provider", "school"], "Not an individual service fund"),
        providers: of_kinds(&["provider", "school", "nhs"], "Not in the directory"),
        assistants: if assistants.is_empty() {
            Vec::new()
        } else {
            std::iter::once(Choice::new("", "Not a personal assistant")).chain(assistants).collect()
        },
    })
}

fn edit_page(
    ctx: &Ctx,
    caller: &Caller,
    plan: &Plan,
    choices: &Choices,
    fields: &Fields,
    errors: &[FieldError],
) -> Markup {
    let name = plan.child.details.known_as();
    let choose = |what: &str| Choice::new("", format!("Choose {what}"));
    let text = |name: String, label: &str, hint: Option<&str>| Input {
        label: Some(Label::new(label)),
        hint: hint.map(Into::into),
        error: field_error(errors, &name),
        value: value(fields, &name),
        name,
        ..Input::default()
    };
    let long = |name: String, label: &str, hint: Option<&str>| Textarea {
        label: Some(Label::new(label)),
        hint: hint.map(Into::into),
        error: field_error(errors, &name),
        value: value(fields, &name),
        rows: Some(2),
        name,
        ..Textarea::default()
    };
    let select = |name: String, label: &str, items: Vec<Choice>| Select {
        label: Some(Label::new(label)),
        error: field_error(errors, &name),
        value: value(fields, &name),
        items,
        name,
        ..Select::default()
    };
    let group = |legend: String, inner: Markup| {
        html! {
            fieldset class="govuk-fieldset allot-row" {
                legend class="govuk-fieldset__legend govuk-fieldset__legend--s" { (legend) }
                (inner)
            }
        }
    };
    let latest = plan.versions.last();
    let title = match latest {
        Some(v) if v.status.is_editable() => "Change the plan",
        Some(_) => "Start a new version of the plan",
        None => "Write the plan",
    };
    let over: Vec<&String> = {
        let saved =
            latest.map(|v| allot_domain::pathway::plan::over_indicative(&v.content.totals(), &plan.indicative.amounts));
        plan.indicative
            .streams
            .iter()
            .filter(|s| {
                saved.as_ref().is_some_and(|o| o.contains_key(*s))
                    || value(fields, &format!("over_reasons.{s}")).is_some()
                    || errors.iter().any(|e| e.field == format!("over_reasons.{s}"))
            })
            .collect()
    };
    let mut frame = Frame::new(ctx, title);
    frame.has_errors = !errors.is_empty();
    frame.before_content = Some(html! { (BackLink { href: plan.path(""), text: Some("Support plan".into()) }) });
    frame.render(html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                @if !errors.is_empty() { (error_summary(errors)) }
                span class="govuk-caption-l" { (name) }
                h1 class="govuk-heading-l" { (title) }
                p class="govuk-body" {
                    "Write the plan with " (name) " and the family. Leave a row empty if you do not need it; "
                    "to add more rows, save the plan and change it again."
                }
                @if let Some(v) = latest.filter(|v| !v.status.is_editable()) {
                    (super::components::InsetText {
                        id: None,
                        content: format!("Version {} is {}: saving makes version {}, starting from it.", v.version, v.status.label().to_lowercase(), v.version + 1).into(),
                        classes: None,
                    })
                }
                form method="post" action=(plan.path("/edit")) novalidate {
                    input type="hidden" name="csrf_token" value=(caller.session.csrf_token);
                    @if let Some(v) = latest {
                        input type="hidden" name="based_on_version" value=(v.version);
                        input type="hidden" name="based_on_row_version" value=(v.row_version);
                    }
                    h2 class="govuk-heading-m" { "What we want to achieve" }
                    @for i in 0..count(fields, "outcomes") + 1 {
                        (group(format!("Outcome {}", i + 1), html! {
                            (select(format!("outcomes[{i}].area"), "Area of life",
                                std::iter::once(choose("an area")).chain(OutcomeArea::ALL.iter().map(|a| Choice::new(a.code(), a.label()))).collect()))
                            (long(format!("outcomes[{i}].wanted"), "What we want", None))
                            (long(format!("outcomes[{i}].how_we_will_know"), "How we will know", None))
                        }))
                    }
                    h2 class="govuk-heading-m" { "What family, friends and community bring" }
                    @for i in 0..count(fields, "real_wealth") + 1 {
                        (group(format!("Real wealth {}", i + 1), html! {
                            (text(format!("real_wealth[{i}].who"), "Who", None))
                            (long(format!("real_wealth[{i}].brings"), "What they bring", None))
                        }))
                    }
                    h2 class="govuk-heading-m" { "Support and what it costs" }
                    @for i in 0..count(fields, "items") + 2 {
                        (group(format!("Support item {}", i + 1), html! {
                            @if let Some(key) = value(fields, &format!("items[{i}].key")) {
                                input type="hidden" name={ "items[" (i) "].key" } value=(key);
                            }
                            (text(format!("items[{i}].what"), "What the support is", None))
                            (text(format!("items[{i}].provided_by"), "Who provides it", None))
                            (Input {
                                prefix: Some("£".into()),
                                classes: Some("govuk-input--width-5".into()),
                                inputmode: Some("decimal".into()),
                                spellcheck: Some(false),
                                ..text(format!("items[{i}].unit_cost"), "Cost each time", None)
                            })
                            (Input {
                                classes: Some("govuk-input--width-4".into()),
                                inputmode: Some("decimal".into()),
                                spellcheck: Some(false),
                                ..text(format!("items[{i}].units"), "Units each time", Some("Hours or sessions, for example 2.5"))
                            })
                            (select(format!("items[{i}].frequency"), "How often",
                                std::iter::once(choose("how often")).chain(Frequency::ALL.iter().map(|f| Choice::new(f.code(), f.label()))).collect()))
                            (select(format!("items[{i}].stream"), "Funding stream", choices.streams.clone()))
                            (select(format!("items[{i}].route"), "How the money is held",
                                std::iter::once(choose("how the money is held")).chain(ManagementRoute::ALL.iter().map(|r| Choice::new(r.code(), r.label()))).collect()))
                            (select(format!("items[{i}].isf_holder"), "Who holds the individual service fund", choices.holders.clone()))
                            (select(format!("items[{i}].provider"), "The provider, if it is in the directory", choices.providers.clone()))
                            @if !choices.assistants.is_empty() {
                                (select(format!("items[{i}].personal_assistant"), "The personal assistant it pays", choices.assistants.clone()))
                            }
                        }))
                    }
                    h2 class="govuk-heading-m" { "Contingency (optional)" }
                    p class="govuk-body" { "Money set aside for when things change, like extra respite if a carer is ill. It is not surplus." }
                    (Input {
                        prefix: Some("£".into()),
                        classes: Some("govuk-input--width-5".into()),
                        inputmode: Some("decimal".into()),
                        spellcheck: Some(false),
                        ..text("contingency.amount".into(), "Amount a year", None)
                    })
                    (select("contingency.stream".into(), "Funding stream", choices.streams.clone()))
                    (long("contingency.purpose".into(), "What it is for", None))
                    @if !over.is_empty() {
                        h2 class="govuk-heading-m" { "Over the indicative budget" }
                        @for s in &over {
                            (long(format!("over_reasons.{s}"), &format!("Why the plan needs more than the indicative budget for {}", plan.indicative.name(s)), Some("The manager who signs the plan off, and the family, will read this")))
                        }
                    }
                    h2 class="govuk-heading-m" { "How I keep safe" }
                    @for i in 0..count(fields, "keeping_safe") + 1 {
                        (group(format!("Risk {}", i + 1), html! {
                            (long(format!("keeping_safe[{i}].risk"), "The risk", None))
                            (long(format!("keeping_safe[{i}].reduced_by"), "What reduces it", None))
                        }))
                    }
                    (Radios {
                        name: "payment_schedule".into(),
                        legend: Some(Legend { classes: Some("govuk-fieldset__legend--m".into()), ..Legend::new("How often direct payments are paid") }),
                        error: field_error(errors, "payment_schedule"),
                        items: PaymentSchedule::ALL.iter().map(|p| Choice::new(p.code(), p.label())).collect(),
                        value: value(fields, "payment_schedule").or(Some(PaymentSchedule::default().code().into())),
                        ..Radios::default()
                    })
                    (Button { text: Some("Save the plan".into()), prevent_double_click: Some(true), ..Button::default() })
                }
            }
        }
    })
}

pub(crate) async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Markup, Problem> {
    let plan = load(&state, &caller, &id).await?;
    let choices = choices(&state, &caller, &plan).await?;
    let fields = plan.versions.last().map(|v| fields_of(&v.content)).unwrap_or_default();
    Ok(edit_page(&ctx, &caller, &plan, &choices, &fields, &[]))
}

/// The version a form was based on, from its hidden fields.
fn based_on(fields: &Fields, prefix: &str) -> Option<BasedOn> {
    let number = |f: &str| value(fields, &format!("{prefix}{f}"))?.parse().ok();
    Some(BasedOn { version: number("version")?, row_version: number("row_version")? })
}

pub(crate) async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, Problem> {
    let (form, kept) = plan_form(&fields);
    Ok(match pathway::save_draft(&state, &caller, &id, based_on(&fields, "based_on_"), &form).await {
        Ok((saved, _)) => Redirect::to(&format!("/children/{}/plan?done=saved", saved.child_id)).into_response(),
        Err(problem) => {
            let plan = load(&state, &caller, &id).await?;
            let choices = choices(&state, &caller, &plan).await?;
            refused(|errors| edit_page(&ctx, &caller, &plan, &choices, &kept, errors), problem)
        }
    })
}

// Submitting for sign-off

fn submit_page(
    ctx: &Ctx,
    caller: &Caller,
    plan: &Plan,
    draft: &PlanVersion,
    required: &[allot_domain::Role],
    errors: &[FieldError],
) -> Markup {
    let name = plan.child.details.known_as();
    let totals = draft.content.totals();
    let change = |what: &str| {
        vec![RowAction {
            href: plan.path("/edit"),
            text: "Change".into(),
            visually_hidden_text: Some(what.to_lowercase()),
        }]
    };
    let row = |key: &str, value: Content| SummaryRow { actions: change(key), ..SummaryRow::new(key, value) };
    let mut frame = Frame::new(ctx, "Check the plan before you submit it");
    frame.has_errors = !errors.is_empty();
    frame.before_content = Some(html! { (BackLink { href: plan.path(""), text: Some("Support plan".into()) }) });
    frame.render(html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                @if !errors.is_empty() {
                    // The fields to put right are on the plan form.
                    (ErrorSummary {
                        title: "There is a problem".into(),
                        description: Some("Change the plan to put these right, then submit it.".into()),
                        errors: errors.iter().map(|e| ErrorLink { href: Some(format!("{}#{}", plan.path("/edit"), e.field)), text: sentence(&e.message).into() }).collect(),
                    })
                }
                span class="govuk-caption-l" { (name) }
                h1 class="govuk-heading-l" { "Check the plan before you submit it" }
                (SummaryList {
                    rows: vec![
                        SummaryRow::new("Version", draft.version.to_string()),
                        row("Outcomes", draft.content.outcomes.len().to_string().into()),
                        row("Support items", draft.content.items.len().to_string().into()),
                        row("How the money is held", Content::Html(html! {
                            @for (route, amount) in &totals.by_route { (route.label()) ": " (amount) " a year" br; }
                        })),
                        row("Contingency", draft.content.contingency.as_ref().map_or("None".to_owned(), |c| format!("{} a year", c.amount)).into()),
                        row("Total a year", Content::Html(html! { strong { (totals.total) } })),
                        SummaryRow::new("Who must approve it", if required.is_empty() {
                            "Nobody can until the area publishes a delegation policy".to_owned()
                        } else {
                            required.iter().map(|r| r.label()).collect::<Vec<_>>().join(", then ")
                        }),
                    ],
                    classes: None,
                })
                (money_table(&draft.content, &plan.indicative.amounts, &plan.indicative))
                @if errors.is_empty() {
                    (WarningText { text: "Once you submit it, the plan cannot be changed until a decision is made.".into(), icon_fallback_text: None })
                    form method="post" action=(plan.path("/submit")) novalidate {
                        input type="hidden" name="csrf_token" value=(caller.session.csrf_token);
                        input type="hidden" name="version" value=(draft.version);
                        input type="hidden" name="row_version" value=(draft.row_version);
                        (Button { text: Some("Submit for sign-off".into()), prevent_double_click: Some(true), ..Button::default() })
                    }
                } @else {
                    (Button { text: Some("Change the plan".into()), href: Some(plan.path("/edit")), ..Button::default() })
                }
            }
        }
    })
}

/// The draft to submit, who would have to approve it, and what stops it.
async fn submission_check(
    state: &AppState,
    caller: &Caller,
    plan: &Plan,
) -> Result<(PlanVersion, Vec<allot_domain::Role>, Vec<FieldError>), Problem> {
    let draft = plan.versions.last().filter(|v| v.status.is_editable()).cloned().ok_or_else(|| {
        Problem::invalid(Invalid::one("version", "there is no draft to submit: start a new version first"))
    })?;
    let items: Vec<_> = draft.content.items.iter().map(|i| i.item.clone()).collect();
    let checked = check_submission(
        draft.content.outcomes.len(),
        &items,
        draft.content.contingency.as_ref(),
        &plan.indicative.amounts,
        &draft.content.over_reasons,
    );
    let (council, health) = plan.indicative.council_and_health(&draft.content.totals());
    let required = state
        .store
        .delegation_policies(caller.area)
        .await?
        .pop()
        .map(|p| p.policy.approvers(council, health))
        .unwrap_or_default();
    Ok((draft, required, checked.err().map(|e| e.0).unwrap_or_default()))
}

pub(crate) async fn check_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Markup, Problem> {
    let plan = load(&state, &caller, &id).await?;
    let (draft, required, errors) = submission_check(&state, &caller, &plan).await?;
    Ok(submit_page(&ctx, &caller, &plan, &draft, &required, &errors))
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, Problem> {
    let based_on =
        based_on(&fields, "").ok_or_else(|| Problem::invalid(Invalid::one("version", "name the version")))?;
    Ok(match pathway::submit(&state, &caller, &id, based_on).await {
        Ok((saved, _)) => Redirect::to(&format!("/children/{}/plan?done=submitted", saved.child_id)).into_response(),
        Err(problem) => {
            let plan = load(&state, &caller, &id).await?;
            let (draft, required, _) = submission_check(&state, &caller, &plan).await?;
            refused(|errors| submit_page(&ctx, &caller, &plan, &draft, &required, errors), problem)
        }
    })
}

// Deciding

fn decision_form(fields: &Fields) -> DecisionForm {
    DecisionForm {
        version: value(fields, "version").and_then(|v| v.parse().ok()),
        decision: value(fields, "decision"),
        reason: value(fields, "reason"),
        signed_for: value(fields, "signed_for"),
    }
}

fn decision_page(
    ctx: &Ctx,
    caller: &Caller,
    plan: &Plan,
    v: &PlanVersion,
    fields: &Fields,
    errors: &[FieldError],
) -> Markup {
    let name = plan.child.details.known_as();
    let content = v.content.for_viewer(caller.user.details.role, caller.user.details.organisation_id);
    let compared_with = v.submission.as_ref().map_or(&plan.indicative.amounts, |s| &s.indicative);
    let mut frame = Frame::new(ctx, "Decide on the plan");
    frame.has_errors = !errors.is_empty();
    frame.before_content = Some(
        html! { (BackLink { href: format!("{}?version={}", plan.path(""), v.version), text: Some("Support plan".into()) }) },
    );
    frame.render(html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                @if !errors.is_empty() { (error_summary(errors)) }
                span class="govuk-caption-l" { (name) ", version " (v.version) }
                h1 class="govuk-heading-l" { "Decide on the plan" }
                (money_table(&content, compared_with, &plan.indicative))
                @if !content.over_reasons.is_empty() {
                    (SummaryList { rows: content.over_reasons.iter().map(|(s, r)| SummaryRow::new(format!("Why over for {}", plan.indicative.name(s)), r.clone())).collect(), classes: None })
                }
                p class="govuk-body" { a class="govuk-link" href={ (plan.path("")) "?version=" (v.version) } { "Read the whole plan" } }
                form method="post" action=(plan.path("/decision/check")) novalidate {
                    input type="hidden" name="csrf_token" value=(caller.session.csrf_token);
                    input type="hidden" name="version" value=(v.version);
                    (Radios {
                        name: "decision".into(),
                        legend: Some(Legend { classes: Some("govuk-fieldset__legend--m".into()), ..Legend::new("Your decision") }),
                        error: field_error(errors, "decision"),
                        items: vec![
                            Choice::new("approve", "Approve the plan"),
                            Choice::new("return", "Send it back to be changed"),
                            Choice::new("decline", "Decline the plan"),
                        ],
                        value: value(fields, "decision"),
                        ..Radios::default()
                    })
                    (Textarea {
                        name: "reason".into(),
                        label: Some(Label { classes: Some("govuk-label--s".into()), ..Label::new("Your reasons") }),
                        hint: Some("Needed to send it back or decline it. The family will read them in the decision letter.".into()),
                        error: field_error(errors, "reason"),
                        value: value(fields, "reason"),
                        ..Textarea::default()
                    })
                    (Button { text: Some("Continue".into()), prevent_double_click: Some(true), ..Button::default() })
                }
            }
        }
    })
}

pub(crate) async fn decision(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Fields>,
) -> Result<Markup, Problem> {
    let plan = load(&state, &caller, &id).await?;
    let v = plan.version(q.get("version"), |v| v.status == PlanStatus::Submitted)?;
    Ok(decision_page(&ctx, &caller, &plan, v, &q, &[]))
}

/// The check-your-answers page for a decision: nothing is recorded until
/// it is confirmed.
pub(crate) async fn check_decision(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, Problem> {
    let plan = load(&state, &caller, &id).await?;
    let v = plan.version(fields.get("version"), |v| v.status == PlanStatus::Submitted)?;
    let checked = match pathway::check_decision(&state, &caller, &id, &decision_form(&fields), &SIGNOFF_DECISIONS).await
    {
        Ok(checked) => checked,
        Err(problem) => return Ok(refused(|errors| decision_page(&ctx, &caller, &plan, v, &fields, errors), problem)),
    };
    let d = &checked.decision;
    let back = format!(
        "{}?{}",
        plan.path("/decision"),
        serde_urlencoded::to_string([
            ("version", v.version.to_string()),
            ("decision", d.kind.code().into()),
            ("reason", d.reason.clone().unwrap_or_default())
        ])
        .unwrap_or_default()
    );
    let change = |what: &str| {
        vec![RowAction { href: back.clone(), text: "Change".into(), visually_hidden_text: Some(what.into()) }]
    };
    let after = match checked.status {
        PlanStatus::Submitted => "Still waiting for sign-off: someone else must approve it too".to_owned(),
        PlanStatus::Approved => "Approved: the family is asked to co-sign it".to_owned(),
        s => s.label().to_owned(),
    };
    let mut frame = Frame::new(&ctx, "Check your decision");
    frame.before_content = Some(html! { (BackLink { href: back.clone(), text: None }) });
    Ok(frame
        .render(html! {
            div class="govuk-grid-row" {
                div class="govuk-grid-column-two-thirds" {
                    span class="govuk-caption-l" { (plan.child.details.known_as()) ", version " (v.version) }
                    h1 class="govuk-heading-l" { "Check your decision" }
                    (SummaryList {
                        rows: vec![
                            SummaryRow { actions: change("decision"), ..SummaryRow::new("Decision", d.kind.label()) },
                            SummaryRow { actions: change("reasons"), ..SummaryRow::new("Reasons", d.reason.clone().unwrap_or_else(|| "None given".into())) },
                            SummaryRow::new("Total a year", v.content.totals().total.to_string()),
                            SummaryRow::new("You decide as", d.stands_for.unwrap_or(d.role).label()),
                            SummaryRow::new("The plan will be", after),
                        ],
                        classes: None,
                    })
                    p class="govuk-body" { "Your decision, your name and the time are recorded, and the family is sent a letter." }
                    form method="post" action=(plan.path("/decision")) novalidate {
                        input type="hidden" name="csrf_token" value=(caller.session.csrf_token);
                        input type="hidden" name="version" value=(v.version);
                        input type="hidden" name="decision" value=(d.kind.code());
                        @if let Some(reason) = &d.reason { input type="hidden" name="reason" value=(reason); }
                        (Button { text: Some("Confirm the decision".into()), prevent_double_click: Some(true), ..Button::default() })
                    }
                }
            }
        })
        .into_response())
}

/// A page with a decision form on a version: the form, its values, its errors.
type DecisionPage = fn(&Ctx, &Caller, &Plan, &PlanVersion, &Fields, &[FieldError]) -> Markup;

/// Records a decision or signature from a form: back to the plan with
/// `done`, or the form again with its errors.
async fn record_decision(
    (state, ctx, caller, id, fields): (AppState, Ctx, Caller, String, Fields),
    kinds: &[DecisionKind],
    waiting: PlanStatus,
    done: &str,
    page: DecisionPage,
) -> Result<Response, Problem> {
    Ok(match pathway::decide(&state, &caller, &id, decision_form(&fields), kinds).await {
        Ok((saved, _)) => {
            Redirect::to(&format!("/children/{}/plan?version={}&done={done}", saved.child_id, saved.version))
                .into_response()
        }
        Err(problem) => {
            let plan = load(&state, &caller, &id).await?;
            let v = plan.version(fields.get("version"), |v| v.status == waiting)?;
            refused(|errors| page(&ctx, &caller, &plan, v, &fields, errors), problem)
        }
    })
}

pub(crate) async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, Problem> {
    let sent = (state, ctx, caller, id, fields);
    record_decision(sent, &SIGNOFF_DECISIONS, PlanStatus::Submitted, "decided", decision_page).await
}

// Co-signing

fn co_sign_page(
    ctx: &Ctx,
    caller: &Caller,
    plan: &Plan,
    v: &PlanVersion,
    fields: &Fields,
    errors: &[FieldError],
) -> Markup {
    let family = caller.user.details.role.is_family();
    let totals = v.content.totals();
    let mut frame = Frame::new(ctx, "Co-sign the plan");
    frame.has_errors = !errors.is_empty();
    frame.before_content = Some(
        html! { (BackLink { href: format!("{}?version={}", plan.path(""), v.version), text: Some("Support plan".into()) }) },
    );
    frame.render(html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                @if !errors.is_empty() { (error_summary(errors)) }
                span class="govuk-caption-l" { (plan.child.details.known_as()) ", version " (v.version) }
                h1 class="govuk-heading-l" { "Co-sign the plan" }
                p class="govuk-body" { "The plan has been approved. When the family co-signs it, it is agreed and the money can be set up." }
                (SummaryList {
                    rows: totals.by_route.iter().map(|(route, amount)| SummaryRow::new(route.label(), format!("{amount} a year")))
                        .chain(std::iter::once(SummaryRow::new("Total a year", Content::Html(html! { strong { (totals.total) } }))))
                        .collect(),
                    classes: None,
                })
                p class="govuk-body" { a class="govuk-link" href={ (plan.path("")) "?version=" (v.version) } { "Read the whole plan before you sign" } }
                form method="post" action=(plan.path("/co-sign")) novalidate {
                    input type="hidden" name="csrf_token" value=(caller.session.csrf_token);
                    input type="hidden" name="version" value=(v.version);
                    input type="hidden" name="decision" value="co_sign";
                    @if !family {
                        (Input {
                            name: "signed_for".into(),
                            label: Some(Label::new("Who signed the plan on paper")),
                            hint: Some("You are recording a family member's signature".into()),
                            error: field_error(errors, "signed_for"),
                            value: value(fields, "signed_for"),
                            ..Input::default()
                        })
                    } @else if let Some(e) = field_error(errors, "decision") {
                        p class="govuk-error-message" { (e) }
                    }
                    (Button { text: Some(if family { "I agree to this plan" } else { "Record the signature" }.into()), prevent_double_click: Some(true), ..Button::default() })
                }
            }
        }
    })
}

pub(crate) async fn co_sign_form(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Fields>,
) -> Result<Markup, Problem> {
    let plan = load(&state, &caller, &id).await?;
    let v = plan.version(q.get("version"), |v| v.status == PlanStatus::Approved)?;
    Ok(co_sign_page(&ctx, &caller, &plan, v, &q, &[]))
}

pub(crate) async fn co_sign(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, Problem> {
    record_decision((state, ctx, caller, id, fields), &SIGNATURES, PlanStatus::Approved, "signed", co_sign_page).await
}

// The letter, and comparing versions

pub(crate) async fn letter(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Fields>,
) -> Result<Markup, Problem> {
    let version = q.get("version").map(|v| v.trim().parse::<i64>().map_err(|_| Problem::not_found())).transpose()?;
    let (child, letter) = pathway::letter_for(&state, &caller, &id, version).await?;
    let mut frame = Frame::new(&ctx, "Decision letter");
    frame.before_content =
        Some(html! { (BackLink { href: format!("/children/{}/plan", child.id), text: Some("Support plan".into()) }) });
    Ok(frame.render(html! {
        div class="allot-letter" { (letter) }
        p class="govuk-body allot-no-print" { "To keep a copy, print this page: the header, menu and footer are left out." }
    }))
}

/// The names of the fields `compare_items` reports, for people.
fn field_name(field: &str) -> &str {
    match field {
        "what" => "what it is",
        "provided_by" => "who provides it",
        "unit_cost" => "cost",
        "units_hundredths" => "units",
        "frequency" => "how often",
        "stream" => "funding stream",
        "route" => "how the money is held",
        "isf_holder" => "who holds it",
        "provider" => "provider",
        "personal_assistant" => "personal assistant",
        other => other,
    }
}

pub(crate) async fn compare(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Fields>,
) -> Result<Markup, Problem> {
    let plan = load(&state, &caller, &id).await?;
    let n = plan.versions.len();
    let mut frame = Frame::new(&ctx, "Compare versions of the plan");
    frame.before_content = Some(html! { (BackLink { href: plan.path(""), text: Some("Support plan".into()) }) });
    if n < 2 {
        return Ok(frame.render(html! {
            span class="govuk-caption-l" { (plan.child.details.known_as()) }
            h1 class="govuk-heading-l" { "Compare versions of the plan" }
            p class="govuk-body" { "The plan has only " (if n == 1 { "one version" } else { "no versions" }) " so far: there is nothing to compare." }
        }));
    }
    let pick = |field: &str, default: usize| match q.get(field) {
        Some(_) => plan.version(q.get(field), |_| true),
        None => plan.versions.get(default).ok_or_else(Problem::not_found),
    };
    let (from, to) = (pick("from", n.saturating_sub(2))?, pick("to", n.saturating_sub(1))?);
    let (role, org) = (caller.user.details.role, caller.user.details.organisation_id);
    let (old, new) = (from.content.for_viewer(role, org), to.content.for_viewer(role, org));
    let what = |key: &str| {
        new.items.iter().chain(old.items.iter()).find(|i| i.key == key).map_or(key.to_owned(), |i| i.item.what.clone())
    };
    let cost = |c: &PlanContent, key: &str| {
        c.items.iter().find(|i| i.key == key).map_or("None".to_owned(), |i| i.item.annual_cost().to_string())
    };
    let changes = compare_items(&old.items, &new.items);
    let version_choices: Vec<Choice> = plan
        .versions
        .iter()
        .map(|v| {
            Choice::new(v.version.to_string(), format!("Version {} ({})", v.version, v.status.label().to_lowercase()))
        })
        .collect();
    Ok(frame.render(html! {
        span class="govuk-caption-l" { (plan.child.details.known_as()) }
        h1 class="govuk-heading-l" { "Compare versions of the plan" }
        form method="get" action=(plan.path("/compare")) class="allot-inline-form" {
            (Select { name: "from".into(), label: Some(Label::new("Earlier version")), items: version_choices.clone(), value: Some(from.version.to_string()), ..Select::default() })
            (Select { name: "to".into(), label: Some(Label::new("Later version")), items: version_choices, value: Some(to.version.to_string()), ..Select::default() })
            (Button { text: Some("Compare".into()), classes: Some("govuk-button--secondary".into()), ..Button::default() })
        }
        @if changes.is_empty() {
            p class="govuk-body" { "The support items are the same in both versions." }
        } @else {
            (Table {
                caption: Some(format!("What changed from version {} to version {}", from.version, to.version)),
                caption_classes: Some("govuk-table__caption--m".into()),
                head: vec![Cell::new("Support"), Cell::new("Change"), Cell::numeric(format!("Version {}, a year", from.version)), Cell::numeric(format!("Version {}, a year", to.version))],
                rows: changes.iter().map(|c| {
                    let (key, change) = match c {
                        ItemChange::Added { key } => (key, "Added".to_owned()),
                        ItemChange::Removed { key } => (key, "Removed".to_owned()),
                        ItemChange::Changed { key, fields } => (key, format!("Changed: {}", fields.iter().map(|f| field_name(f)).collect::<Vec<_>>().join(", "))),
                    };
                    vec![Cell::new(what(key)), Cell::new(change), Cell::numeric(cost(&old, key)), Cell::numeric(cost(&new, key))]
                }).collect(),
                first_cell_is_header: true,
            })
        }
        (SummaryList {
            rows: vec![
                SummaryRow::new(format!("Version {} total a year", from.version), old.totals().total.to_string()),
                SummaryRow::new(format!("Version {} total a year", to.version), new.totals().total.to_string()),
            ],
            classes: None,
        })
    }))
}

// The approvals queue

pub(crate) async fn approvals(State(state): State<AppState>, ctx: Ctx, caller: Caller) -> Result<Markup, Problem> {
    let waiting = pathway::awaiting_approval(&state, &caller).await?;
    Ok(Frame::new(&ctx, "Plans waiting for you").render(html! {
        h1 class="govuk-heading-l" { "Plans waiting for you" }
        @if waiting.is_empty() {
            p class="govuk-body" { "No plans are waiting for your approval." }
        } @else {
            p class="govuk-body" { "Plans your role may approve, longest waiting first." }
            (Table {
                caption: Some(format!("{} plan{} waiting", waiting.len(), if waiting.len() == 1 { "" } else { "s" })),
                caption_classes: Some("govuk-table__caption--m".into()),
                head: vec![Cell::new("Child"), Cell::new("Version"), Cell::numeric("Total a year"), Cell::new("Submitted"), Cell::numeric("Waiting"), Cell::new("You approve as")],
                rows: waiting.iter().map(|a| vec![
                    Cell::new(Content::Html(html! {
                        a class="govuk-link" href={ "/children/" (a.child.id) "/plan/decision?version=" (a.version.version) } {
                            (a.child.details.known_as()) span class="govuk-visually-hidden" { ": decide on version " (a.version.version) }
                        }
                        br; span class="govuk-body-s" { (a.child.details.reference.to_string()) }
                    })),
                    Cell::new(a.version.version.to_string()),
                    Cell::numeric(a.version.content.totals().total.to_string()),
                    Cell::new(long_date(allot_domain::dates::date_in_england(a.submission.at))),
                    Cell::numeric(format!("{} day{}", a.waiting_days, if a.waiting_days == 1 { "" } else { "s" })),
                    Cell::new(a.stands_for.label()),
                ]).collect(),
                first_cell_is_header: false,
            })
        }
    }))
}

// Review requests

fn reviews_page(
    ctx: &Ctx,
    caller: &Caller,
    plan: &Plan,
    requests: &[(ReviewRequest, i64)],
    fields: &Fields,
    errors: &[FieldError],
    done: Option<&String>,
) -> Markup {
    let name = plan.child.details.known_as();
    let decided: Vec<&PlanVersion> = plan.versions.iter().filter(|v| !v.decisions.is_empty()).collect();
    let mut frame = Frame::about(ctx, "Asking for a decision to be reviewed", &plan.child);
    frame.has_errors = !errors.is_empty();
    frame.render(html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                @if let Some(b) = banner(done) { (b) }
                @if !errors.is_empty() { (error_summary(errors)) }
                span class="govuk-caption-l" { (name) }
                h1 class="govuk-heading-l" { "Asking for a decision to be reviewed" }
                p class="govuk-body" {
                    "If you disagree with a decision about " (name) "'s plan or budget, you can ask for it to be looked at again. "
                    "The council must answer within 28 days, with its reasons."
                }
                @if requests.is_empty() {
                    p class="govuk-body" { "No reviews have been asked for." }
                } @else {
                    (Table {
                        caption: Some("Reviews asked for".into()),
                        caption_classes: Some("govuk-table__caption--m".into()),
                        head: vec![Cell::new("Asked on"), Cell::new("What"), Cell::new("Answer due"), Cell::new("Answer")],
                        rows: requests.iter().map(|(r, _)| vec![
                            Cell::new(long_date(r.received_on)),
                            Cell::new(r.what_is_challenged.clone()),
                            Cell::new(long_date(r.answer_due)),
                            Cell::new(match &r.answer {
                                Some(a) => format!("{} on {}: {}", a.outcome.label(), long_date(a.on), a.reasons),
                                None => "Not answered yet".to_owned(),
                            }),
                        ]).collect(),
                        first_cell_is_header: false,
                    })
                }
                @if may(caller, Section::Signoff) {
                    // The oldest waiting first: one form, so its fields
                    // and the error summary's links are unique.
                    @if let Some((r, row_version)) = requests.iter().filter(|(r, _)| r.answer.is_none()).min_by_key(|(r, _)| r.received_on) {
                        h2 class="govuk-heading-m" { "Answer the request made on " (long_date(r.received_on)) }
                        (InsetText { id: None, content: r.what_is_challenged.clone().into(), classes: None })
                        p class="govuk-body" { "The answer is due by " strong { (long_date(r.answer_due)) } "." }
                        form method="post" action={ "/children/" (plan.child.id) "/review-requests/answer" } novalidate {
                            input type="hidden" name="csrf_token" value=(caller.session.csrf_token);
                            input type="hidden" name="id" value=(r.id);
                            input type="hidden" name="row_version" value=(row_version);
                            (Radios {
                                name: "outcome".into(),
                                legend: Some(Legend { classes: Some("govuk-fieldset__legend--s".into()), ..Legend::new("Your answer") }),
                                error: field_error(errors, "outcome"),
                                items: ReviewOutcome::ALL.iter().map(|o| Choice::new(o.code(), o.label())).collect(),
                                value: value(fields, "outcome"),
                                ..Radios::default()
                            })
                            (Textarea {
                                name: "reasons".into(),
                                label: Some(Label { classes: Some("govuk-label--s".into()), ..Label::new("Your reasons") }),
                                hint: Some("The family will read these. Say what was looked at again and why the decision stands or what changes.".into()),
                                error: field_error(errors, "reasons"),
                                value: value(fields, "reasons"),
                                ..Textarea::default()
                            })
                            (Button { text: Some("Send the answer".into()), prevent_double_click: Some(true), ..Button::default() })
                        }
                    }
                }
                @if may(caller, Section::Challenge) {
                    h2 class="govuk-heading-m" { "Ask for a review" }
                    form method="post" action={ "/children/" (plan.child.id) "/review-requests" } novalidate {
                        input type="hidden" name="csrf_token" value=(caller.session.csrf_token);
                        (Select {
                            name: "plan_version".into(),
                            label: Some(Label::new("Which decision")),
                            error: field_error(errors, "plan_version"),
                            items: std::iter::once(Choice::new("", "Not a decision about the plan"))
                                .chain(decided.iter().map(|v| Choice::new(v.version.to_string(), format!("Version {} of the plan ({})", v.version, v.status.label().to_lowercase()))))
                                .collect(),
                            value: value(fields, "plan_version").or_else(|| decided.last().map(|v| v.version.to_string())),
                            ..Select::default()
                        })
                        (Textarea {
                            name: "what_is_challenged".into(),
                            label: Some(Label::new("What do you disagree with, and why?")),
                            hint: Some("Say what you think should change. You do not need to repeat what is already in the plan.".into()),
                            error: field_error(errors, "what_is_challenged"),
                            value: value(fields, "what_is_challenged"),
                            ..Textarea::default()
                        })
                        (Button { text: Some("Send the request".into()), prevent_double_click: Some(true), ..Button::default() })
                    }
                }
            }
        }
    })
}

/// The child's review requests, each with the row version an answer must
/// name.
async fn review_requests_of(
    state: &AppState,
    caller: &Caller,
    plan: &Plan,
) -> Result<Vec<(ReviewRequest, i64)>, Problem> {
    Ok(state
        .store
        .case_records(caller.area, Some(plan.child.id))
        .await?
        .into_iter()
        .filter_map(|s| match s.record {
            CaseRecord::ReviewRequest(r) => Some((r, s.row_version)),
            _ => None,
        })
        .collect())
}

pub(crate) async fn review_requests(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Fields>,
) -> Result<Markup, Problem> {
    let plan = load(&state, &caller, &id).await?;
    let requests = review_requests_of(&state, &caller, &plan).await?;
    Ok(reviews_page(&ctx, &caller, &plan, &requests, &Fields::new(), &[], q.get("done")))
}

pub(crate) async fn answer_review(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, Problem> {
    let form = ReviewAnswerForm {
        on: Some(caller.today().to_string()),
        outcome: value(&fields, "outcome"),
        reasons: value(&fields, "reasons"),
    };
    let row_version = value(&fields, "row_version").and_then(|v| v.parse().ok()).ok_or_else(Problem::not_found)?;
    let request = value(&fields, "id").unwrap_or_default();
    match pathway::answer_review_request(&state, &caller, &id, &request, row_version, form).await {
        Ok(saved) => Ok(Redirect::to(&format!(
            "/children/{}/review-requests?done=answered",
            saved.record.child_id().map_or(id, |c| c.to_string())
        ))
        .into_response()),
        Err(problem) => {
            let plan = load(&state, &caller, &id).await?;
            let requests = review_requests_of(&state, &caller, &plan).await?;
            Ok(refused(|errors| reviews_page(&ctx, &caller, &plan, &requests, &fields, errors, None), problem))
        }
    }
}

pub(crate) async fn ask_for_review(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, Problem> {
    let mut inv = Invalid::default();
    let plan_version = value(&fields, "plan_version")
        .and_then(|v| inv.check("plan_version", v.parse::<i64>().map_err(|_| "choose a decision from the list")));
    let form = ReviewRequestForm {
        received_on: Some(caller.today().to_string()),
        plan_version,
        what_is_challenged: value(&fields, "what_is_challenged"),
    };
    let asked = if inv.0.is_empty() {
        pathway::ask_for_review(&state, &caller, &id, &form).await.map(|saved| saved.record.child_id())
    } else {
        Err(Problem::invalid(inv))
    };
    Ok(match asked {
        Ok(Some(child)) => Redirect::to(&format!("/children/{child}/review-requests?done=asked")).into_response(),
        Ok(None) => Problem::not_found().into_response(),
        Err(problem) => {
            let plan = load(&state, &caller, &id).await?;
            let requests = review_requests_of(&state, &caller, &plan).await?;
            refused(|errors| reviews_page(&ctx, &caller, &plan, &requests, &fields, errors, None), problem)
        }
    })
}
