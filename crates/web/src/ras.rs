//! The resource allocation system over HTTP: publishing policies, the
//! questionnaire on a child's record, and the public policy page.

use crate::api::{JsonBody, parse_id, require_content_type};
use crate::caller::Caller;
use crate::{AppState, Problem};
use allot_domain::ids::{ChildId, RasPolicyId};
use allot_domain::ras::policy::PolicyError;
use allot_domain::ras::{Policy, PublishedPolicy, StoredAllocation, evaluate, explain};
use allot_domain::{Invalid, Pence};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn policy_json(p: &PublishedPolicy, with_content: bool) -> Value {
    let mut v = json!({
        "id": p.id, "policy_id": p.policy.id, "version": p.policy.version, "title": p.policy.title,
        "effective_from": p.policy.effective_from.to_string(), "content_hash": p.policy.content_hash,
        "published_at": p.published_at.to_string(), "published_by": p.published_by,
    });
    if with_content {
        v["content"] = Value::String(p.content.clone());
    }
    v
}

pub(crate) async fn list_policies(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, Problem> {
    let policies = state.store.policies(caller.area).await?;
    Ok(Json(json!({ "items": policies.iter().map(|p| policy_json(p, false)).collect::<Vec<_>>() })))
}

pub(crate) async fn get_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let policy = state.store.policy(caller.area, parse_id::<RasPolicyId>(&id)?).await?;
    Ok(Json(policy_json(&policy, true)))
}

/// Publishes a policy sent as the TOML file itself.
pub(crate) async fn publish_policy(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: String,
) -> Result<Response, Problem> {
    let policy = policy_file(&headers, &body, Policy::parse)?;
    let published = state.store.publish_policy(caller.area, &policy, &body, &caller.stamp()).await?;
    Ok((StatusCode::CREATED, Json(policy_json(&published, false))).into_response())
}

/// A policy file, sent as its text (allocation or delegation): parsed,
/// with each problem named by its line.
pub(crate) fn policy_file<T>(
    headers: &HeaderMap,
    body: &str,
    parse: impl FnOnce(&str) -> Result<T, Vec<PolicyError>>,
) -> Result<T, Problem> {
    require_content_type(headers, "application/toml", "Send the policy file")?;
    parse(body).map_err(|errors| {
        let mut inv = Invalid::default();
        for e in errors {
            inv.push(&format!("line {}", e.line), e.message);
        }
        Problem::invalid(inv)
    })
}

/// The body of a completed questionnaire.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuestionnaireForm {
    pub answers: Option<BTreeMap<String, String>>,
    /// The calculation date; today if left out.
    pub on: Option<String>,
    /// Stream id → what the child gets now, in pounds.
    pub current: Option<BTreeMap<String, String>>,
}

/// A stored allocation with its plain-English explanation, worked out again
/// from the stored policy (so what is shown is always what recomputes).
fn allocation_json(
    policy: &Policy,
    child_reference: &str,
    stored: &StoredAllocation,
    date_of_birth: jiff::civil::Date,
) -> Value {
    let explanation =
        policy.answers_from_ids(child_reference, date_of_birth, &stored.answers).ok().and_then(|answers| {
            let result =
                evaluate(policy, &answers, stored.calculated_on, &policy.current_by_stream(&stored.current)).ok()?;
            Some(explain(policy, &answers, &result, stored.calculated_on))
        });
    json!({
        "id": stored.id, "child_id": stored.child_id, "policy": { "id": stored.policy, "policy_id": policy.id, "version": policy.version, "content_hash": policy.content_hash },
        "calculated_on": stored.calculated_on.to_string(), "answers": stored.answers,
        "current_pence": stored.current.iter().map(|(k, v)| (k.clone(), v.pence())).collect::<BTreeMap<_, _>>(),
        "streams": stored.streams, "integrated_pence": stored.integrated.pence(),
        "recorded_at": stored.recorded_at.to_string(), "recorded_by": stored.recorded_by,
        "explanation": explanation,
    })
}

pub(crate) async fn record_allocation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<QuestionnaireForm>,
) -> Result<Response, Problem> {
    let body = record_questionnaire(&state, &caller, parse_id::<ChildId>(&id)?, form).await?;
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Works out and records a completed questionnaire; answers with the
/// allocation as `allocation_json` gives it. Shared by the API and the
/// questionnaire page.
pub(crate) async fn record_questionnaire(
    state: &AppState,
    caller: &Caller,
    id: ChildId,
    form: QuestionnaireForm,
) -> Result<Value, Problem> {
    let child = state.store.child(caller.area, id).await?;
    let mut inv = Invalid::default();
    let on = match form.on.as_deref() {
        None => Some(caller.today()),
        Some(text) => inv.check("on", allot_domain::dates::parse_date(text)),
    };
    let mut current = BTreeMap::new();
    for (stream, amount) in form.current.unwrap_or_default() {
        match Pence::parse(&amount) {
            Ok(a) if a >= Pence::ZERO && a <= Pence::INPUT_MAX => {
                current.insert(stream, a);
            }
            Ok(_) => inv.push(&format!("current.{stream}"), format!("must be from £0 to {}", Pence::INPUT_MAX)),
            Err(e) => inv.push(&format!("current.{stream}"), e),
        }
    }
    let Some(on) = on else { return Err(Problem::invalid(inv)) };
    let published = state.store.current_policy(caller.area, on).await?.ok_or_else(|| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "/problems/no-policy",
            "There is no allocation policy in force",
            format!("No allocation policy is in force on {on}: publish one first. Nothing was saved."),
        )
    })?;
    let policy = &published.policy;
    for stream in current.keys() {
        if policy.stream_index(stream).is_none() {
            inv.push(&format!("current.{stream}"), "is not a stream of the policy in force");
        }
    }
    let answers = match policy.answers_from_ids(
        &child.details.reference.to_string(),
        child.details.date_of_birth,
        &form.answers.unwrap_or_default(),
    ) {
        Ok(a) if inv.0.is_empty() => a,
        Ok(_) => return Err(Problem::invalid(inv)),
        Err(more) => {
            inv.0.extend(more.0);
            return Err(Problem::invalid(inv));
        }
    };
    let result = evaluate(policy, &answers, on, &policy.current_by_stream(&current)).map_err(|e| {
        Problem::invalid(Invalid::one("on", e.to_string().split(": ").skip(1).collect::<Vec<_>>().join(": ")))
    })?;
    let stamp = caller.stamp();
    let stored = StoredAllocation {
        id: allot_domain::ids::AllocationId::new(),
        area_id: caller.area,
        child_id: child.id,
        policy: published.id,
        calculated_on: on,
        answers: policy.answer_ids(&answers),
        current,
        streams: policy.stream_results(&result),
        integrated: result.integrated,
        recorded_at: stamp.at,
        recorded_by: stamp.by.clone(),
    };
    state.store.record_allocation(&stored, &stamp).await?;
    Ok(allocation_json(policy, child.details.reference.as_str(), &stored, child.details.date_of_birth))
}

pub(crate) async fn list_allocations(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    Ok(Json(json!({ "items": allocations_of(&state, &caller, parse_id::<ChildId>(&id)?).await? })))
}

/// A child's allocations, oldest first, each as `allocation_json` gives it.
pub(crate) async fn allocations_of(state: &AppState, caller: &Caller, id: ChildId) -> Result<Vec<Value>, Problem> {
    let child = state.store.child(caller.area, id).await?;
    let mut items = Vec::new();
    let mut policies: BTreeMap<RasPolicyId, PublishedPolicy> = BTreeMap::new();
    for stored in state.store.allocations(caller.area, child.id).await? {
        let policy = match policies.entry(stored.policy) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(state.store.policy(caller.area, stored.policy).await?)
            }
        };
        let policy = &policy.policy;
        items.push(allocation_json(policy, child.details.reference.as_str(), &stored, child.details.date_of_birth));
    }
    Ok(items)
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
