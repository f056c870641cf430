//! Money over HTTP: a child's money and statement, their spend and putting
//! it against plan items, approved overspends and direct-payment audits;
//! for finance, payment runs (released with a fresh second factor) and
//! their Bacs files and journals, bank details that need a second person,
//! statement uploads, the watch over direct payments, and the money
//! reports. Handlers parse, ask the domain, and store what it decided.

use crate::api::{ApiRoute, JsonBody, parse_id, require_content_type};
use crate::caller::{Caller, Guard};
use crate::openapi::{body, id_param, ok, op};
use crate::{AppState, Problem};
use allot_domain::access::{AreaAction, ChildScope, Section};
use allot_domain::dates::parse_date;
use allot_domain::finance::bank::{BankChange, BankChangeStatus, BankDetailsForm};
use allot_domain::finance::dp_audit::{AuditEvent, AuditEventForm};
use allot_domain::finance::ledger::{AccountKey, Applied, OverspendForm, TransferKind};
use allot_domain::finance::reports::{OrganisationPayments, area_spend, organisation_payments};
use allot_domain::finance::spend::{LearnedField, StatementFormat};
use allot_domain::ids::{ChildId, PaymentRunId};
use allot_domain::organisation::{Organisation, OrganisationKind};
use allot_domain::pathway::plan::ManagementRoute;
use allot_domain::{FinancialYear, Invalid, Role};
use allot_store::{PaymentRun, SpendLineRef, StoreError, import_statement};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// The largest statement accepted in one upload; larger files go through
/// `allot import statement`.
pub const STATEMENT_LIMIT_BYTES: usize = 50 * 1024 * 1024;

pub(crate) fn routes() -> Vec<ApiRoute> {
    let q = |name: &str, description: &str| json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string" } });
    let year = || q("year", "The financial year, like 2026-27; the current one if left out");
    let with = |mut params: Vec<Value>, more: Vec<Value>| {
        params.extend(more);
        params
    };
    let read = |summary: &str, params: Vec<Value>| op(summary, params, None, ok("object", summary));
    let write = |summary: &str, params: Vec<Value>, form: &str, created: bool| {
        op(summary, params, Some(body(form)), ok("object", if created { "Recorded (201)" } else { "Recorded" }))
    };
    let money = Section::Money;
    vec![
        ApiRoute {
            path: "/api/v1/children/{id}/money",
            handler: get(child_money),
            operations: vec![(
                "get",
                Guard::read(money),
                read(
                    "A child's money in a year: each stream's budget, reserved, paid, spent and left; the family's account; every payment in and out",
                    with(id_param(), vec![year()]),
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/spend",
            handler: get(child_spend).put(put_spend_against_item),
            operations: vec![
                (
                    "get",
                    Guard::read(money),
                    read(
                        "A child's spend in a year, line by line, with the item each is against",
                        with(id_param(), vec![year()]),
                    ),
                ),
                (
                    "put",
                    Guard::change(money),
                    write(
                        "Put a line of spend against a plan item (or take it off one)",
                        id_param(),
                        "SpendItemForm",
                        false,
                    ),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/overspends",
            handler: post(approve_overspend),
            operations: vec![(
                "post",
                Guard::change(Section::Signoff).with_step_up(),
                write(
                    "Approve an overspend: more money for one of the child's budgets, with reasons",
                    id_param(),
                    "OverspendForm",
                    true,
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/dp-audits",
            handler: get(list_audits).post(start_audit),
            operations: vec![
                (
                    "get",
                    Guard::read(money),
                    read(
                        "The child's direct-payment audits, each with its events and the notice letter sent",
                        id_param(),
                    ),
                ),
                (
                    "post",
                    Guard::change(money),
                    write("Start an audit of the direct payment", id_param(), "StartAuditForm", true),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/dp-audits/events",
            handler: post(record_audit_event),
            operations: vec![(
                "post",
                Guard::change(money),
                write(
                    "Record what happened next in the open audit (not a recovery)",
                    id_param(),
                    "AuditEventForm",
                    true,
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/dp-audits/recovery",
            handler: post(post_recovery),
            operations: vec![(
                "post",
                Guard::change(money).with_step_up(),
                write(
                    "Recover unspent money: only after the notice's response date, or the family's agreement",
                    id_param(),
                    "RecoveryForm",
                    true,
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/payment-runs",
            handler: get(list_runs).post(prepare_run),
            operations: vec![
                ("get", Guard::area(AreaAction::Payments), read("Payment runs, newest first", vec![])),
                (
                    "post",
                    Guard::area(AreaAction::Payments),
                    write(
                        "Prepare a payment run of everything due by a processing day (pays nothing twice)",
                        vec![],
                        "RunForm",
                        true,
                    ),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/payment-runs/{id}/release",
            handler: post(release_run),
            operations: vec![(
                "post",
                Guard::area(AreaAction::Payments).with_step_up(),
                op("Release a prepared run: its payments are made", id_param(), None, ok("object", "The run")),
            )],
        },
        ApiRoute {
            path: "/api/v1/payment-runs/{id}/cancel",
            handler: post(cancel_run),
            operations: vec![(
                "post",
                Guard::area(AreaAction::Payments).with_step_up(),
                write(
                    "Cancel a prepared run, with the reason: its payments wait for the next",
                    id_param(),
                    "ReasonForm",
                    false,
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/payment-runs/{id}/bacs",
            handler: get(run_bacs),
            operations: vec![(
                "get",
                Guard::area(AreaAction::Payments),
                op("The run's Bacs Standard 18 file", id_param(), None, ok("text", "The file")),
            )],
        },
        ApiRoute {
            path: "/api/v1/payment-runs/{id}/journal",
            handler: get(run_journal),
            operations: vec![(
                "get",
                Guard::area(AreaAction::Payments),
                op("The run's journal for the council's ledger (CSV)", id_param(), None, ok("text", "The journal")),
            )],
        },
        ApiRoute {
            path: "/api/v1/bank-details",
            handler: get(list_bank_details).post(propose_bank_details),
            operations: vec![
                (
                    "get",
                    Guard::area(AreaAction::Payments),
                    read(
                        "Every payee's bank details: current, waiting for confirmation, replaced",
                        vec![q("status", "Only these: proposed, current, replaced or rejected")],
                    ),
                ),
                (
                    "post",
                    Guard::area(AreaAction::Payments),
                    write(
                        "Propose new bank details for a payee: a second person confirms them",
                        vec![],
                        "BankDetailsProposal",
                        true,
                    ),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/bank-details/decisions",
            handler: post(decide_bank_details),
            operations: vec![(
                "post",
                Guard::area(AreaAction::Payments).with_step_up(),
                write(
                    "Confirm or reject proposed bank details (never your own proposal)",
                    vec![],
                    "BankDetailsDecision",
                    false,
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/statements",
            handler: post(upload_statement).layer(DefaultBodyLimit::max(STATEMENT_LIMIT_BYTES)),
            operations: vec![(
                "post",
                Guard::area(AreaAction::Payments),
                op(
                    "Import a statement or provider invoices (CSV, sent as text/csv): all of it or none, each transaction once",
                    vec![
                        q("format", "generic, prepaid_card or provider_invoice"),
                        q("name", "The file's name, for the record"),
                    ],
                    Some(json!({ "required": true, "content": { "text/csv": { "schema": { "type": "string" } } } })),
                    ok("object", "What was imported (201)"),
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/direct-payments",
            handler: get(direct_payments),
            operations: vec![(
                "get",
                Guard::area(AreaAction::WatchDirectPayments),
                read("Every family's direct payment: balance, alerts and the next audit", vec![]),
            )],
        },
        ApiRoute {
            path: "/api/v1/reports/money",
            handler: get(money_report),
            operations: vec![(
                "get",
                Guard::area(AreaAction::MoneyReports),
                read("The area's budgets, reservations and payments by stream, route and month", vec![year()]),
            )],
        },
        ApiRoute {
            path: "/api/v1/reports/money/organisations",
            handler: get(organisations_report),
            operations: vec![(
                "get",
                Guard::area(AreaAction::OrganisationPayments),
                read(
                    "What each provider and school was paid and has still to come, per child and item (a provider or school sees its own)",
                    vec![
                        year(),
                        q(
                            "route",
                            "Only this route: isf for the schools and providers holding individual service funds",
                        ),
                        q("kind", "Only organisations of this kind: school, provider…"),
                    ],
                ),
            )],
        },
    ]
}

// A child's money

/// An optional query parameter, parsed; a problem with it goes in `inv`.
fn param<T, E: std::fmt::Display>(
    params: &HashMap<String, String>,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
    inv: &mut Invalid,
) -> Option<T> {
    match params.get(name).map(|v| v.trim()) {
        None | Some("") => None,
        Some(raw) => inv.check(name, parse(raw)),
    }
}

/// The `year` query parameter, or the financial year of today.
pub(crate) fn year_param(params: &HashMap<String, String>, caller: &Caller) -> Result<FinancialYear, Problem> {
    let mut inv = Invalid::default();
    let year = param(params, "year", str::parse::<FinancialYear>, &mut inv);
    Ok(inv.finish(|| year.unwrap_or_else(|| FinancialYear::containing(caller.today())))?)
}

/// One movement of a child's money in the year: paid to the family or a
/// provider (positive), or taken back (negative).
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Movement {
    pub on: jiff::civil::Date,
    pub kind: &'static str,
    pub what: &'static str,
    pub amount_pence: i64,
    pub paid_to: String,
    pub item: Option<String>,
    pub item_what: Option<String>,
    pub reference: String,
}

/// A child's money in a year, every movement oldest first, and the
/// family's account as they may recognise it (never use it).
pub(crate) struct MoneyView {
    pub money: allot_domain::finance::statement::ChildMoney,
    pub payments: Vec<Movement>,
    pub paid_into: Option<allot_domain::finance::bank::MaskedBankDetails>,
}

pub(crate) async fn money_of(
    state: &AppState,
    caller: &Caller,
    child: ChildId,
    year: FinancialYear,
) -> Result<MoneyView, Problem> {
    let money = state.store.child_money(caller.area, child, year).await?;
    let what: HashMap<&str, &str> =
        money.streams.iter().flat_map(|s| s.items.iter().map(|i| (i.key.as_str(), i.what.as_str()))).collect();
    let names = organisation_names(state, caller).await?;
    let payments: Vec<Movement> = state
        .store
        .transfers(caller.area, Some(child))
        .await?
        .iter()
        .map(|s| &s.transfer)
        .filter(|t| {
            year.contains(t.on)
                && matches!(t.kind, TransferKind::Payment | TransferKind::Recovery)
                && t.phase.moves_money()
        })
        .map(|t| {
            let (payee, sign) = match (&t.debit, &t.credit) {
                (AccountKey::Budget { .. }, to) => (to, 1),
                (from, _) => (from, -1),
            };
            let paid_to = match payee {
                AccountKey::DirectPayment { .. } => "The family's direct-payment account".to_owned(),
                AccountKey::Organisation { organisation } => {
                    names.get(organisation).cloned().unwrap_or_else(|| "A provider".to_owned())
                }
                other => other.kind().to_owned(),
            };
            Movement {
                on: t.on,
                kind: t.kind.code(),
                what: t.kind.label(),
                amount_pence: sign * t.amount.pence(),
                paid_to,
                item: t.item.clone(),
                item_what: t.item.as_deref().and_then(|k| what.get(k)).map(|w| w.to_string()),
                reference: t.reference.clone(),
            }
        })
        .collect();
    let bank = state.store.bank_details(caller.area, Some(&AccountKey::DirectPayment { child })).await?;
    let paid_into =
        bank.iter().rev().find(|(_, c)| c.status == BankChangeStatus::Current).map(|(_, c)| c.details.masked());
    Ok(MoneyView { money, payments, paid_into })
}

async fn child_money(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, Problem> {
    let child = parse_id::<ChildId>(&id)?;
    let year = year_param(&params, &caller)?;
    let view = money_of(&state, &caller, child, year).await?;
    let mut body = serde_json::to_value(&view.money).map_err(|_| Problem::unavailable())?;
    body["payments"] = json!(view.payments);
    body["paid_into"] = json!(view.paid_into);
    Ok(Json(body))
}

/// Each organisation's name, by id.
pub(crate) async fn organisation_names(
    state: &AppState,
    caller: &Caller,
) -> Result<HashMap<allot_domain::OrganisationId, String>, Problem> {
    Ok(state.store.organisations(caller.area).await?.into_iter().map(|o| (o.id, o.name.to_string())).collect())
}

async fn child_spend(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, Problem> {
    let child = parse_id::<ChildId>(&id)?;
    let year = year_param(&params, &caller)?;
    let lines = state.store.child_spend(caller.area, child, year).await?;
    Ok(Json(json!({ "year": year, "items": lines })))
}

/// Which line, and the item to put it against.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SpendItemForm {
    format: Option<String>,
    source: Option<String>,
    transaction_id: Option<String>,
    /// The plan item's key; null or left out takes the line off its item.
    item_key: Option<String>,
    /// `merchant`, `category` or `reference`: put lines like it there too.
    remember: Option<String>,
}

async fn put_spend_against_item(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<SpendItemForm>,
) -> Result<Json<Value>, Problem> {
    let child = parse_id::<ChildId>(&id)?;
    let mut inv = Invalid::default();
    let format = inv.check("format", StatementFormat::parse(form.format.as_deref().unwrap_or("")));
    let transaction_id = form.transaction_id.as_deref().map(str::trim).unwrap_or_default().to_owned();
    if transaction_id.is_empty() {
        inv.push("transaction_id", "name the line by its transaction id");
    }
    let remember = match form.remember.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => inv.check("remember", LearnedField::parse(raw)),
    };
    let item_key = form.item_key.as_deref().map(str::trim).filter(|k| !k.is_empty());
    if remember.is_some() && item_key.is_none() {
        inv.push("remember", "only a line put against an item can teach Allot where lines like it go");
    }
    let line = inv.finish(|| SpendLineRef {
        format: format.expect("checked"),
        source: form.source.clone().unwrap_or_default(),
        transaction_id,
    })?;
    let stored =
        state.store.put_spend_against_item(caller.area, child, &line, item_key, remember, &caller.stamp()).await?;
    Ok(Json(serde_json::to_value(&stored).map_err(|_| Problem::unavailable())?))
}

async fn approve_overspend(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<OverspendForm>,
) -> Result<Response, Problem> {
    let child = parse_id::<ChildId>(&id)?;
    let budgets: Vec<AccountKey> = state
        .store
        .ledger_accounts(caller.area, Some(child))
        .await?
        .into_iter()
        .map(|(k, _)| k)
        .filter(AccountKey::must_not_overdraw)
        .collect();
    let transfer = form.parse(child, &budgets, caller.today())?;
    let applied = state.store.record_transfer(caller.area, &transfer, &caller.stamp()).await?;
    // Sent again with the same id: recorded once, and said so.
    let (status, outcome) = match applied {
        Applied::Created => (StatusCode::CREATED, "recorded"),
        Applied::AlreadyExists => (StatusCode::OK, "already_recorded"),
    };
    Ok((status, Json(json!({ "transfer": transfer, "outcome": outcome }))).into_response())
}

// Direct-payment audits

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StartAuditForm {
    on: Option<String>,
}

async fn list_audits(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let child = parse_id::<ChildId>(&id)?;
    let audits = state.store.dp_audits(caller.area, child).await?;
    let details = state.store.child(caller.area, child).await?.details;
    let name = details.known_as();
    // Each audit with the letter its notice sent (or would send), so the
    // family reads exactly what the council wrote.
    let items: Vec<Value> = audits
        .iter()
        .map(|a| {
            let letter = a.state.findings().and_then(|f| Some(f.letter(&name, f.notice.as_ref()?.response_by)));
            let mut v = json!(a);
            v["notice_letter"] = json!(letter);
            v
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn start_audit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<StartAuditForm>,
) -> Result<Response, Problem> {
    let on = parse_date(form.on.as_deref().unwrap_or("")).map_err(|e| Problem::invalid(Invalid::one("on", e)))?;
    let audit = state.store.start_dp_audit(caller.area, parse_id::<ChildId>(&id)?, on, &caller.stamp()).await?;
    Ok((StatusCode::CREATED, Json(json!(audit))).into_response())
}

/// The audit under way for a child.
async fn open_audit(state: &AppState, caller: &Caller, child: ChildId) -> Result<allot_store::DpAudit, Problem> {
    state
        .store
        .dp_audits(caller.area, child)
        .await?
        .into_iter()
        .rev()
        .find(|a| a.state.closed().is_none())
        .ok_or_else(|| Problem::from(StoreError::Refused("the child has no audit under way: start one first".into())))
}

async fn record_event(
    state: &AppState,
    caller: &Caller,
    child: ChildId,
    event: &AuditEvent,
) -> Result<Response, Problem> {
    let audit = open_audit(state, caller, child).await?;
    let audit = state.store.record_dp_audit_event(caller.area, audit.id, event, &caller.stamp()).await?;
    Ok((StatusCode::CREATED, Json(json!(audit))).into_response())
}

async fn record_audit_event(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<AuditEventForm>,
) -> Result<Response, Problem> {
    let event = form.parse()?;
    if matches!(event, AuditEvent::RecoveryPosted { .. }) {
        return Err(Problem::invalid(Invalid::one(
            "kind",
            "recover money at /dp-audits/recovery: it needs your second factor",
        )));
    }
    record_event(&state, &caller, parse_id::<ChildId>(&id)?, &event).await
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RecoveryForm {
    on: Option<String>,
    amount: Option<String>,
}

async fn post_recovery(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<RecoveryForm>,
) -> Result<Response, Problem> {
    let event = AuditEventForm {
        kind: Some("recovery_posted".into()),
        on: form.on,
        amount: form.amount,
        ..AuditEventForm::default()
    }
    .parse()?;
    record_event(&state, &caller, parse_id::<ChildId>(&id)?, &event).await
}

// Payment runs

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RunForm {
    /// The Bacs processing day.
    date: Option<String>,
}

async fn list_runs(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, Problem> {
    Ok(Json(json!({ "items": state.store.payment_runs(caller.area).await? })))
}

async fn prepare_run(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(form): JsonBody<RunForm>,
) -> Result<Response, Problem> {
    let day = parse_date(form.date.as_deref().unwrap_or("")).map_err(|e| Problem::invalid(Invalid::one("date", e)))?;
    let outcome = state.store.prepare_payment_run(caller.area, day, &caller.stamp()).await?;
    let status = if outcome.run.is_some() { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(json!(outcome))).into_response())
}

pub(crate) async fn run(state: &AppState, caller: &Caller, id: &str) -> Result<PaymentRun, Problem> {
    let id: PaymentRunId = parse_id(id)?;
    state.store.payment_runs(caller.area).await?.into_iter().find(|r| r.id == id).ok_or_else(Problem::not_found)
}

async fn release_run(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let id: PaymentRunId = parse_id(&id)?;
    Ok(Json(json!(state.store.release_payment_run(caller.area, id, &caller.stamp()).await?)))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonForm {
    reason: Option<String>,
}

async fn cancel_run(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<ReasonForm>,
) -> Result<Json<Value>, Problem> {
    // Another area's run, or none, is not found before the form is read.
    let run = run(&state, &caller, &id).await?;
    let mut inv = Invalid::default();
    let reason = allot_domain::text::required_text(&mut inv, "reason", form.reason.as_deref(), 2_000, "say why");
    inv.finish(|| ())?;
    Ok(Json(json!(state.store.cancel_payment_run(caller.area, run.id, &reason, &caller.stamp()).await?)))
}

/// A run's file as a download.
fn download(content_type: &str, name: String, text: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        text,
    )
        .into_response()
}

async fn run_bacs(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Response, Problem> {
    let run = run(&state, &caller, &id).await?;
    Ok(download("text/plain; charset=us-ascii", format!("bacs-run-{}.txt", run.number), run.bacs))
}

async fn run_journal(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let run = run(&state, &caller, &id).await?;
    Ok(download("text/csv; charset=utf-8", format!("journal-run-{}.csv", run.number), run.journal))
}

// Bank details

/// A change of bank details, with the payee named from `names`.
fn bank_change_json(account: &AccountKey, change: &BankChange, names: &HashMap<AccountKey, String>) -> Value {
    json!({
        "account": account.to_string(), "payee": names.get(account), "seq": change.seq, "status": change.status.code(),
        "sort_code": change.details.sort_code.to_string(),
        "account_number": change.details.account_number.to_string(),
        "account_name": change.details.account_name.as_typed(),
        "reason": change.reason,
        "proposed_by": change.proposed_by, "proposed_at": change.proposed_at.to_string(),
        "decided_by": change.decided_by, "decided_at": change.decided_at.map(|t| t.to_string()),
    })
}

/// A payee's name: the child's reference for a family, or the
/// organisation's name.
async fn payee_names(state: &AppState, caller: &Caller) -> Result<HashMap<AccountKey, String>, Problem> {
    let mut names: HashMap<AccountKey, String> = organisation_names(state, caller)
        .await?
        .into_iter()
        .map(|(organisation, name)| (AccountKey::Organisation { organisation }, name))
        .collect();
    for child in crate::pathway::children_in(state, caller, &ChildScope::Everyone).await? {
        names.insert(AccountKey::DirectPayment { child: child.id }, child.details.reference.to_string());
    }
    Ok(names)
}

async fn list_bank_details(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, Problem> {
    let mut inv = Invalid::default();
    let status = param(&params, "status", BankChangeStatus::parse, &mut inv);
    inv.finish(|| ())?;
    let names = payee_names(&state, &caller).await?;
    let items: Vec<Value> = state
        .store
        .bank_details(caller.area, None)
        .await?
        .iter()
        .filter(|(_, c)| status.is_none_or(|s| c.status == s))
        .map(|(account, change)| bank_change_json(account, change, &names))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// New bank details for a payee: `dp/<child id>` or `org/<organisation id>`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BankDetailsProposal {
    account: Option<String>,
    sort_code: Option<String>,
    account_number: Option<String>,
    account_name: Option<String>,
    reason: Option<String>,
}

fn payee_account(raw: Option<&str>, inv: &mut Invalid) -> Option<AccountKey> {
    let account = inv.check("account", AccountKey::parse(raw.unwrap_or("").trim()))?;
    if matches!(account, AccountKey::DirectPayment { .. } | AccountKey::Organisation { .. }) {
        Some(account)
    } else {
        inv.push("account", "bank details belong to a family's direct payment (dp/…) or an organisation (org/…)");
        None
    }
}

async fn propose_bank_details(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(form): JsonBody<BankDetailsProposal>,
) -> Result<Response, Problem> {
    let mut inv = Invalid::default();
    let account = payee_account(form.account.as_deref(), &mut inv);
    let details = BankDetailsForm {
        sort_code: form.sort_code,
        account_number: form.account_number,
        account_name: form.account_name,
    }
    .parse()
    .map_err(|e| inv.0.extend(e.0))
    .ok();
    let reason = allot_domain::text::required_text(&mut inv, "reason", form.reason.as_deref(), 2_000, "say why");
    let (account, details) = inv.finish(|| (account.expect("checked"), details.expect("checked")))?;
    let change = state.store.propose_bank_details(caller.area, &account, &details, &reason, &caller.stamp()).await?;
    let names = payee_names(&state, &caller).await?;
    Ok((StatusCode::CREATED, Json(bank_change_json(&account, &change, &names))).into_response())
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BankDetailsDecision {
    account: Option<String>,
    seq: Option<i64>,
    confirm: Option<bool>,
}

async fn decide_bank_details(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(form): JsonBody<BankDetailsDecision>,
) -> Result<Json<Value>, Problem> {
    let mut inv = Invalid::default();
    let account = payee_account(form.account.as_deref(), &mut inv);
    let seq = inv.check("seq", form.seq.ok_or("name the proposal by its seq"));
    let confirm = inv.check("confirm", form.confirm.ok_or("say whether to confirm (true) or reject (false)"));
    let (account, seq, confirm) =
        inv.finish(|| (account.expect("checked"), seq.expect("checked"), confirm.expect("checked")))?;
    let change = state.store.decide_bank_details(caller.area, &account, seq, confirm, &caller.stamp()).await?;
    let names = payee_names(&state, &caller).await?;
    Ok(Json(bank_change_json(&account, &change, &names)))
}

// Statements

async fn upload_statement(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, Problem> {
    require_content_type(&headers, "text/csv", "Send the statement file")?;
    let format = StatementFormat::parse(params.get("format").map_or("", String::as_str))
        .map_err(|e| Problem::invalid(Invalid::one("format", e)))?;
    let name = params.get("name").map(|n| n.trim()).filter(|n| !n.is_empty()).unwrap_or("upload.csv");
    let name = allot_domain::text::optional_text(Some(name), 200)
        .map_err(|e| Problem::invalid(Invalid::one("name", e)))?
        .unwrap_or_default();
    let imported =
        import_statement(state.store.as_ref(), caller.area, format, &name, std::io::Cursor::new(body), &caller.stamp())
            .await?;
    Ok((StatusCode::CREATED, Json(json!(imported))).into_response())
}

// Watching over direct payments, and reports

async fn direct_payments(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, Problem> {
    let reviews = state.store.direct_payment_reviews(caller.area, caller.today()).await?;
    Ok(Json(json!({ "items": reviews })))
}

async fn money_report(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, Problem> {
    let year = year_param(&params, &caller)?;
    let transfers: Vec<_> = state.store.transfers(caller.area, None).await?.into_iter().map(|s| s.transfer).collect();
    Ok(Json(json!(area_spend(&transfers, year))))
}

/// What each organisation was paid in `year` (by route, of a kind), with
/// the organisation; a provider or school gets only its own.
pub(crate) async fn organisations_paid(
    state: &AppState,
    caller: &Caller,
    year: FinancialYear,
    route: Option<ManagementRoute>,
    kind: Option<OrganisationKind>,
) -> Result<Vec<(Organisation, OrganisationPayments)>, Problem> {
    let own_only = matches!(caller.user.details.role, Role::SchoolSenco | Role::ProviderStaff);
    let mut organisations: HashMap<_, _> =
        state.store.organisations(caller.area).await?.into_iter().map(|o| (o.id, o)).collect();
    let transfers: Vec<_> = state.store.transfers(caller.area, None).await?.into_iter().map(|s| s.transfer).collect();
    Ok(organisation_payments(&transfers, year, route)
        .into_iter()
        .filter(|o| !own_only || caller.user.details.organisation_id == Some(o.organisation))
        .filter_map(|o| Some((organisations.remove(&o.organisation)?, o)))
        .filter(|(org, _)| kind.is_none_or(|k| k == org.kind))
        .collect())
}

async fn organisations_report(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, Problem> {
    let year = year_param(&params, &caller)?;
    let mut inv = Invalid::default();
    let route = param(&params, "route", ManagementRoute::parse, &mut inv);
    let kind = param(&params, "kind", OrganisationKind::parse, &mut inv);
    inv.finish(|| ())?;
    let references: HashMap<ChildId, String> = crate::pathway::children_in(&state, &caller, &ChildScope::Everyone)
        .await?
        .into_iter()
        .map(|c| (c.id, c.details.reference.to_string()))
        .collect();
    let items: Vec<Value> = organisations_paid(&state, &caller, year, route, kind)
        .await?
        .into_iter()
        .map(|(org, o)| {
            let mut v = json!(o);
            v["name"] = json!(org.name.to_string());
            v["kind"] = json!(org.kind.code());
            for c in v["children"].as_array_mut().into_iter().flatten() {
                let child: Option<ChildId> = c["child"].as_str().and_then(|s| s.parse().ok());
                c["reference"] = json!(child.and_then(|id| references.get(&id)));
            }
            v
        })
        .collect();
    let totals: BTreeMap<&str, i64> = BTreeMap::from([
        ("paid", items.iter().filter_map(|o| o["paid"].as_i64()).sum()),
        ("committed", items.iter().filter_map(|o| o["committed"].as_i64()).sum()),
    ]);
    Ok(Json(json!({ "year": year, "items": items, "totals": totals })))
}
