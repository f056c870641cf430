//! Direct payments, watched over fairly: the families whose money needs a
//! look (alerts, audits due), and a child's direct-payment audits step by
//! step — evidence, findings, a notice with reasons and a date to respond
//! by, the family's answer, recovery only when the rules allow it, closing.

use super::components::{
    Button, Cell, Choice, Content, Input, InsetText, Label, Legend, NotificationBanner, Radios, SummaryList,
    SummaryRow, Table, Tag, Textarea, WarningText,
};
use super::home::long_date;
use super::info::term;
use super::{Ctx, Fields, Frame, error_summary, field_error, refused, value};
use crate::api::parse_id;
use crate::caller::Caller;
use crate::pathway::children_in;
use crate::{AppState, Problem};
use allot_domain::access::{ChildScope, Op, Section, section_allowed};
use allot_domain::dates::{parse_date, plus_days};
use allot_domain::finance::dp_audit::{AuditEvent, AuditEventForm, AuditStep, Evidence, may_post_recovery};
use allot_domain::{Child, ChildId, FieldError, Invalid, Pence};
use allot_store::DpAudit;
use axum::Form;
use axum::extract::{MatchedPath, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::collections::HashMap;

/// Every family's direct payment in the viewer's scope: those with alerts
/// or an audit due first.
pub(crate) async fn direct_payments(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
) -> Result<Markup, Problem> {
    let today = caller.today();
    let names: HashMap<ChildId, String> = children_in(&state, &caller, &ChildScope::of(&caller.user.viewer()))
        .await?
        .into_iter()
        .map(|c| (c.id, c.details.known_as()))
        .collect();
    let mut reviews: Vec<_> = state
        .store
        .direct_payment_reviews(caller.area, today)
        .await?
        .into_iter()
        .filter(|r| names.contains_key(&r.child))
        .collect();
    let needs_a_look = |r: &allot_store::DirectPaymentReview| {
        !r.alerts.is_empty() || (r.open_audit.is_none() && r.audit_due.is_some_and(|d| d <= today))
    };
    // Stable: those needing a look first, each group in the store's order.
    reviews.sort_by_key(|r| !needs_a_look(r));
    let waiting = reviews.iter().filter(|r| needs_a_look(r)).count();
    Ok(Frame::new(&ctx, "Direct payments").render(html! {
        h1 class="govuk-heading-l" { "Direct payments" }
        p class="govuk-body" {
            "Each family's " (term("direct-payment", "direct payment")) " account: money building up, spend not in the plan "
            "or above what an item allows, nothing spent for weeks, and when the next audit is due."
        }
        @if reviews.is_empty() {
            p class="govuk-body" { "No family has a direct payment yet." }
        } @else {
            p class="govuk-body" { strong { (waiting) } " of " (reviews.len()) " need a look." }
            (Table {
                caption: None,
                caption_classes: None,
                head: vec![Cell::new("Child"), Cell::numeric("In the account"), Cell::new("Alerts"), Cell::new("Next audit")],
                rows: reviews.iter().map(|r| vec![
                    Cell::new(html! {
                        a class="govuk-link" href={ "/children/" (r.child) "/dp-audits" } { (names[&r.child]) }
                        br; span class="govuk-hint govuk-!-font-size-16" { (r.reference) }
                    }),
                    Cell::numeric(r.balance.to_string()),
                    Cell::new(if r.alerts.is_empty() {
                        html! { "None" }
                    } else {
                        html! { ul class="govuk-list govuk-!-font-size-16" { @for a in &r.alerts { li { strong { (a.kind.label()) } ": " (a.message) } } } }
                    }),
                    Cell::new(match (r.open_audit, r.audit_due) {
                        (Some(_), _) => html! { (Tag { text: "Under way".into(), classes: Some("govuk-tag--blue".into()) }) },
                        (None, Some(due)) if due <= today => html! { (long_date(due)) " " (Tag { text: "Due".into(), classes: Some("govuk-tag--red".into()) }) },
                        (None, Some(due)) => html! { (long_date(due)) },
                        (None, None) => html! { "After the first payment" },
                    }),
                ]).collect(),
                first_cell_is_header: false,
            })
        }
    }))
}

/// What can be recorded next in an audit, each on a page of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    Evidence,
    Findings,
    Notice,
    Response,
    Recovery,
    Close,
}

impl Next {
    const ALL: [Next; 6] = [Next::Evidence, Next::Findings, Next::Notice, Next::Response, Next::Recovery, Next::Close];

    /// The last part of its address.
    fn path(self) -> &'static str {
        match self {
            Next::Evidence => "evidence",
            Next::Findings => "findings",
            Next::Notice => "notice",
            Next::Response => "response",
            Next::Recovery => "recovery",
            Next::Close => "close",
        }
    }

    /// The event kind the audit's rules know it by.
    fn kind(self) -> &'static str {
        match self {
            Next::Evidence => "evidence_received",
            Next::Findings => "findings_recorded",
            Next::Notice => "notice_sent",
            Next::Response => "family_responded",
            Next::Recovery => "recovery_posted",
            Next::Close => "closed",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Next::Evidence => "Record evidence received",
            Next::Findings => "Record what the audit found",
            Next::Notice => "Send the notice to the family",
            Next::Response => "Record the family's answer",
            Next::Recovery => "Recover unspent money",
            Next::Close => "Close the audit",
        }
    }

    fn of(route: &MatchedPath) -> Next {
        let last = route.as_str().rsplit('/').next().unwrap_or_default();
        Next::ALL.into_iter().find(|n| n.path() == last).expect("a route for each step")
    }

    /// Whether it may be recorded at this point of the audit (the domain
    /// checks again when it is sent).
    fn offered(self, audit: &DpAudit) -> bool {
        let s = &audit.state;
        match self {
            Next::Evidence | Next::Findings | Next::Close => true,
            Next::Notice => s.findings().is_some_and(|f| f.proposed_recovery > Pence::ZERO && f.notice.is_none()),
            Next::Response => s.notice().is_some_and(|n| n.response.is_none()) && s.recovered().is_none(),
            Next::Recovery => {
                s.findings().is_some_and(|f| f.proposed_recovery > Pence::ZERO) && s.recovered().is_none()
            }
        }
    }
}

/// A child and their audits, oldest first.
async fn load(state: &AppState, caller: &Caller, id: &str) -> Result<(Child, Vec<DpAudit>), Problem> {
    let id: ChildId = parse_id(id)?;
    let child = state.store.child(caller.area, id).await?;
    let audits = state.store.dp_audits(caller.area, id).await?;
    Ok((child, audits))
}

fn open(audits: &[DpAudit]) -> Option<&DpAudit> {
    audits.iter().rev().find(|a| a.state.closed().is_none())
}

fn step_tag(step: AuditStep) -> Markup {
    let colour = match step {
        AuditStep::Closed => "govuk-tag--grey",
        AuditStep::NoticeSent => "govuk-tag--yellow",
        AuditStep::Recovered => "govuk-tag--purple",
        _ => "govuk-tag--blue",
    };
    html! { (Tag { text: step.label().into(), classes: Some(colour.into()) }) }
}

fn letter_text(text: &str) -> Markup {
    html! { div class="govuk-inset-text allot-letter" { @for para in text.split("\n\n") { p class="govuk-body" { @for (i, line) in para.lines().enumerate() { @if i > 0 { br; } (line) } } } } }
}

fn event_text(event: &AuditEvent) -> String {
    match event {
        AuditEvent::Started { .. } => "Audit started".into(),
        AuditEvent::EvidenceReceived { evidence, note, .. } => {
            format!("Received: {}{}", evidence.label(), note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default())
        }
        AuditEvent::FindingsRecorded { proposed_recovery, .. } => {
            format!("Findings recorded, proposing to recover {proposed_recovery}")
        }
        AuditEvent::NoticeSent { response_by, .. } => {
            format!("Notice sent: the family may respond until {}", long_date(*response_by))
        }
        AuditEvent::FamilyResponded { agreed, response, .. } => {
            format!("The family {}: {response}", if *agreed { "agreed" } else { "disagreed" })
        }
        AuditEvent::RecoveryPosted { amount, .. } => format!("{amount} recovered from the account"),
        AuditEvent::Closed { outcome, .. } => format!("Closed: {outcome}"),
    }
}

fn audit_summary(child: &Child, audit: &DpAudit, today: jiff::civil::Date) -> Markup {
    let s = &audit.state;
    let evidence = html! {
        ul class="govuk-list" {
            @for e in Evidence::ALL {
                li { (e.label()) ": " @match s.evidence().received(*e) {
                    Some(r) => { "received " (long_date(r.on)) },
                    None => { strong { "not received yet" } },
                } }
            }
        }
    };
    let mut rows = vec![
        SummaryRow::new("Started", long_date(s.started_on())),
        SummaryRow::new("Where it is", step_tag(s.step())),
        SummaryRow::new("Evidence", evidence),
    ];
    if let Some(f) = s.findings() {
        rows.push(SummaryRow::new("What was found", f.text.clone()));
        rows.push(SummaryRow::new("Proposed to recover", f.proposed_recovery.to_string()));
        if let Some(reasons) = &f.reasons {
            rows.push(SummaryRow::new("Why", reasons.clone()));
        }
    }
    if let Some(n) = s.notice() {
        rows.push(SummaryRow::new("Notice sent", long_date(n.sent_on)));
        rows.push(SummaryRow::new("The family may respond until", long_date(n.response_by)));
        if let Some(r) = &n.response {
            let answer =
                format!("{} on {}: {}", if r.agreed { "Agreed" } else { "Disagreed" }, long_date(r.on), r.text);
            rows.push(SummaryRow::new("The family's answer", answer));
        }
    }
    if let Some(r) = s.recovered() {
        rows.push(SummaryRow::new("Recovered", format!("{} on {}", r.amount, long_date(r.on))));
    } else if s.closed().is_none()
        && let Err(why) = may_post_recovery(s, today)
        && s.findings().is_some_and(|f| f.proposed_recovery > Pence::ZERO)
    {
        rows.push(SummaryRow::new("Recovery", super::sentence(&why.to_string())));
    }
    if let Some(c) = s.closed() {
        rows.push(SummaryRow::new("Closed", format!("{}: {}", long_date(c.on), c.text)));
    }
    html! {
        (SummaryList { rows, classes: None })
        @if let Some(f) = s.findings() && let Some(n) = &f.notice {
            @let text = f.letter(&child.details.known_as(), n.response_by);
            h3 class="govuk-heading-s" { "The notice sent to the family" }
            (letter_text(&text))
        }
        details class="govuk-details" {
            summary class="govuk-details__summary" { span class="govuk-details__summary-text" { "Everything recorded in this audit" } }
            div class="govuk-details__text" {
                (Table {
                    caption: None,
                    caption_classes: None,
                    head: vec![Cell::new("Date"), Cell::new("What happened"), Cell::new("Recorded by")],
                    rows: audit.events.iter().map(|e| vec![
                        Cell::new(long_date(e.event.on())),
                        Cell::new(event_text(&e.event)),
                        Cell::new(e.by.to_string()),
                    ]).collect(),
                    first_cell_is_header: false,
                })
            }
        }
    }
}

fn audits_page(
    ctx: &Ctx,
    caller: &Caller,
    child: &Child,
    audits: &[DpAudit],
    fields: &Fields,
    errors: &[FieldError],
    done: Option<&String>,
) -> Markup {
    let today = caller.today();
    let changes = section_allowed(caller.user.details.role, Section::Money, Op::Change);
    let current = open(audits);
    let mut frame = Frame::about(ctx, "Direct payment audits", child);
    frame.has_errors = !errors.is_empty();
    frame.render(html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                @if let Some(done) = done {
                    (NotificationBanner { content: Some(match done.as_str() {
                        "started" => "The audit has started",
                        "recovery" => "The money has been recovered",
                        "close" => "The audit is closed",
                        _ => "It has been recorded",
                    }.into()), success: true, ..NotificationBanner::default() })
                }
                @if !errors.is_empty() { (error_summary(errors)) }
                span class="govuk-caption-l" { (child.details.known_as()) }
                h1 class="govuk-heading-l" { "Direct payment audits" }
                p class="govuk-body" {
                    "An audit checks how the " (term("direct-payment", "direct payment")) " has been spent. "
                    "Money the plan sets aside as contingency is never treated as unspent, and nothing is taken back "
                    "until the family has been sent a notice with the reasons and has had the time it gives them to answer."
                }
                @if let Some(audit) = current {
                    h2 class="govuk-heading-m" { "The audit under way" }
                    (audit_summary(child, audit, today))
                    @if changes {
                        h3 class="govuk-heading-s" { "Record what happened next" }
                        ul class="govuk-list" {
                            @for next in Next::ALL.into_iter().filter(|n| n.offered(audit)) {
                                li { a class="govuk-link" href={ "/children/" (child.id) "/dp-audits/" (next.path()) } { (next.title()) } }
                            }
                        }
                    }
                } @else if changes {
                    form method="post" action={ "/children/" (child.id) "/dp-audits" } novalidate {
                        input type="hidden" name="csrf_token" value=(caller.session.csrf_token);
                        (Input {
                            name: "on".into(),
                            label: Some(Label { classes: Some("govuk-label--s".into()), ..Label::new("Start an audit on") }),
                            hint: Some(format!("For example, {today}. The family is told what evidence to send.").into()),
                            error: field_error(errors, "on"),
                            value: value(fields, "on").or(Some(today.to_string())),
                            classes: Some("govuk-input--width-10".into()),
                            ..Input::default()
                        })
                        (Button { text: Some("Start an audit".into()), prevent_double_click: Some(true), ..Button::default() })
                    }
                } @else {
                    p class="govuk-body" { "There is no audit under way." }
                }
                @let past: Vec<&DpAudit> = audits.iter().rev().filter(|a| a.state.closed().is_some()).collect();
                @if !past.is_empty() {
                    h2 class="govuk-heading-m" { "Earlier audits" }
                    @for audit in past { (audit_summary(child, audit, today)) }
                }
            }
        }
    })
}

pub(crate) async fn audits(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Fields>,
) -> Result<Markup, Problem> {
    let (child, audits) = load(&state, &caller, &id).await?;
    Ok(audits_page(&ctx, &caller, &child, &audits, &Fields::new(), &[], q.get("done")))
}

pub(crate) async fn start(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, Problem> {
    let (child, audits) = load(&state, &caller, &id).await?;
    let started = match parse_date(fields.get("on").map_or("", String::as_str)) {
        Ok(on) => state.store.start_dp_audit(caller.area, child.id, on, &caller.stamp()).await.map_err(Problem::from),
        Err(e) => Err(Problem::invalid(Invalid::one("on", e))),
    };
    Ok(match started {
        Ok(_) => Redirect::to(&format!("/children/{}/dp-audits?done=started", child.id)).into_response(),
        Err(problem) => refused(|errors| audits_page(&ctx, &caller, &child, &audits, &fields, errors, None), problem),
    })
}

/// One step of the audit under way.
struct Step {
    child: Child,
    audit: DpAudit,
    next: Next,
    /// How many days a notice must give the family (the area's settings).
    notice_days: i64,
}

impl Step {
    /// The step, or where to go instead when no audit is under way (it
    /// was closed meanwhile, or never started): the child's audits.
    async fn load(state: &AppState, caller: &Caller, id: &str, next: Next) -> Result<Result<Step, Redirect>, Problem> {
        let (child, audits) = load(state, caller, id).await?;
        let Some(audit) = open(&audits).cloned() else {
            return Ok(Err(Redirect::to(&format!("/children/{}/dp-audits", child.id))));
        };
        let settings = state.store.finance_settings(caller.area).await?;
        let notice_days = settings.map_or(28, |s| i64::from(s.settings.audit.notice_days));
        Ok(Ok(Step { child, audit, next, notice_days }))
    }

    /// The form for the step, with what the person typed and its errors.
    fn page(&self, ctx: &Ctx, caller: &Caller, fields: &Fields, errors: &[FieldError]) -> Markup {
        let Step { child, audit, next, notice_days } = self;
        let (child, audit, next, notice_days) = (child, audit, *next, *notice_days);
        let today = caller.today();
        let text = |name: &str| value(fields, name);
        let date = |name: &str, label: &str, hint: String, default: Option<String>| Input {
            name: name.into(),
            label: Some(Label { classes: Some("govuk-label--s".into()), ..Label::new(label) }),
            hint: Some(hint.into()),
            error: field_error(errors, name),
            value: text(name).or(default),
            classes: Some("govuk-input--width-10".into()),
            ..Input::default()
        };
        let words = |name: &str, label: &str, hint: Option<&str>| Textarea {
            name: name.into(),
            label: Some(Label { classes: Some("govuk-label--s".into()), ..Label::new(label) }),
            hint: hint.map(|h| h.into()),
            error: field_error(errors, name),
            value: text(name),
            ..Textarea::default()
        };
        let on = date("on", "On what day?", format!("For example, {today}"), Some(today.to_string()));
        let findings = audit.state.findings();
        let recoverable = may_post_recovery(&audit.state, today);
        let mut frame = Frame::new(ctx, next.title());
        frame.has_errors = !errors.is_empty();
        frame.before_content = Some(html! { (super::components::BackLink {
            href: format!("/children/{}/dp-audits", child.id),
            text: Some("Direct payment audits".into()),
        }) });
        let action = format!("/children/{}/dp-audits/{}", child.id, next.path());
        frame.render(html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                @if !errors.is_empty() { (error_summary(errors)) }
                span class="govuk-caption-l" { (child.details.known_as()) }
                h1 class="govuk-heading-l" { (next.title()) }
                @if let Some(e) = field_error(errors, "kind") {
                    div id="kind" tabindex="-1" { (WarningText { text: e, icon_fallback_text: None }) }
                }
                form method="post" action=(action) novalidate {
                    input type="hidden" name="csrf_token" value=(caller.session.csrf_token);
                    @match next {
                        Next::Evidence => {
                            (Radios {
                                name: "evidence".into(),
                                legend: Some(Legend { classes: Some("govuk-fieldset__legend--s".into()), ..Legend::new("What was received?") }),
                                error: field_error(errors, "evidence"),
                                items: Evidence::ALL.iter().map(|e| Choice::new(e.code(), e.label())).collect(),
                                value: text("evidence"),
                                ..Radios::default()
                            })
                            (on)
                            (words("note", "Anything to note (optional)", None))
                        },
                        Next::Findings => {
                            (on)
                            (words("findings", "What did the audit find?", Some("What the money was spent on, and anything not in the plan")))
                            (Input {
                                name: "proposed_recovery".into(),
                                label: Some(Label { classes: Some("govuk-label--s".into()), ..Label::new("How much unspent money is to be recovered?") }),
                                hint: Some("Enter 0 if nothing is to be recovered. Contingency money is never unspent.".into()),
                                error: field_error(errors, "proposed_recovery"),
                                value: text("proposed_recovery"),
                                prefix: Some("£".into()),
                                classes: Some("govuk-input--width-10".into()),
                                spellcheck: Some(false),
                                inputmode: Some("decimal".into()),
                                ..Input::default()
                            })
                            (words("reasons", "Why (the family is told this)", Some("Needed when money is to be recovered")))
                        },
                        Next::Notice => {
                            p class="govuk-body" { "The family will be sent this letter. Send it before anything is recovered." }
                            @let by = text("response_by").and_then(|d| parse_date(&d).ok())
                                .unwrap_or_else(|| plus_days(today, notice_days));
                            @if let Some(f) = findings { (letter_text(&f.letter(&child.details.known_as(), by))) }
                            (on)
                            (date("response_by", "The family may respond until", format!("At least {notice_days} days after the notice is sent"), Some(plus_days(today, notice_days).to_string())))
                        },
                        Next::Response => {
                            (Radios {
                                name: "agreed".into(),
                                legend: Some(Legend { classes: Some("govuk-fieldset__legend--s".into()), ..Legend::new("Did the family agree?") }),
                                error: field_error(errors, "agreed"),
                                items: vec![Choice::new("yes", "Yes, they agreed"), Choice::new("no", "No, they disagreed")],
                                value: text("agreed"),
                                classes: Some("govuk-radios--inline".into()),
                                ..Radios::default()
                            })
                            (on)
                            (words("response", "What did they say?", None))
                        },
                        Next::Recovery => {
                            @match &recoverable {
                                Ok(amount) => {
                                    (SummaryList { rows: vec![
                                        SummaryRow::new("Amount to recover", amount.to_string()),
                                        SummaryRow::new("From", "The family's direct-payment account"),
                                        SummaryRow::new("Why", findings.and_then(|f| f.reasons.clone()).unwrap_or_default()),
                                    ], classes: None })
                                    input type="hidden" name="amount" value=(amount.to_decimal_string());
                                    (on)
                                    (WarningText { text: "This takes the money back from the family's account. It cannot be undone here.".into(), icon_fallback_text: None })
                                },
                                Err(why) => {
                                    (InsetText { id: None, content: Content::Text(super::sentence(&why.to_string())), classes: None })
                                },
                            }
                        },
                        Next::Close => {
                            (on)
                            (words("outcome", "How did the audit end?", None))
                        },
                    }
                    @if next != Next::Recovery || recoverable.is_ok() {
                        (Button {
                            text: Some(if next == Next::Recovery { "Recover the money" } else { next.title() }.into()),
                            classes: (next == Next::Recovery).then(|| "govuk-button--warning".into()),
                            prevent_double_click: Some(true),
                            ..Button::default()
                        })
                    }
                }
            }
        }
    })
    }
}

pub(crate) async fn step_form(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    route: MatchedPath,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    Ok(match Step::load(&state, &caller, &id, Next::of(&route)).await? {
        Ok(step) => step.page(&ctx, &caller, &Fields::new(), &[]).into_response(),
        Err(elsewhere) => elsewhere.into_response(),
    })
}

pub(crate) async fn record_step(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    route: MatchedPath,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, Problem> {
    let step = match Step::load(&state, &caller, &id, Next::of(&route)).await? {
        Ok(step) => step,
        Err(elsewhere) => return Ok(elsewhere.into_response()),
    };
    let next = step.next;
    let form = AuditEventForm {
        kind: Some(next.kind().into()),
        on: value(&fields, "on"),
        evidence: value(&fields, "evidence"),
        note: value(&fields, "note"),
        findings: value(&fields, "findings"),
        proposed_recovery: value(&fields, "proposed_recovery"),
        reasons: value(&fields, "reasons"),
        response_by: value(&fields, "response_by"),
        agreed: value(&fields, "agreed").map(|a| a == "yes"),
        response: value(&fields, "response"),
        amount: value(&fields, "amount"),
        outcome: value(&fields, "outcome"),
    };
    let recorded = match form.parse() {
        Ok(event) => state
            .store
            .record_dp_audit_event(caller.area, step.audit.id, &event, &caller.stamp())
            .await
            .map_err(Problem::from),
        Err(invalid) => Err(Problem::invalid(invalid)),
    };
    Ok(match recorded {
        Ok(_) => Redirect::to(&format!("/children/{}/dp-audits?done={}", step.child.id, next.path())).into_response(),
        // A rule of the audit that names no field is said on the same form.
        Err(problem) => refused(|errors| step.page(&ctx, &caller, &fields, errors), problem.on_field("kind")),
    })
}
