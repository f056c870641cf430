//! The pathway over HTTP: the child's pathway and clocks, the support plan
//! and its sign-off, decision letters, review requests, safeguarding gates,
//! personal assistants, risks, worklists, approvals and reports. Handlers
//! parse, ask the domain, and store what it decided.

use crate::api::{ApiRoute, JsonBody, parse_id};
use crate::caller::Caller;
use crate::caller::Guard;
use crate::openapi::{body, id_param, ok, op, toml_body};
use crate::{AppState, Problem};
use allot_domain::access::AreaAction;
use allot_domain::access::{ChildScope, Op, Section, section_allowed};
use allot_domain::child::Child;
use allot_domain::ids::ChildId;
use allot_domain::paging::{ChildQuery, PAGE_SIZE_MAX};
use allot_domain::pathway::casework::{
    CaseRecord, CaseRecords, ClosureForm, ConcernForm, GateExceptionForm, PersonalAssistantForm, ReviewAnswerForm,
    ReviewRequestForm, RiskForm, review_answer_due,
};
use allot_domain::pathway::clocks::{TwentyWeekFigures, Urgency};
use allot_domain::pathway::content::PlanForm;
use allot_domain::pathway::delegation::{DelegationPolicy, PublishedDelegation};
use allot_domain::pathway::plan::{check_submission, over_indicative};
use allot_domain::pathway::record::{
    DueItem, EventForm, EventKind, PathwayEvent, PathwayState, PathwayStep, all_due, flags,
};
use allot_domain::pathway::reports::step_waits;
use allot_domain::pathway::signoff::{
    Decider, DecisionForm, DecisionKind, PlanDecision, PlanStatus, PlanVersion, Submission, compare_items,
};
use allot_domain::ras::policy::Agency;
use allot_domain::{Invalid, Pence};
use allot_store::{StoredCaseRecord, StoredEvent};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The pathway's routes. Every route about one child is under
/// `/api/v1/children/{id}/`, so the child's record decides who may use it.
pub(crate) fn routes() -> Vec<ApiRoute> {
    let q = |name: &str, description: &str| json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string" } });
    let with = |mut params: Vec<Value>, more: Vec<Value>| {
        params.extend(more);
        params
    };
    let read = |summary: &str, params: Vec<Value>, schema: &str| op(summary, params, None, ok(schema, summary));
    let write = |summary: &str, params: Vec<Value>, form: &str, created: bool| {
        op(summary, params, Some(body(form)), ok("object", if created { "Recorded (201)" } else { "Recorded" }))
    };
    use Section::*;
    vec![
        ApiRoute {
            path: "/api/v1/children/{id}/pathway",
            handler: get(get_pathway).post(record_event),
            operations: vec![
                (
                    "get",
                    Guard::read(Pathway),
                    read(
                        "A child's pathway: the step, the statutory clock, what is due, transitions and every event",
                        id_param(),
                        "object",
                    ),
                ),
                (
                    "post",
                    Guard::change(Pathway),
                    write(
                        "Record a pathway event (a step, a request for assessment, a decision, a draft, a final plan, a review…)",
                        id_param(),
                        "PathwayEventForm",
                        true,
                    ),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/plan",
            handler: get(get_plan).put(save_plan),
            operations: vec![
                (
                    "get",
                    Guard::read(Plan),
                    read(
                        "A child's support plan: its versions and one version in full (the latest unless ?version=)",
                        with(id_param(), vec![q("version", "Which version")]),
                        "object",
                    ),
                ),
                (
                    "put",
                    Guard::change(Plan),
                    write(
                        "Save the plan: edits the draft, or starts a new version after a frozen one",
                        id_param(),
                        "SavePlanForm",
                        false,
                    ),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/plan/submit",
            handler: post(submit_plan),
            operations: vec![(
                "post",
                Guard::change(Plan),
                write("Submit the draft for sign-off: it is frozen", id_param(), "BasedOn", false),
            )],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/plan/decisions",
            handler: post(decide_plan),
            operations: vec![(
                "post",
                Guard::change(Signoff).with_step_up(),
                write(
                    "Approve, decline or return a submitted version (reasons needed to decline or return)",
                    id_param(),
                    "DecisionForm",
                    false,
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/plan/signatures",
            handler: post(sign_plan),
            operations: vec![(
                "post",
                Guard::change(CoSign),
                write(
                    "Co-sign an approved plan, or countersign how the child keeps safe",
                    id_param(),
                    "DecisionForm",
                    false,
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/plan/compare",
            handler: get(compare_plan),
            operations: vec![(
                "get",
                Guard::read(Plan),
                read(
                    "Compare two versions item by item",
                    with(id_param(), vec![q("from", "Earlier version"), q("to", "Later version")]),
                    "object",
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/plan/letter",
            handler: get(decision_letter),
            operations: vec![(
                "get",
                Guard::read(Pathway),
                op(
                    "The decision letter (printable HTML)",
                    with(id_param(), vec![q("version", "Which version (the latest decided if left out)")]),
                    None,
                    ok("html", "The letter"),
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/review-requests",
            handler: get(list_review_requests).post(request_review),
            operations: vec![
                (
                    "get",
                    Guard::read(Pathway),
                    read("The family's requests for a decision to be reviewed", id_param(), "object"),
                ),
                (
                    "post",
                    Guard::change(Challenge),
                    write(
                        "Ask for a decision to be reviewed (answered within 28 days)",
                        id_param(),
                        "ReviewRequestForm",
                        true,
                    ),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/review-requests/answer",
            handler: post(answer_review),
            operations: vec![(
                "post",
                Guard::change(Signoff),
                write("Answer a request for a review, with reasons", id_param(), "ReviewAnswerForm", false),
            )],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/personal-assistants",
            handler: get(list_assistants).post(add_assistant).put(update_assistant),
            operations: vec![
                ("get", Guard::read(Casework), read("Personal assistants and their DBS checks", id_param(), "object")),
                (
                    "post",
                    Guard::change(Casework),
                    write("Record a personal assistant", id_param(), "PersonalAssistantForm", true),
                ),
                (
                    "put",
                    Guard::change(Casework),
                    write(
                        "Record a new DBS check (or other change) for a personal assistant",
                        id_param(),
                        "PersonalAssistantUpdate",
                        false,
                    ),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/concerns",
            handler: get(list_concerns).post(raise_concern),
            operations: vec![
                ("get", Guard::read(Casework), read("Safeguarding concerns", id_param(), "object")),
                (
                    "post",
                    Guard::change(Casework),
                    write("Record a safeguarding concern", id_param(), "ConcernForm", true),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/concerns/close",
            handler: post(close_concern),
            operations: vec![(
                "post",
                Guard::change(Gates),
                write("Close a safeguarding concern, with reasons (a manager)", id_param(), "CloseForm", false),
            )],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/risks",
            handler: get(list_child_risks).post(add_child_risk),
            operations: vec![
                ("get", Guard::read(Casework), read("The child's risk register", id_param(), "object")),
                (
                    "post",
                    Guard::change(Casework),
                    write("Add a risk to the child's register", id_param(), "RiskForm", true),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/risks/close",
            handler: post(close_child_risk),
            operations: vec![(
                "post",
                Guard::change(Casework),
                write("Close a risk, with reasons", id_param(), "CloseForm", false),
            )],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/gate-exceptions",
            handler: get(list_gate_exceptions).post(lift_gate),
            operations: vec![
                (
                    "get",
                    Guard::read(Casework),
                    read("Gates lifted on this child's direct payments", id_param(), "object"),
                ),
                (
                    "post",
                    Guard::change(Gates),
                    write(
                        "Lift a gate on a direct payment, with reasons (a manager)",
                        id_param(),
                        "GateExceptionForm",
                        true,
                    ),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/worklist",
            handler: get(worklist),
            operations: vec![(
                "get",
                Guard::area(AreaAction::Worklist),
                read(
                    "What is overdue and due this week across your children (?show=all for everything)",
                    vec![q("show", "due or all")],
                    "object",
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/approvals",
            handler: get(approvals),
            operations: vec![(
                "get",
                Guard::area(AreaAction::Approvals),
                read("Plans waiting for someone with your authority", vec![], "object"),
            )],
        },
        ApiRoute {
            path: "/api/v1/reports/pathway",
            handler: get(pathway_report),
            operations: vec![(
                "get",
                Guard::area(AreaAction::Reports),
                read(
                    "Area figures: overdue, the 20-week figure, approvals, waits, plans over indicative amounts",
                    vec![],
                    "object",
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/risks",
            handler: get(list_area_risks).post(add_area_risk),
            operations: vec![
                ("get", Guard::area(AreaAction::ViewAreaRisks), read("The area's risk register", vec![], "object")),
                (
                    "post",
                    Guard::area(AreaAction::ManageAreaRisks),
                    write("Add a risk to the area's register", vec![], "RiskForm", true),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/risks/close",
            handler: post(close_area_risk),
            operations: vec![(
                "post",
                Guard::area(AreaAction::ManageAreaRisks),
                write("Close a risk on the area's register, with reasons", vec![], "CloseForm", false),
            )],
        },
        ApiRoute {
            path: "/api/v1/delegation-policies",
            handler: get(list_delegations).post(publish_delegation),
            operations: vec![
                (
                    "get",
                    Guard::area(AreaAction::ViewPolicies),
                    read("Published delegation policies (the last is in force)", vec![], "object"),
                ),
                (
                    "post",
                    Guard::area(AreaAction::PublishPolicy).with_step_up(),
                    op(
                        "Publish a delegation policy (TOML) as the next version",
                        vec![],
                        Some(toml_body()),
                        ok("object", "Published (201)"),
                    ),
                ),
            ],
        },
    ]
}

fn unprocessable(kind: &'static str, title: &'static str, detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, kind, title, detail)
}

/// The indicative budget a plan is compared with, and the streams of the
/// allocation policy in force.
pub(crate) struct Indicative {
    /// Stream → the latest allocation's indicative amount.
    pub amounts: BTreeMap<String, Pence>,
    pub streams: Vec<String>,
    /// Stream → its name for people.
    pub names: BTreeMap<String, String>,
    /// Streams whose money comes from the NHS.
    pub health: BTreeSet<String>,
}

impl Indicative {
    /// A stream's name for people (its id if the policy no longer has it).
    pub fn name<'a>(&'a self, stream: &'a str) -> &'a str {
        self.names.get(stream).map_or(stream, String::as_str)
    }

    /// The plan's totals split into council and NHS money: who must
    /// approve depends on each.
    pub fn council_and_health(&self, totals: &allot_domain::pathway::plan::Totals) -> (Pence, Pence) {
        let (mut council, mut health) = (Pence::ZERO, Pence::ZERO);
        for (stream, amount) in &totals.by_stream {
            let side = if self.health.contains(stream) { &mut health } else { &mut council };
            *side = side.checked_add(*amount).expect("bounded");
        }
        (council, health)
    }
}

pub(crate) async fn indicative(state: &AppState, caller: &Caller, child: ChildId) -> Result<Indicative, Problem> {
    let policy = state.store.current_policy(caller.area, caller.today()).await?;
    let streams = policy.as_ref().map(|p| p.policy.streams.clone()).unwrap_or_default();
    let latest = state.store.allocations(caller.area, child).await?.pop();
    let results = latest.map(|a| a.streams).unwrap_or_default();
    Ok(Indicative {
        amounts: results.iter().map(|r| (r.stream_id.clone(), Pence::new(r.indicative_pence))).collect(),
        streams: streams.iter().map(|s| s.id.clone()).collect(),
        names: streams.iter().map(|s| (s.id.clone(), s.name.clone())).collect(),
        health: streams.iter().filter(|s| s.agency == Agency::Nhs).map(|s| s.id.clone()).collect(),
    })
}

/// Everything about a child's case the pathway's rules need.
struct Case {
    child: Child,
    events: Vec<StoredEvent>,
    state: PathwayState,
    stored: Vec<StoredCaseRecord>,
    records: CaseRecords,
}

async fn case(state: &AppState, caller: &Caller, id: &str) -> Result<Case, Problem> {
    let child = state.store.child(caller.area, parse_id(id)?).await?;
    let events = state.store.pathway_events(caller.area, Some(child.id)).await?;
    let stored = state.store.case_records(caller.area, Some(child.id)).await?;
    let records = CaseRecords::from_records(stored.iter().map(|s| s.record.clone()));
    let mut case = Case { child, state: PathwayState::default(), events, stored, records };
    case.state = PathwayState::from_events(&case.plain_events());
    Ok(case)
}

impl Case {
    fn plain_events(&self) -> Vec<PathwayEvent> {
        self.events.iter().map(|e| e.event.clone()).collect()
    }

    /// Why the plan's items cannot be paid as planned (empty: they can).
    fn blocked(&self, content: &allot_domain::pathway::content::PlanContent, today: jiff::civil::Date) -> Invalid {
        let mut blocked = self.records.blocked(
            &content.items,
            self.child.details.date_of_birth,
            self.state.young_person_consented.is_some(),
            today,
        );
        blocked.0.extend(self.state.route_problems(&content.items).0);
        blocked
    }

    fn stored(&self, id: &str) -> Result<&StoredCaseRecord, Problem> {
        self.stored
            .iter()
            .find(|s| s.record.id() == id.trim())
            .ok_or_else(|| Problem::invalid(Invalid::one("id", "not one of this child's records")))
    }
}

fn due_json(d: &DueItem) -> Value {
    json!({ "kind": d.kind, "label": d.kind.label(), "due": d.due.to_string(), "urgency": d.urgency, "about": d.about })
}

fn event_json(e: &StoredEvent) -> Value {
    json!({
        "seq": e.seq, "kind": e.event.kind, "label": e.event.kind.label(), "on": e.event.on.to_string(),
        "step": e.event.step, "reason": e.event.reason,
        "recorded_at": e.recorded_at.to_string(), "recorded_by": e.recorded_by,
    })
}

// The pathway record

pub(crate) async fn get_pathway(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let case = case(&state, &caller, &id).await?;
    let today = caller.today();
    // The family sees the pathway's own deadlines and their review
    // requests; staff who may read casework see its deadlines too.
    let records = if section_allowed(caller.user.details.role, Section::Casework, Op::Read) {
        case.records.clone()
    } else {
        CaseRecords { review_requests: case.records.review_requests.clone(), ..CaseRecords::default() }
    };
    let steps: Vec<Value> = case
        .events
        .iter()
        .filter(|e| e.event.kind == EventKind::StepMoved)
        .map(|e| json!({ "step": e.event.step, "label": e.event.step.map(PathwayStep::label), "on": e.event.on.to_string(), "by": e.recorded_by, "reason": e.event.reason }))
        .collect();
    Ok(Json(json!({
        "step": case.state.step.unwrap_or(PathwayStep::NeedIdentified),
        "step_label": case.state.step.unwrap_or(PathwayStep::NeedIdentified).label(),
        "steps": steps,
        "ehc": case.state.ehc.as_ref().map(|e| json!({
            "request_received": e.clock.request_received.to_string(),
            "decision_due": e.clock.decision_due.to_string(),
            "final_plan_due": e.clock.final_plan_due.to_string(),
            "decided": e.decided.map(|(on, assess)| json!({ "on": on.to_string(), "assess": assess })),
            "draft_sent": e.draft_sent.map(|d| d.to_string()),
            "comments_close": e.comments_close.map(|d| d.to_string()),
            "final_issued": e.final_issued.map(|d| d.to_string()),
            "issued_in_time": e.issued_in_time(),
            "exception": e.exception,
        })),
        "budget_request": case.state.budget_request.map(|(on, wanted)| json!({ "on": on.to_string(), "wants_personal_budget": wanted })),
        "young_person_consented_to_direct_payment": case.state.young_person_consented.map(|d| d.to_string()),
        "due": all_due(&case.state, &records, today).iter().map(due_json).collect::<Vec<_>>(),
        "flags": flags(case.child.details.date_of_birth, today).iter().map(|(k, d)| json!({ "kind": k, "label": k.label(), "date": d.to_string() })).collect::<Vec<_>>(),
        "events": case.events.iter().map(event_json).collect::<Vec<_>>(),
    })))
}

pub(crate) async fn record_event(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<EventForm>,
) -> Result<Response, Problem> {
    let case = case(&state, &caller, &id).await?;
    let earlier = case.plain_events();
    let event = form.parse(&earlier, caller.today())?;
    let stored =
        state.store.record_pathway_event(caller.area, case.child.id, earlier.len(), &event, &caller.stamp()).await?;
    Ok((StatusCode::CREATED, Json(event_json(&stored))).into_response())
}

// The support plan

fn version_json(v: &PlanVersion, caller: &Caller, indicative: &Indicative) -> Value {
    let content = v.content.for_viewer(caller.user.details.role, caller.user.details.organisation_id);
    let totals = content.totals();
    let compared_with = v.submission.as_ref().map_or(&indicative.amounts, |s| &s.indicative);
    json!({
        "version": v.version,
        "status": v.status,
        "status_label": v.status.label(),
        "row_version": v.row_version,
        "updated_at": v.updated_at.to_string(),
        "content": content,
        "totals": totals,
        "indicative": compared_with,
        "over_indicative": over_indicative(&totals, compared_with),
        "submission": v.submission,
        "signoff": v.signoff(),
        "decisions": v.decisions,
    })
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanQuery {
    version: Option<i64>,
}

pub(crate) async fn get_plan(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<PlanQuery>,
) -> Result<Json<Value>, Problem> {
    let child: ChildId = parse_id(&id)?;
    state.store.child(caller.area, child).await?;
    let versions = state.store.plan_versions(caller.area, Some(child)).await?;
    let indicative = indicative(&state, &caller, child).await?;
    let shown = match q.version {
        Some(n) => Some(versions.iter().find(|v| v.version == n).ok_or_else(Problem::not_found)?),
        None => versions.last(),
    };
    Ok(Json(json!({
        "versions": versions.iter().map(|v| json!({ "version": v.version, "status": v.status, "status_label": v.status.label(), "updated_at": v.updated_at.to_string() })).collect::<Vec<_>>(),
        "shown": shown.map(|v| version_json(v, &caller, &indicative)),
        "indicative": indicative.amounts,
        "streams": indicative.streams,
    })))
}

/// The version a change is based on, as read.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BasedOn {
    pub version: i64,
    pub row_version: i64,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SavePlanForm {
    /// `null` for a child's first plan.
    based_on: Option<BasedOn>,
    plan: PlanForm,
}

pub(crate) async fn save_plan(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<SavePlanForm>,
) -> Result<Json<Value>, Problem> {
    let (saved, indicative) = save_draft(&state, &caller, &id, form.based_on, &form.plan).await?;
    Ok(Json(version_json(&saved, &caller, &indicative)))
}

/// Saves a draft of the plan (a new version after a frozen one).
pub(crate) async fn save_draft(
    state: &AppState,
    caller: &Caller,
    id: &str,
    based_on: Option<BasedOn>,
    plan: &PlanForm,
) -> Result<(PlanVersion, Indicative), Problem> {
    let case = case(state, caller, id).await?;
    let indicative = indicative(state, caller, case.child.id).await?;
    if indicative.streams.is_empty() {
        return Err(unprocessable(
            "/problems/no-policy",
            "There is no allocation policy in force",
            "A plan is costed against the funding streams of the allocation policy in force: publish one first. Nothing was saved.",
        ));
    }
    let versions = state.store.plan_versions(caller.area, Some(case.child.id)).await?;
    let earlier_keys: Vec<String> = versions.iter().flat_map(|v| v.content.keys()).collect();
    let content = plan.parse(&earlier_keys, &indicative.streams)?;
    let blocked = case.blocked(&content, caller.today());
    if !blocked.0.is_empty() {
        return Err(Problem::invalid(blocked));
    }
    let saved = state
        .store
        .save_plan_draft(
            caller.area,
            case.child.id,
            based_on.map(|b| (b.version, b.row_version)),
            &content,
            caller.user.id,
            &caller.stamp(),
        )
        .await?;
    Ok((saved, indicative))
}

pub(crate) async fn submit_plan(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(based_on): JsonBody<BasedOn>,
) -> Result<Json<Value>, Problem> {
    let (saved, indicative) = submit(&state, &caller, &id, based_on).await?;
    Ok(Json(version_json(&saved, &caller, &indicative)))
}

/// Submits a draft for sign-off: it is frozen, and the delegation policy
/// in force names who must approve it.
pub(crate) async fn submit(
    state: &AppState,
    caller: &Caller,
    id: &str,
    based_on: BasedOn,
) -> Result<(PlanVersion, Indicative), Problem> {
    let case = case(state, caller, id).await?;
    let indicative = indicative(state, caller, case.child.id).await?;
    let versions = state.store.plan_versions(caller.area, Some(case.child.id)).await?;
    let draft = versions.iter().find(|v| v.version == based_on.version).ok_or_else(Problem::not_found)?;
    let items: Vec<_> = draft.content.items.iter().map(|i| i.item.clone()).collect();
    let totals = check_submission(
        draft.content.outcomes.len(),
        &items,
        draft.content.contingency.as_ref(),
        &indicative.amounts,
        &draft.content.over_reasons,
    )?;
    let blocked = case.blocked(&draft.content, caller.today());
    if !blocked.0.is_empty() {
        return Err(Problem::invalid(blocked));
    }
    let delegation = state.store.delegation_policies(caller.area).await?.pop().ok_or_else(|| {
        unprocessable(
            "/problems/no-delegation-policy",
            "There is no delegation policy",
            "Nobody can sign the plan off until the area publishes a delegation policy. Nothing was changed.",
        )
    })?;
    let (council, health) = indicative.council_and_health(&totals);
    let stamp = caller.stamp();
    let submission = Submission {
        by: caller.user.id,
        at: stamp.at,
        delegation_version: delegation.version,
        required: delegation.policy.approvers(council, health),
        council_total: council,
        health_total: health,
        indicative: indicative.amounts.clone(),
    };
    let saved = state
        .store
        .submit_plan(caller.area, case.child.id, (based_on.version, based_on.row_version), &submission, &stamp)
        .await?;
    Ok((saved, indicative))
}

/// A decision checked against the rules, not yet recorded.
pub(crate) struct CheckedDecision {
    pub version: PlanVersion,
    pub decision: PlanDecision,
    /// The version's status once the decision is recorded.
    pub status: PlanStatus,
    pub stamp: allot_domain::Stamp,
}

/// Checks a decision of one of `kinds` on a version of the plan, as the
/// caller, without recording it (a "check your answers" page shows it).
pub(crate) async fn check_decision(
    state: &AppState,
    caller: &Caller,
    id: &str,
    form: &DecisionForm,
    kinds: &[DecisionKind],
) -> Result<CheckedDecision, Problem> {
    let child: ChildId = parse_id(id)?;
    state.store.child(caller.area, child).await?;
    let kind = DecisionKind::parse(form.decision.as_deref().unwrap_or("")).map_err(|e| Invalid::one("decision", e))?;
    if !kinds.contains(&kind) {
        let codes: Vec<&str> = kinds.iter().map(|k| k.code()).collect();
        return Err(Invalid::one("decision", format!("here the decision is one of: {}", codes.join(", "))).into());
    }
    let mut versions = state.store.plan_versions(caller.area, Some(child)).await?;
    let version = form.version.ok_or_else(|| Invalid::one("version", "name the version"))?;
    let at = versions.iter().position(|v| v.version == version).ok_or_else(Problem::not_found)?;
    let v = versions.swap_remove(at);
    let policies = state.store.delegation_policies(caller.area).await?;
    let policy: DelegationPolicy = match &v.submission {
        Some(s) => policies.iter().find(|p| p.version == s.delegation_version).map(|p| p.policy.clone()),
        None => policies.last().map(|p| p.policy.clone()),
    }
    .ok_or_else(|| Invalid::one("version", "this version has not been submitted for sign-off"))?;
    let decider = Decider {
        user: caller.user.id,
        name: caller.user.details.name.as_str().to_owned(),
        role: caller.user.details.role,
    };
    if kind == DecisionKind::Approve {
        // A concern raised (or a DBS check lapsed) since submission still blocks.
        let blocked = case(state, caller, id).await?.blocked(&v.content, caller.today());
        if !blocked.0.is_empty() {
            return Err(Problem::invalid(blocked));
        }
    }
    let stamp = caller.stamp();
    let (decision, status) = v.decide(form, &policy, &decider, stamp.at)?;
    Ok(CheckedDecision { version: v, decision, status, stamp })
}

/// Records a decision of one of `kinds` on a version of the plan.
pub(crate) async fn decide(
    state: &AppState,
    caller: &Caller,
    id: &str,
    form: DecisionForm,
    kinds: &[DecisionKind],
) -> Result<(PlanVersion, Indicative), Problem> {
    let CheckedDecision { version: v, decision, status, stamp } =
        check_decision(state, caller, id, &form, kinds).await?;
    let saved =
        state.store.decide_plan(caller.area, v.child_id, (v.version, v.row_version), &decision, status, &stamp).await?;
    let indicative = indicative(state, caller, v.child_id).await?;
    Ok((saved, indicative))
}

/// The decisions of those who sign a plan off, and of those who sign it.
pub(crate) const SIGNOFF_DECISIONS: [DecisionKind; 3] =
    [DecisionKind::Approve, DecisionKind::Decline, DecisionKind::Return];
pub(crate) const SIGNATURES: [DecisionKind; 2] = [DecisionKind::CoSign, DecisionKind::RiskCountersign];

pub(crate) async fn decide_plan(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<DecisionForm>,
) -> Result<Json<Value>, Problem> {
    let (saved, indicative) = decide(&state, &caller, &id, form, &SIGNOFF_DECISIONS).await?;
    Ok(Json(version_json(&saved, &caller, &indicative)))
}

pub(crate) async fn sign_plan(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<DecisionForm>,
) -> Result<Json<Value>, Problem> {
    let (saved, indicative) = decide(&state, &caller, &id, form, &SIGNATURES).await?;
    Ok(Json(version_json(&saved, &caller, &indicative)))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CompareQuery {
    from: Option<i64>,
    to: Option<i64>,
}

pub(crate) async fn compare_plan(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<CompareQuery>,
) -> Result<Json<Value>, Problem> {
    let child: ChildId = parse_id(&id)?;
    state.store.child(caller.area, child).await?;
    let versions = state.store.plan_versions(caller.area, Some(child)).await?;
    let mut inv = Invalid::default();
    let mut pick = |field: &str, n: Option<i64>| match n.and_then(|n| versions.iter().find(|v| v.version == n)) {
        Some(v) => Some(v.content.for_viewer(caller.user.details.role, caller.user.details.organisation_id)),
        None => {
            inv.push(field, "name a version of this child's plan");
            None
        }
    };
    let (from, to) = (pick("from", q.from), pick("to", q.to));
    let (Some(from), Some(to)) = (from, to) else { return Err(inv.into()) };
    Ok(Json(json!({
        "from": q.from, "to": q.to,
        "changes": compare_items(&from.items, &to.items),
        "totals": { "from": from.totals(), "to": to.totals() },
    })))
}

/// The decision letter for a version (the latest decided one if none is
/// named): printable HTML in plain English.
pub(crate) async fn decision_letter(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<PlanQuery>,
) -> Result<Response, Problem> {
    let (child, letter) = letter_for(&state, &caller, &id, q.version).await?;
    let name = child.details.known_as();
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "Decision about " (name) "'s support plan" }
                style { (PreEscaped(LETTER_STYLE)) }
            }
            body { (letter) }
        }
    };
    Ok(Html(page.into_string()).into_response())
}

const LETTER_STYLE: &str = "body{font-family:Arial,sans-serif;max-width:40em;margin:2em auto;line-height:1.5}\
    table{border-collapse:collapse}td,th{border-bottom:1px solid #b1b4b6;padding:.3em .8em .3em 0;text-align:left}\
    td.n{text-align:right}@media print{a::after{content:\" (\" attr(href) \")\"}}";

/// The child and the letter about a version's decision (the latest
/// decided version unless one is named).
pub(crate) async fn letter_for(
    state: &AppState,
    caller: &Caller,
    id: &str,
    version: Option<i64>,
) -> Result<(Child, Markup), Problem> {
    let child = state.store.child(caller.area, parse_id(id)?).await?;
    let versions = state.store.plan_versions(caller.area, Some(child.id)).await?;
    let decided = |v: &&PlanVersion| {
        matches!(v.status, PlanStatus::Approved | PlanStatus::Agreed | PlanStatus::Declined | PlanStatus::Returned)
    };
    let v = match version {
        Some(n) => versions.iter().find(|v| v.version == n).ok_or_else(Problem::not_found)?,
        None => versions.iter().rev().find(decided).ok_or_else(|| {
            Problem::invalid(Invalid::one("version", "no decision has been made on this child's plan yet"))
        })?,
    };
    if !decided(&v) {
        return Err(Invalid::one("version", format!("no decision has been made on version {} yet", v.version)).into());
    }
    let indicative = indicative(state, caller, child.id).await?;
    let letter = letter(&child, v, &indicative, caller.today());
    Ok((child, letter))
}

fn letter(child: &Child, v: &PlanVersion, indicative: &Indicative, today: jiff::civil::Date) -> Markup {
    let name = child.details.known_as();
    let totals = v.content.totals();
    let last = v
        .decisions
        .iter()
        .rev()
        .find(|d| matches!(d.kind, DecisionKind::Approve | DecisionKind::Decline | DecisionKind::Return));
    let long = |d: jiff::civil::Date| d.strftime("%-d %B %Y").to_string();
    html! {
        p { (long(today)) }
        h1 { "Our decision about " (name) "'s support plan" }
        @match v.status {
            PlanStatus::Approved | PlanStatus::Agreed => p {
                "We have agreed version " (v.version) " of " (name) "'s support plan. The personal budget is "
                strong { (totals.total) } " a year."
            },
            PlanStatus::Declined => p { "We have " strong { "not agreed" } " version " (v.version) " of " (name) "'s support plan." },
            _ => p { "We have sent version " (v.version) " of " (name) "'s support plan back to be changed before we decide." },
        }
        @if let Some(reason) = last.and_then(|d| d.reason.as_deref()) {
            h2 { "Why" }
            p { (reason) }
        }
        h2 { "The money, by where it comes from" }
        table {
            tr { th { "Funding stream" } th { "Indicative budget" } th { "In the plan" } }
            @for (stream, amount) in &totals.by_stream {
                tr {
                    td { (indicative.name(stream)) }
                    td class="n" { (indicative.amounts.get(stream).map_or("none".to_owned(), Pence::to_string)) }
                    td class="n" { (amount) }
                }
            }
            tr { th { "Total a year" } td {} td class="n" { strong { (totals.total) } } }
        }
        h2 { "How it was worked out" }
        p {
            "The indicative budget comes from the answers to the allocation questionnaire and the area's published allocation policy. "
            "You can see every answer, the points and the band, step by step, in "
            a href={ "/children/" (child.id) "/budget" } { "how your budget was worked out" }
            ", and the policy itself on the " a href="/policy" { "public policy page" } "."
        }
        @for (stream, reason) in &v.content.over_reasons {
            p { "The plan is above the indicative budget for " (indicative.name(stream)) ": " (reason) }
        }
        h2 { "How the money will be held" }
        ul {
            @for (route, amount) in &totals.by_route { li { (route.label()) ": " (amount) " a year" } }
            @if let Some(c) = &v.content.contingency { li { "Contingency (" (c.purpose) "): " (c.amount) " a year" } }
        }
        h2 { "If you disagree" }
        p {
            "You can ask us to review this decision: tell your lead professional, or ask in Allot. "
            "We must answer within 28 days of receiving your request, with our reasons. If you ask today, we must answer by "
            strong { (long(review_answer_due(today))) } "."
        }
        p { "If you are still unhappy after that, you can complain to the Local Government and Social Care Ombudsman." }
    }
}

// Review requests

pub(crate) async fn list_review_requests(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let case = case(&state, &caller, &id).await?;
    let items: Vec<&StoredCaseRecord> =
        case.stored.iter().filter(|s| matches!(s.record, CaseRecord::ReviewRequest(_))).collect();
    Ok(Json(json!({ "items": items })))
}

pub(crate) async fn request_review(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<ReviewRequestForm>,
) -> Result<Response, Problem> {
    let saved = ask_for_review(&state, &caller, &id, &form).await?;
    Ok((StatusCode::CREATED, Json(json!(saved))).into_response())
}

/// Records the family's request for a decision to be reviewed.
pub(crate) async fn ask_for_review(
    state: &AppState,
    caller: &Caller,
    id: &str,
    form: &ReviewRequestForm,
) -> Result<StoredCaseRecord, Problem> {
    let case = case(state, caller, id).await?;
    let request = form.parse(case.child.id, caller.today())?;
    if let Some(n) = request.plan_version
        && !state.store.plan_versions(caller.area, Some(case.child.id)).await?.iter().any(|v| v.version == n)
    {
        return Err(Invalid::one("plan_version", "not a version of this child's plan").into());
    }
    Ok(state
        .store
        .save_case_record(caller.area, &CaseRecord::ReviewRequest(request), None, None, &caller.stamp())
        .await?)
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnswerForm {
    id: String,
    row_version: i64,
    on: Option<String>,
    outcome: Option<String>,
    reasons: Option<String>,
}

/// Answers the child's review request `request_id` (as last read at
/// `row_version`), for the API and the page alike.
pub(crate) async fn answer_review_request(
    state: &AppState,
    caller: &Caller,
    child: &str,
    request_id: &str,
    row_version: i64,
    form: ReviewAnswerForm,
) -> Result<StoredCaseRecord, Problem> {
    let case = case(state, caller, child).await?;
    let CaseRecord::ReviewRequest(request) = &case.stored(request_id)?.record else {
        return Err(Invalid::one("id", "not one of this child's review requests").into());
    };
    let answer = form.parse(request, caller.today())?;
    let reasons = answer.reasons.clone();
    let answered = CaseRecord::ReviewRequest(allot_domain::pathway::casework::ReviewRequest {
        answer: Some(answer),
        ..request.clone()
    });
    Ok(state.store.save_case_record(caller.area, &answered, Some(row_version), Some(&reasons), &caller.stamp()).await?)
}

pub(crate) async fn answer_review(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<AnswerForm>,
) -> Result<Json<Value>, Problem> {
    let answer = ReviewAnswerForm { on: form.on, outcome: form.outcome, reasons: form.reasons };
    let saved = answer_review_request(&state, &caller, &id, &form.id, form.row_version, answer).await?;
    Ok(Json(json!(saved)))
}

// Casework: personal assistants, concerns, risks, gate exceptions

/// The child's case records of one kind.
fn of_kind<'a>(case: &'a Case, kind: &str) -> Vec<&'a StoredCaseRecord> {
    case.stored.iter().filter(|s| s.record.kind() == kind).collect()
}

pub(crate) async fn list_assistants(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let case = case(&state, &caller, &id).await?;
    Ok(Json(json!({ "items": of_kind(&case, "personal_assistant") })))
}

pub(crate) async fn add_assistant(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<PersonalAssistantForm>,
) -> Result<Response, Problem> {
    let case = case(&state, &caller, &id).await?;
    let pa = form.parse(case.child.id, caller.today())?;
    let saved = state
        .store
        .save_case_record(caller.area, &CaseRecord::PersonalAssistant(pa), None, None, &caller.stamp())
        .await?;
    Ok((StatusCode::CREATED, Json(json!(saved))).into_response())
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateAssistantForm {
    id: String,
    row_version: i64,
    name: Option<String>,
    employed_by: Option<String>,
    dbs_certificate: Option<String>,
    dbs_issued_on: Option<String>,
    update_service: Option<bool>,
    renewal_due: Option<String>,
}

/// Records a new DBS check (or other change) for a personal assistant.
pub(crate) async fn update_assistant(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<UpdateAssistantForm>,
) -> Result<Json<Value>, Problem> {
    let case = case(&state, &caller, &id).await?;
    let CaseRecord::PersonalAssistant(existing) = &case.stored(&form.id)?.record else {
        return Err(Invalid::one("id", "not one of this child's personal assistants").into());
    };
    let parsed = PersonalAssistantForm {
        name: form.name,
        employed_by: form.employed_by,
        dbs_certificate: form.dbs_certificate,
        dbs_issued_on: form.dbs_issued_on,
        update_service: form.update_service,
        renewal_due: form.renewal_due,
    }
    .parse(case.child.id, caller.today())?;
    let updated =
        CaseRecord::PersonalAssistant(allot_domain::pathway::casework::PersonalAssistant { id: existing.id, ..parsed });
    let saved =
        state.store.save_case_record(caller.area, &updated, Some(form.row_version), None, &caller.stamp()).await?;
    Ok(Json(json!(saved)))
}

pub(crate) async fn list_concerns(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let case = case(&state, &caller, &id).await?;
    Ok(Json(json!({ "items": of_kind(&case, "concern") })))
}

pub(crate) async fn raise_concern(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<ConcernForm>,
) -> Result<Response, Problem> {
    let case = case(&state, &caller, &id).await?;
    let concern = form.parse(case.child.id, caller.today())?;
    let saved =
        state.store.save_case_record(caller.area, &CaseRecord::Concern(concern), None, None, &caller.stamp()).await?;
    Ok((StatusCode::CREATED, Json(json!(saved))).into_response())
}

/// Closing a concern or a risk: which, the version read, when and why.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CloseForm {
    id: String,
    row_version: i64,
    on: Option<String>,
    reason: Option<String>,
}

impl CloseForm {
    fn closure(
        &self,
        not_before: jiff::civil::Date,
        today: jiff::civil::Date,
    ) -> Result<allot_domain::pathway::casework::Closure, Invalid> {
        ClosureForm { on: self.on.clone(), reason: self.reason.clone() }.parse(not_before, today)
    }
}

fn already_closed() -> Problem {
    Invalid::one("id", "this is closed already").into()
}

pub(crate) async fn close_concern(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<CloseForm>,
) -> Result<Json<Value>, Problem> {
    let case = case(&state, &caller, &id).await?;
    let CaseRecord::Concern(concern) = &case.stored(&form.id)?.record else {
        return Err(Invalid::one("id", "not one of this child's concerns").into());
    };
    if concern.closed.is_some() {
        return Err(already_closed());
    }
    let closure = form.closure(concern.raised_on, caller.today())?;
    let reason = closure.reason.clone();
    let closed =
        CaseRecord::Concern(allot_domain::pathway::casework::Concern { closed: Some(closure), ..concern.clone() });
    let saved = state
        .store
        .save_case_record(caller.area, &closed, Some(form.row_version), Some(&reason), &caller.stamp())
        .await?;
    Ok(Json(json!(saved)))
}

async fn list_risks_of(state: &AppState, caller: &Caller, child: Option<ChildId>) -> Result<Json<Value>, Problem> {
    let stored = state.store.case_records(caller.area, child).await?;
    let items: Vec<&StoredCaseRecord> =
        stored.iter().filter(|s| matches!(&s.record, CaseRecord::Risk(r) if r.child_id == child)).collect();
    let today = caller.today();
    let open = items.iter().filter(|s| matches!(&s.record, CaseRecord::Risk(r) if r.closed.is_none())).count();
    let review_overdue = items
        .iter()
        .filter(|s| matches!(&s.record, CaseRecord::Risk(r) if r.closed.is_none() && r.review_on < today))
        .count();
    Ok(Json(json!({ "items": items, "open": open, "review_overdue": review_overdue })))
}

async fn add_risk_to(
    state: &AppState,
    caller: &Caller,
    child: Option<ChildId>,
    form: RiskForm,
) -> Result<Response, Problem> {
    let risk = form.parse(child)?;
    let saved = state.store.save_case_record(caller.area, &CaseRecord::Risk(risk), None, None, &caller.stamp()).await?;
    Ok((StatusCode::CREATED, Json(json!(saved))).into_response())
}

async fn close_risk_of(
    state: &AppState,
    caller: &Caller,
    child: Option<ChildId>,
    form: CloseForm,
) -> Result<Json<Value>, Problem> {
    let stored = state.store.case_records(caller.area, child).await?;
    let found = stored.iter().find(|s| s.record.id() == form.id.trim());
    let Some(CaseRecord::Risk(risk)) = found.map(|s| &s.record).filter(|r| r.child_id() == child) else {
        return Err(Invalid::one("id", "not one of the risks on this register").into());
    };
    if risk.closed.is_some() {
        return Err(already_closed());
    }
    let closure = form.closure(jiff::civil::date(1900, 1, 1), caller.today())?;
    let reason = closure.reason.clone();
    let closed = CaseRecord::Risk(allot_domain::pathway::casework::Risk { closed: Some(closure), ..risk.clone() });
    let saved = state
        .store
        .save_case_record(caller.area, &closed, Some(form.row_version), Some(&reason), &caller.stamp())
        .await?;
    Ok(Json(json!(saved)))
}

pub(crate) async fn list_child_risks(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let child = state.store.child(caller.area, parse_id(&id)?).await?;
    list_risks_of(&state, &caller, Some(child.id)).await
}

pub(crate) async fn add_child_risk(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<RiskForm>,
) -> Result<Response, Problem> {
    let child = state.store.child(caller.area, parse_id(&id)?).await?;
    add_risk_to(&state, &caller, Some(child.id), form).await
}

pub(crate) async fn close_child_risk(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<CloseForm>,
) -> Result<Json<Value>, Problem> {
    let child = state.store.child(caller.area, parse_id(&id)?).await?;
    close_risk_of(&state, &caller, Some(child.id), form).await
}

pub(crate) async fn list_area_risks(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, Problem> {
    list_risks_of(&state, &caller, None).await
}

pub(crate) async fn add_area_risk(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(form): JsonBody<RiskForm>,
) -> Result<Response, Problem> {
    add_risk_to(&state, &caller, None, form).await
}

pub(crate) async fn close_area_risk(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(form): JsonBody<CloseForm>,
) -> Result<Json<Value>, Problem> {
    close_risk_of(&state, &caller, None, form).await
}

pub(crate) async fn list_gate_exceptions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let case = case(&state, &caller, &id).await?;
    Ok(Json(json!({ "items": of_kind(&case, "gate_exception") })))
}

pub(crate) async fn lift_gate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<GateExceptionForm>,
) -> Result<Response, Problem> {
    let case = case(&state, &caller, &id).await?;
    let exception = form.parse(case.child.id, &case.records)?;
    let reason = exception.reason.clone();
    let saved = state
        .store
        .save_case_record(caller.area, &CaseRecord::GateException(exception), None, Some(&reason), &caller.stamp())
        .await?;
    Ok((StatusCode::CREATED, Json(json!(saved))).into_response())
}

// Delegation policies

fn delegation_json(p: &PublishedDelegation) -> Value {
    json!({
        "version": p.version, "policy": p.policy, "content_hash": p.content_hash,
        "published_at": p.published_at.to_string(), "published_by": p.published_by,
    })
}

pub(crate) async fn list_delegations(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, Problem> {
    let all = state.store.delegation_policies(caller.area).await?;
    Ok(Json(
        json!({ "items": all.iter().map(delegation_json).collect::<Vec<_>>(), "in_force": all.last().map(|p| p.version) }),
    ))
}

pub(crate) async fn publish_delegation(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: String,
) -> Result<Response, Problem> {
    let policy = crate::ras::policy_file(&headers, &body, DelegationPolicy::parse)?;
    let published = state.store.publish_delegation(caller.area, &policy, &body, &caller.stamp()).await?;
    Ok((StatusCode::CREATED, Json(delegation_json(&published))).into_response())
}

// Worklists, approvals and reports

/// Every child in the caller's scope.
async fn children_in_scope(state: &AppState, caller: &Caller) -> Result<Vec<Child>, Problem> {
    children_in(state, caller, &ChildScope::of(&caller.user.viewer())).await
}

pub(crate) async fn children_in(state: &AppState, caller: &Caller, scope: &ChildScope) -> Result<Vec<Child>, Problem> {
    let mut query = ChildQuery { limit: PAGE_SIZE_MAX, ..ChildQuery::default() };
    let mut all = Vec::new();
    loop {
        let page = state.store.list_children(caller.area, scope, jiff::Timestamp::now(), &query).await?;
        all.extend(page.items);
        match page.next {
            Some(next) => query.after = Some(next),
            None => return Ok(all),
        }
    }
}

/// Each child's events and case records, from one read of each.
struct AreaCases {
    events: HashMap<ChildId, Vec<PathwayEvent>>,
    records: HashMap<Option<ChildId>, Vec<CaseRecord>>,
}

async fn area_cases(state: &AppState, caller: &Caller) -> Result<AreaCases, Problem> {
    let mut events: HashMap<ChildId, Vec<PathwayEvent>> = HashMap::new();
    for e in state.store.pathway_events(caller.area, None).await? {
        events.entry(e.child_id).or_default().push(e.event);
    }
    let mut records: HashMap<Option<ChildId>, Vec<CaseRecord>> = HashMap::new();
    for r in state.store.case_records(caller.area, None).await? {
        records.entry(r.record.child_id()).or_default().push(r.record);
    }
    Ok(AreaCases { events, records })
}

impl AreaCases {
    fn state(&self, child: ChildId) -> PathwayState {
        PathwayState::from_events(self.events.get(&child).map_or(&[][..], Vec::as_slice))
    }

    fn records(&self, child: ChildId) -> CaseRecords {
        CaseRecords::from_records(self.records.get(&Some(child)).cloned().unwrap_or_default())
    }
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WorklistQuery {
    /// `due` (overdue and due this week, the default) or `all`.
    show: Option<String>,
}

/// A child as a worklist names them.
#[derive(Debug, Clone)]
pub(crate) struct ChildBrief {
    pub id: ChildId,
    pub reference: String,
    pub name: String,
}

/// What is due across the children in someone's scope.
#[derive(Debug)]
pub(crate) struct Worklist {
    pub today: jiff::civil::Date,
    pub children: usize,
    pub overdue: usize,
    pub due_this_week: usize,
    /// Soonest first.
    pub items: Vec<(ChildBrief, DueItem)>,
    /// Transitions coming up (turning 18, planning for adulthood…).
    pub flags: Vec<(ChildBrief, allot_domain::pathway::record::FlagKind, jiff::civil::Date)>,
}

/// The caller's worklist: what is overdue or due this week (or, with
/// `all`, everything due) across the children in their scope (a
/// caseworker's caseload and team, a manager's teams).
pub(crate) async fn worklist_for(state: &AppState, caller: &Caller, all: bool) -> Result<Worklist, Problem> {
    let children = children_in_scope(state, caller).await?;
    let cases = area_cases(state, caller).await?;
    let today = caller.today();
    let mut list = Worklist {
        today,
        children: children.len(),
        overdue: 0,
        due_this_week: 0,
        items: Vec::new(),
        flags: Vec::new(),
    };
    for child in &children {
        let who = ChildBrief {
            id: child.id,
            reference: child.details.reference.to_string(),
            name: format!("{} {}", child.details.legal_given_names, child.details.legal_family_name),
        };
        for d in all_due(&cases.state(child.id), &cases.records(child.id), today) {
            match d.urgency {
                Urgency::Overdue => list.overdue += 1,
                Urgency::DueThisWeek => list.due_this_week += 1,
                Urgency::Later if !all => continue,
                Urgency::Later => {}
            }
            list.items.push((who.clone(), d));
        }
        for (kind, date) in flags(child.details.date_of_birth, today) {
            list.flags.push((who.clone(), kind, date));
        }
    }
    list.items.sort_by_key(|(_, d)| d.due);
    Ok(list)
}

pub(crate) async fn worklist(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<WorklistQuery>,
) -> Result<Json<Value>, Problem> {
    let all = match q.show.as_deref() {
        None | Some("due") => false,
        Some("all") => true,
        Some(_) => return Err(Invalid::one("show", "show is due or all").into()),
    };
    let list = worklist_for(&state, &caller, all).await?;
    let who = |c: &ChildBrief| json!({ "id": c.id, "reference": c.reference, "name": c.name });
    let items: Vec<Value> = list
        .items
        .iter()
        .map(|(c, d)| {
            let mut line = due_json(d);
            line["child"] = who(c);
            line
        })
        .collect();
    let flags: Vec<Value> = list
        .flags
        .iter()
        .map(
            |(c, kind, date)| json!({ "child": who(c), "kind": kind, "label": kind.label(), "date": date.to_string() }),
        )
        .collect();
    Ok(Json(json!({
        "today": list.today.to_string(), "children": list.children, "overdue": list.overdue,
        "due_this_week": list.due_this_week, "items": items, "flags": flags,
    })))
}

/// A plan waiting for the caller's approval.
pub(crate) struct Awaiting {
    pub child: Child,
    pub version: PlanVersion,
    pub submission: Submission,
    /// The required role the caller would approve as.
    pub stands_for: allot_domain::Role,
    pub waiting_days: i64,
}

/// Plans waiting for someone with the caller's authority, in the caller's
/// scope, longest waiting first.
pub(crate) async fn awaiting_approval(state: &AppState, caller: &Caller) -> Result<Vec<Awaiting>, Problem> {
    let children: HashMap<ChildId, Child> =
        children_in_scope(state, caller).await?.into_iter().map(|c| (c.id, c)).collect();
    let policies = state.store.delegation_policies(caller.area).await?;
    let now = jiff::Timestamp::now();
    let mut items = Vec::new();
    for v in state.store.plan_versions(caller.area, None).await? {
        let (Some(child), Some(signoff), Some(s)) = (children.get(&v.child_id), v.signoff(), &v.submission) else {
            continue;
        };
        if v.status != PlanStatus::Submitted {
            continue;
        }
        let Some(policy) = policies.iter().find(|p| p.version == s.delegation_version) else { continue };
        if let Ok(stands_for) = signoff.stands_for(&policy.policy, caller.user.id, caller.user.details.role) {
            items.push(Awaiting {
                child: child.clone(),
                submission: s.clone(),
                stands_for,
                waiting_days: (now.as_second() - s.at.as_second()) / 86_400,
                version: v,
            });
        }
    }
    items.sort_by_key(|a| a.submission.at);
    Ok(items)
}

pub(crate) async fn approvals(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, Problem> {
    let items: Vec<Value> = awaiting_approval(&state, &caller)
        .await?
        .iter()
        .map(|a| {
            let s = &a.submission;
            json!({
                "child": { "id": a.child.id, "reference": a.child.details.reference },
                "version": a.version.version, "total_pence": a.version.content.totals().total.pence(),
                "council_pence": s.council_total.pence(), "health_pence": s.health_total.pence(),
                "submitted_at": s.at.to_string(), "waiting_days": a.waiting_days,
                "you_would_approve_as": a.stands_for, "required": s.required,
            })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// Area figures: overdue counts, the DfE 20-week figure, approvals by
/// approver and band, waits at each step, plans over indicative amounts.
pub(crate) async fn pathway_report(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, Problem> {
    let today = caller.today();
    let cases = area_cases(&state, &caller).await?;
    // Area figures count every child, whoever asks.
    let children: HashMap<ChildId, Child> =
        children_in(&state, &caller, &ChildScope::Everyone).await?.into_iter().map(|c| (c.id, c)).collect();
    let (mut overdue, mut overdue_children) = (0u64, 0u64);
    let mut twenty = TwentyWeekFigures::default();
    let mut histories = Vec::new();
    for id in children.keys() {
        let st = cases.state(*id);
        let n =
            all_due(&st, &cases.records(*id), today).iter().filter(|d| d.urgency == Urgency::Overdue).count() as u64;
        overdue += n;
        overdue_children += u64::from(n > 0);
        for (clock, issued, exception) in &st.finals_issued {
            twenty.add(clock, *issued, *exception);
        }
        let steps: Vec<(PathwayStep, jiff::civil::Date)> = cases
            .events
            .get(id)
            .map(|es| es.iter().filter_map(|e| Some((e.step?, e.on))).collect())
            .unwrap_or_default();
        if !steps.is_empty() {
            histories.push(steps);
        }
    }
    let mut by_approver: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut by_band: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut over = Vec::new();
    // (child, stream) → the band of the child's latest allocation, read once.
    let bands: HashMap<(ChildId, String), String> = state
        .store
        .latest_allocations(caller.area)
        .await?
        .into_iter()
        .flat_map(|(_, _, a)| a.streams.into_iter().filter_map(move |r| Some(((a.child_id, r.stream_id), r.band?))))
        .collect();
    let versions = state.store.plan_versions(caller.area, None).await?;
    for v in &versions {
        for d in v.decisions.iter().filter(|d| d.kind == DecisionKind::Approve) {
            *by_approver.entry((d.by_name.clone(), d.role.code().to_owned())).or_default() += 1;
        }
        if matches!(v.status, PlanStatus::Approved | PlanStatus::Agreed) {
            for stream in v.content.totals().by_stream.keys() {
                let band = bands.get(&(v.child_id, stream.clone())).cloned().unwrap_or_else(|| "no band".into());
                *by_band.entry((stream.clone(), band)).or_default() += 1;
            }
        }
        if let Some(s) = &v.submission {
            for (stream, amount) in over_indicative(&v.content.totals(), &s.indicative) {
                over.push(json!({
                    "child": children.get(&v.child_id).map(|c| c.details.reference.to_string()),
                    "version": v.version, "status": v.status, "stream": stream, "over_pence": amount.pence(),
                    "reason": v.content.over_reasons.get(&stream),
                }));
            }
        }
    }
    Ok(Json(json!({
        "today": today.to_string(),
        "children": children.len(),
        "overdue": overdue,
        "children_with_overdue": overdue_children,
        "twenty_weeks": {
            "issued": twenty.issued, "in_time": twenty.in_time,
            "per_mille": TwentyWeekFigures::per_mille(twenty.in_time, twenty.issued),
            "issued_excluding_exceptions": twenty.issued_excluding_exceptions,
            "in_time_excluding_exceptions": twenty.in_time_excluding_exceptions,
            "per_mille_excluding_exceptions": TwentyWeekFigures::per_mille(twenty.in_time_excluding_exceptions, twenty.issued_excluding_exceptions),
        },
        "approvals_by_approver": by_approver.iter().map(|((name, role), n)| json!({ "approver": name, "role": role, "approvals": n })).collect::<Vec<_>>(),
        "approved_plans_by_band": by_band.iter().map(|((stream, band), n)| json!({ "stream": stream, "band": band, "plans": n })).collect::<Vec<_>>(),
        "waits": step_waits(&histories, today).iter().map(|(step, w)| json!({ "step": step, "label": step.label(), "finished": w.finished, "median_days": w.median_days, "waiting_now": w.waiting_now, "longest_now_days": w.longest_now_days })).collect::<Vec<_>>(),
        "plans_over_indicative": over,
    })))
}
