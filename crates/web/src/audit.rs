//! The audit trail over HTTP: who has looked at a child's record, the
//! check of the whole chain, and subject access exports.

use crate::api::parse_id;
use crate::caller::Caller;
use crate::ras::escape;
use crate::{AppState, Problem};
use allot_domain::ChildId;
use allot_domain::audit::SealedEntry;
use allot_store::Store;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt::Write;

/// The most entries one page of an access log holds.
const LOG_PAGE: u32 = 500;

fn entry_json(s: &SealedEntry) -> Value {
    let e = &s.entry;
    json!({
        "seq": s.seq, "at": e.at.to_string(), "actor": e.actor, "role": e.role, "child_id": e.child_id,
        "entity": e.entity, "entity_id": e.entity_id, "action": e.action, "outcome": e.outcome,
        "detail": serde_json::from_str::<Value>(&e.detail).unwrap_or(Value::Null),
    })
}

/// Who has looked at the record (and changed it, and been refused), a page
/// at a time: `?after=SEQ` continues from the last entry of a page.
pub(crate) async fn access_log(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, Problem> {
    let child = parse_id::<ChildId>(&id)?;
    let after = match params.get("after") {
        Some(v) => v.parse::<i64>().map_err(|_| Problem::bad_request("after must be an entry number"))?,
        None => 0,
    };
    let entries = state.store.audit_entries(caller.area, Some(child), after, LOG_PAGE).await?;
    let next = (entries.len() == LOG_PAGE as usize).then(|| entries.last().map(|e| e.seq)).flatten();
    Ok(Json(json!({ "items": entries.iter().map(entry_json).collect::<Vec<_>>(), "next_after": next })))
}

pub(crate) async fn verify(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, Problem> {
    let problems = state.store.verify_audit(caller.area, vec![]).await?;
    let checkpoint = state.store.audit_checkpoint(caller.area).await?;
    Ok(Json(json!({ "whole": problems.is_empty(), "problems": problems, "checkpoint": checkpoint })))
}

/// Everything held about one child, for a subject access request: JSON,
/// and the same as a page a person can read. Nothing about any other child
/// is in it: every part is read by this child's id.
pub async fn subject_access_bundle(
    store: &dyn Store,
    area: allot_domain::AreaId,
    child: ChildId,
) -> Result<(Value, String), allot_store::StoreError> {
    let now = jiff::Timestamp::now();
    let today = allot_domain::dates::date_in_england(now);
    let record = store.child(area, child).await?;
    let family = store.family_members(area, child).await?;
    let consents = store.consents(area, child).await?;
    let leads = store.lead_history(area, child).await?;
    let involvements = store.involvements(area, child).await?;
    let allocations = store.allocations(area, child).await?;
    let pathway = store.pathway_events(area, Some(child)).await?;
    let plans = store.plan_versions(area, Some(child)).await?;
    let case_records = store.case_records(area, Some(child)).await?;
    let mut trail = Vec::new();
    loop {
        let page =
            store.audit_entries(area, Some(child), trail.last().map_or(0, |e: &SealedEntry| e.seq), 10_000).await?;
        let done = page.len() < 10_000;
        trail.extend(page);
        if done {
            break;
        }
    }
    let view = record.view(true, today);
    let json = json!({
        "produced_at": now.to_string(),
        "child": view,
        "family": family.iter().map(|m| json!({
            "name": m.details.name, "relationship": m.details.relationship,
            "parental_responsibility": m.details.parental_responsibility, "contact_by": m.details.contact_by,
            "email": m.details.email, "phone": m.details.phone,
        })).collect::<Vec<_>>(),
        "consents": consents.iter().map(|c| json!({
            "given_by": c.details.given_by.to_string(), "organisation_id": c.details.organisation_id,
            "shares": c.details.shares, "given_on": c.details.given_on.to_string(),
            "withdrawn_at": c.withdrawn_at.map(|t| t.to_string()),
        })).collect::<Vec<_>>(),
        "lead_professionals": leads,
        "involvements": involvements.iter().map(|i| json!({
            "organisation_id": i.details.organisation_id, "kind": i.details.kind, "from": i.details.from.to_string(),
            "until": i.until.map(|u| u.to_string()),
        })).collect::<Vec<_>>(),
        "allocations": allocations.iter().map(|a| json!({
            "calculated_on": a.calculated_on.to_string(), "integrated_pence": a.integrated.pence(),
            "integrated": a.integrated.to_string(), "recorded_by": a.recorded_by,
        })).collect::<Vec<_>>(),
        "pathway": pathway.iter().map(|e| json!({
            "on": e.event.on.to_string(), "what": e.event.kind.label(), "step": e.event.step.map(|s| s.label()),
            "reason": e.event.reason, "recorded_by": e.recorded_by,
        })).collect::<Vec<_>>(),
        "plans": plans.iter().map(|v| json!({
            "version": v.version, "status": v.status.label(), "content": v.content, "total_pence": v.content.totals().total.pence(),
            "decisions": v.decisions,
        })).collect::<Vec<_>>(),
        "case_records": case_records.iter().map(|r| &r.record).collect::<Vec<_>>(),
        "audit_trail": trail.iter().map(entry_json).collect::<Vec<_>>(),
    });
    Ok((json.clone(), bundle_html(&json)))
}

/// The bundle as a plain page: each section a heading, each record a table.
fn bundle_html(bundle: &Value) -> String {
    let mut h = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Subject access: everything held</title>\
         <style>body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse;margin-bottom:1em}\
         th,td{border:1px solid #999;padding:.3em;text-align:left;vertical-align:top}</style></head><body><main>\
         <h1>Everything Allot holds about this child or young person</h1>",
    );
    let _ = write!(h, "<p>Produced {}.</p>", escape(bundle["produced_at"].as_str().unwrap_or_default()));
    let sections = [
        ("child", "The record"),
        ("family", "Family and contacts"),
        ("consents", "Consent to share"),
        ("lead_professionals", "Lead professionals"),
        ("involvements", "Organisations involved"),
        ("allocations", "Indicative budgets"),
        ("pathway", "The pathway: steps, assessments, plans issued and reviews"),
        ("plans", "Support plans, every version, and the decisions on them"),
        ("case_records", "Personal assistants, safeguarding concerns, risks, review requests and gate exceptions"),
        ("audit_trail", "Who has looked at or changed the record"),
    ];
    for (key, title) in sections {
        let _ = write!(h, "<h2>{title}</h2>");
        let rows: Vec<&Value> = match &bundle[key] {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        if rows.is_empty() {
            h.push_str("<p>None.</p>");
        }
        for row in rows {
            h.push_str("<table>");
            if let Value::Object(fields) = row {
                for (k, v) in fields {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    let _ = write!(
                        h,
                        "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
                        escape(&k.replace('_', " ")),
                        escape(&text)
                    );
                }
            }
            h.push_str("</table>");
        }
    }
    h.push_str("</main></body></html>");
    h
}

pub(crate) async fn subject_access(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, Problem> {
    let (json, html) = subject_access_bundle(state.store.as_ref(), caller.area, parse_id(&id)?).await?;
    Ok(match params.get("format").map(String::as_str) {
        Some("html") => Html(html).into_response(),
        None | Some("json") => Json(json).into_response(),
        Some(_) => return Err(Problem::bad_request("format is json or html")),
    })
}
