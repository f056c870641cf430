//! The routes of the JSON API and their handlers.

use crate::caller::{Caller, Guard};
use crate::{AppState, Problem, openapi};
use allot_domain::access::{AreaAction, ChildScope, Section};
use allot_domain::child::ChildForm;
use allot_domain::consent::ConsentForm;
use allot_domain::family::FamilyMemberForm;
use allot_domain::involvement::InvolvementForm;
use allot_domain::paging::{ChildQuery, ChildSort, Cursor, parse_limit};
use allot_domain::{ChildId, ConsentId, EhcPlanStatus, Invalid, PrimaryNeed, ProfessionalId};
use allot_store::ChildRecord;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use serde_json::{Value, json};
use std::collections::HashMap;

/// One route: its path, its handlers, and its OpenAPI description. The
/// router and `/api/openapi.json` are both built from this one list, so a
/// route cannot exist undocumented.
#[derive(Debug)]
pub struct ApiRoute {
    pub path: &'static str,
    pub handler: MethodRouter<AppState>,
    /// `(method, who may use it, OpenAPI operation)` for each method served.
    pub operations: Vec<(&'static str, Guard, Value)>,
}

/// Every route Allot serves.
pub fn routes() -> Vec<ApiRoute> {
    use openapi::{body, ok, op, page_params};
    vec![
        ApiRoute {
            path: "/healthz",
            handler: get(healthz),
            operations: vec![("get", Guard::PUBLIC, op("Liveness: the process is up", vec![], None, ok("text", "ok")))],
        },
        ApiRoute {
            path: "/readyz",
            handler: get(readyz),
            operations: vec![(
                "get",
                Guard::PUBLIC,
                op("Readiness: the database answers and is migrated", vec![], None, ok("text", "ready")),
            )],
        },
        ApiRoute {
            path: "/api/openapi.json",
            handler: get(openapi_json),
            operations: vec![(
                "get",
                Guard::PUBLIC,
                op("This description of the API (OpenAPI 3.1)", vec![], None, ok("object", "The OpenAPI document")),
            )],
        },
        ApiRoute {
            path: "/api/v1/children",
            handler: get(list_children).post(create_child),
            operations: vec![
                (
                    "get",
                    Guard::area(AreaAction::ListChildren),
                    op(
                        "List children in the area: filter, sort, page",
                        page_params(),
                        None,
                        ok("ChildPage", "One page of children"),
                    ),
                ),
                (
                    "post",
                    Guard::area(AreaAction::AddChild),
                    op(
                        "Record a new child",
                        vec![],
                        Some(body("ChildForm")),
                        ok("Child", "The child as recorded (201)"),
                    ),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/children/{id}",
            handler: get(get_child).put(update_child),
            operations: vec![
                (
                    "get",
                    Guard::read(Section::Record),
                    op("A child's record", openapi::id_param(), None, ok("Child", "The child")),
                ),
                (
                    "put",
                    Guard::change(Section::Record),
                    op(
                        "Change a child's record, naming the version it was read at",
                        openapi::id_param(),
                        Some(body("ChildUpdate")),
                        ok("Child", "The child as changed"),
                    ),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/family",
            handler: get(list_family).post(add_family_member),
            operations: vec![
                (
                    "get",
                    Guard::read(Section::Family),
                    op(
                        "A child's family members and contacts",
                        openapi::id_param(),
                        None,
                        ok("FamilyMemberList", "Family members"),
                    ),
                ),
                (
                    "post",
                    Guard::change(Section::Family),
                    op(
                        "Add a family member or contact",
                        openapi::id_param(),
                        Some(body("FamilyMemberForm")),
                        ok("FamilyMember", "The family member (201)"),
                    ),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/consents",
            handler: get(list_consents).post(record_consent),
            operations: vec![
                (
                    "get",
                    Guard::read(Section::Consent),
                    op(
                        "Consents to share a child's information",
                        openapi::id_param(),
                        None,
                        ok("ConsentList", "Consents, withdrawn ones included"),
                    ),
                ),
                (
                    "post",
                    Guard::change(Section::Consent),
                    op(
                        "Record a consent",
                        openapi::id_param(),
                        Some(body("ConsentForm")),
                        ok("Consent", "The consent (201)"),
                    ),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/consents/{id}/withdraw",
            handler: post(withdraw_consent),
            operations: vec![(
                "post",
                Guard::change_via(ChildRecord::Consent, Section::Consent),
                op(
                    "Withdraw a consent, with effect from now",
                    openapi::id_param(),
                    None,
                    ok("Consent", "The withdrawn consent"),
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/lead-professionals",
            handler: get(lead_history).post(assign_lead),
            operations: vec![
                (
                    "get",
                    Guard::read(Section::LeadProfessional),
                    op(
                        "Who has been the child's lead professional, and when",
                        openapi::id_param(),
                        None,
                        ok("LeadAssignmentList", "Spells, oldest first"),
                    ),
                ),
                (
                    "post",
                    Guard::change(Section::LeadProfessional),
                    op(
                        "Make someone the child's lead professional from now",
                        openapi::id_param(),
                        Some(body("LeadAssignmentForm")),
                        ok("LeadAssignment", "The new spell (201)"),
                    ),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/changes",
            handler: get(child_changes),
            operations: vec![(
                "get",
                Guard::read(Section::History),
                op(
                    "Every change to a child's record: who, when, what",
                    openapi::id_param(),
                    None,
                    ok("ChangeList", "Changes, oldest first"),
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/ras/policies",
            handler: get(crate::ras::list_policies).post(crate::ras::publish_policy),
            operations: vec![
                (
                    "get",
                    Guard::area(AreaAction::ViewPolicies),
                    op("Published allocation policies, oldest first", vec![], None, ok("PolicyList", "Policies")),
                ),
                (
                    "post",
                    Guard::area(AreaAction::PublishPolicy).with_step_up(),
                    op(
                        "Publish a policy: send the TOML file itself (application/toml). A version can be published once.",
                        vec![],
                        Some(openapi::toml_body()),
                        ok("Policy", "The published policy (201)"),
                    ),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/ras/policies/{id}",
            handler: get(crate::ras::get_policy),
            operations: vec![(
                "get",
                Guard::area(AreaAction::ViewPolicies),
                op("A published policy, with its exact text", openapi::id_param(), None, ok("Policy", "The policy")),
            )],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/allocations",
            handler: get(crate::ras::list_allocations).post(crate::ras::record_allocation),
            operations: vec![
                (
                    "get",
                    Guard::read(Section::Budget),
                    op(
                        "A child's completed questionnaires and their results, each with its explanation",
                        openapi::id_param(),
                        None,
                        ok("AllocationList", "Allocations, oldest first"),
                    ),
                ),
                (
                    "post",
                    Guard::change(Section::Budget),
                    op(
                        "Complete the allocation questionnaire: the policy in force works out the indicative budget",
                        openapi::id_param(),
                        Some(body("QuestionnaireForm")),
                        ok("Allocation", "The allocation with its explanation (201)"),
                    ),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/organisations",
            handler: get(list_organisations),
            operations: vec![(
                "get",
                Guard::area(AreaAction::ViewDirectory),
                op("Organisations in the area", vec![], None, ok("OrganisationList", "Organisations")),
            )],
        },
        ApiRoute {
            path: "/api/v1/professionals",
            handler: get(list_professionals),
            operations: vec![(
                "get",
                Guard::area(AreaAction::ViewDirectory),
                op(
                    "Professionals who can be a lead professional",
                    vec![],
                    None,
                    ok("ProfessionalList", "Professionals"),
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/session",
            handler: get(crate::auth::current_session).post(crate::auth::sign_in).delete(crate::auth::sign_out),
            operations: vec![
                (
                    "get",
                    Guard::SIGNED_IN,
                    op(
                        "Who is signed in, and when the session ends (any request extends it)",
                        vec![],
                        None,
                        ok("Session", "The session"),
                    ),
                ),
                (
                    "post",
                    Guard::PUBLIC,
                    op(
                        "Sign in with a user name, password and (for staff) a code from an authenticator app",
                        vec![],
                        Some(body("SignInForm")),
                        ok("Session", "The new session, with its token (201); also set as a cookie"),
                    ),
                ),
                ("delete", Guard::SIGNED_IN, op("Sign out", vec![], None, ok("empty", "Signed out (204)"))),
            ],
        },
        ApiRoute {
            path: "/auth/oidc/start",
            handler: get(crate::oidc::start),
            operations: vec![(
                "get",
                Guard::PUBLIC,
                op(
                    "Sign in through the council's identity provider: redirects there (303)",
                    vec![],
                    None,
                    ok("empty", "A redirect to the identity provider (303)"),
                ),
            )],
        },
        ApiRoute {
            path: "/auth/oidc/callback",
            handler: get(crate::oidc::callback),
            operations: vec![(
                "get",
                Guard::PUBLIC,
                op(
                    "Where the identity provider sends the browser back: checks its answer and starts a session",
                    vec![],
                    None,
                    ok("Session", "The new session (201); also set as a cookie"),
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/session/confirm",
            handler: post(crate::auth::confirm),
            operations: vec![(
                "post",
                Guard::SIGNED_IN,
                op(
                    "Confirm the second factor again before a money-sensitive action",
                    vec![],
                    Some(body("ConfirmForm")),
                    ok("Session", "The session"),
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/users",
            handler: get(crate::users::list_users).post(crate::users::create_user),
            operations: vec![
                (
                    "get",
                    Guard::area(AreaAction::ManageUsers),
                    op("Users in the area", vec![], None, ok("UserList", "Users")),
                ),
                (
                    "post",
                    Guard::area(AreaAction::ManageUsers),
                    op(
                        "Add a user; the answer carries their temporary password and authenticator set-up, once",
                        vec![],
                        Some(body("UserForm")),
                        ok("NewUser", "The user and their first credentials (201)"),
                    ),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/users/{id}/reset-credentials",
            handler: post(crate::users::reset_credentials),
            operations: vec![(
                "post",
                Guard::area(AreaAction::ManageUsers),
                op(
                    "Give a user a new temporary password and authenticator set-up, ending their sessions",
                    openapi::id_param(),
                    Some(body("ReasonForm")),
                    ok("NewUser", "The user and their new credentials"),
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/users/{id}/disable",
            handler: post(crate::users::disable_user),
            operations: vec![(
                "post",
                Guard::area(AreaAction::ManageUsers),
                op(
                    "Disable a user, ending their sessions at once",
                    openapi::id_param(),
                    Some(body("ReasonForm")),
                    ok("User", "The user"),
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/users/{id}/enable",
            handler: post(crate::users::enable_user),
            operations: vec![(
                "post",
                Guard::area(AreaAction::ManageUsers),
                op("Enable a disabled user", openapi::id_param(), Some(body("ReasonForm")), ok("User", "The user")),
            )],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/involvements",
            handler: get(list_involvements).post(add_involvement),
            operations: vec![
                (
                    "get",
                    Guard::read(Section::Record),
                    op(
                        "Organisations involved with the child (school placement, ISF, commissioned service, NHS funding)",
                        openapi::id_param(),
                        None,
                        ok("InvolvementList", "Involvements, ended ones included"),
                    ),
                ),
                (
                    "post",
                    Guard::change(Section::Record),
                    op(
                        "Record an organisation's involvement with the child",
                        openapi::id_param(),
                        Some(body("InvolvementForm")),
                        ok("Involvement", "The involvement (201)"),
                    ),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/involvements/{id}/end",
            handler: post(end_involvement),
            operations: vec![(
                "post",
                Guard::change_via(ChildRecord::Involvement, Section::Record),
                op(
                    "End an involvement: the organisation loses access from that date",
                    openapi::id_param(),
                    Some(body("EndInvolvementForm")),
                    ok("Involvement", "The ended involvement"),
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/access-log",
            handler: get(crate::audit::access_log),
            operations: vec![(
                "get",
                Guard::read(Section::AccessLog),
                op(
                    "Who has looked at or changed the child's record, and who was refused",
                    openapi::id_param(),
                    None,
                    ok("AuditEntryList", "Entries, oldest first"),
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/subject-access",
            handler: get(crate::audit::subject_access),
            operations: vec![(
                "get",
                Guard::read(Section::SubjectAccess),
                op(
                    "Everything held about the child, for a subject access request (JSON; ?format=html for a readable page)",
                    openapi::id_param(),
                    None,
                    ok("SubjectAccess", "The bundle"),
                ),
            )],
        },
        ApiRoute {
            path: "/api/v1/audit/verify",
            handler: get(crate::audit::verify),
            operations: vec![(
                "get",
                Guard::area(AreaAction::AuditTrail),
                op(
                    "Check the area's audit trail is whole and unchanged",
                    vec![],
                    None,
                    ok("AuditCheck", "Problems found (none when whole) and the latest checkpoint"),
                ),
            )],
        },
    ]
    .into_iter()
    .chain(crate::pathway::routes())
    .chain(crate::money::routes())
    .chain(crate::receipts::routes())
    .chain(crate::pages::routes())
    .collect()
}

impl ApiRoute {
    /// A web page rather than part of the API: pages carry no OpenAPI
    /// description.
    pub fn is_page(&self) -> bool {
        self.operations.iter().all(|(_, _, description)| description.is_null())
    }
}

/// A JSON body, with every way it can be wrong answered as a problem.
pub(crate) struct JsonBody<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(json_problem(rejection)),
        }
    }
}

fn json_problem(rejection: JsonRejection) -> Problem {
    let status = rejection.status();
    match rejection {
        JsonRejection::MissingJsonContentType(_) => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "/problems/unsupported-media-type",
            "Send JSON",
            "The request body must be JSON, with Content-Type: application/json.",
        ),
        JsonRejection::JsonDataError(e) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "/problems/invalid-input",
            "There is a problem with what was entered",
            format!(
                "{}. Nothing was saved.",
                e.body_text().trim_start_matches("Failed to deserialize the JSON body into the target type: ")
            ),
        ),
        JsonRejection::JsonSyntaxError(_) => {
            Problem::bad_request("The request body is not valid JSON. Nothing was saved.")
        }
        _ if status == StatusCode::PAYLOAD_TOO_LARGE => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "/problems/too-large",
            "The request is too large",
            format!("A request body can be at most {} KiB. Nothing was saved.", crate::BODY_LIMIT_BYTES / 1024),
        ),
        other => Problem::bad_request(format!("{}. Nothing was saved.", other.body_text())),
    }
}

/// Reads an id from the path; an id that cannot exist is simply not found.
/// Refuses a body whose Content-Type is not `wanted` (or `text/plain`),
/// telling the caller what to send.
pub(crate) fn require_content_type(
    headers: &axum::http::HeaderMap,
    wanted: &str,
    what: &'static str,
) -> Result<(), Problem> {
    let sent = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if sent.starts_with(wanted) || sent.starts_with("text/plain") {
        return Ok(());
    }
    Err(Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "/problems/unsupported-media-type",
        what,
        format!("{what}'s text with Content-Type: {wanted}."),
    ))
}

pub(crate) fn parse_id<T: std::str::FromStr>(raw: &str) -> Result<T, Problem> {
    raw.parse().map_err(|_| Problem::not_found())
}

/// Logs each request by its route template (never the concrete path, which
/// can hold identifiers) and adds headers every response needs.
pub(crate) async fn log_and_harden(mut request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().map_or("(no route)".to_owned(), |m| m.as_str().to_owned());
    // Behind the TLS-terminating proxy, the proxy says how the request came.
    let over_tls = request.headers().get("x-forwarded-proto").is_some_and(|v| v.as_bytes() == b"https");
    let nonce = crate::auth::random_hex(16);
    request.extensions_mut().insert(crate::pages::Nonce(nonce.clone()));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // Only the page's own inline script (which carries the nonce) and
    // Allot's own files may run or load; no page may be framed.
    let policy = format!(
        "default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self'; font-src 'self'; \
         connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_str(&policy).expect("an ASCII policy"));
    if over_tls {
        headers
            .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=63072000; includeSubDomains"));
    }
    tracing::info!(%method, route, status = response.status().as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "request");
    response
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Result<&'static str, Problem> {
    state.store.ready().await.map_err(|e| {
        tracing::warn!(error = %e, "not ready");
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "/problems/not-ready", "Not ready", "The database is not ready.")
    })?;
    Ok("ready")
}

async fn openapi_json() -> Json<Value> {
    Json(openapi::document(&routes()))
}

/// Reads the list query: every parameter is checked, and all problems are
/// reported together.
fn child_query(params: &HashMap<String, String>) -> Result<ChildQuery, Problem> {
    let mut inv = Invalid::default();
    let mut q = ChildQuery::default();
    for key in params.keys() {
        if !["primary_need", "ehc_plan_status", "lead_professional", "q", "sort", "limit", "cursor"]
            .contains(&key.as_str())
        {
            inv.push(key, "is not a filter this list understands");
        }
    }
    let get = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.trim().is_empty());
    if let Some(v) = get("primary_need") {
        q.primary_need = inv.check("primary_need", PrimaryNeed::parse(v));
    }
    if let Some(v) = get("ehc_plan_status") {
        q.ehc_plan_status = inv.check("ehc_plan_status", EhcPlanStatus::parse(v));
    }
    if let Some(v) = get("lead_professional") {
        q.lead_professional = inv.check("lead_professional", v.parse::<ProfessionalId>());
    }
    if let Some(v) = get("q") {
        q.search = inv
            .check("q", if v.len() > 200 { Err("a search can be at most 200 characters") } else { Ok(v.to_owned()) });
    }
    if let Some(v) = get("sort") {
        q.sort = inv.check("sort", ChildSort::parse(v)).unwrap_or(ChildSort::Reference);
    }
    if let Some(v) = get("limit") {
        q.limit = inv.check("limit", parse_limit(v)).unwrap_or(q.limit);
    }
    if let Some(v) = get("cursor") {
        q.after = inv.check("cursor", Cursor::decode(v, q.sort));
    }
    if inv.0.is_empty() { Ok(q) } else { Err(Problem { status: 400, ..Problem::invalid(inv) }) }
}

async fn list_children(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, Problem> {
    let query = child_query(&params)?;
    let scope = ChildScope::of(&caller.user.viewer());
    let page = state.store.list_children(caller.area, &scope, jiff::Timestamp::now(), &query).await?;
    let today = caller.today();
    let items: Vec<_> = page.items.iter().map(|c| c.view(caller.sees_protected(), today)).collect();
    Ok(Json(json!({ "items": items, "limit": query.limit, "next_cursor": page.next.map(|c| c.encode()) })))
}

/// Records a new child from a form. Shared by the API and the page.
pub(crate) async fn add_child(
    state: &AppState,
    caller: &Caller,
    form: ChildForm,
) -> Result<allot_domain::child::Child, Problem> {
    let details = form.parse(caller.today())?;
    let stamp = caller.stamp();
    let child = state.store.create_child(caller.area, &details, &stamp).await?;
    // A caseworker who adds a child holds the case, so they can see it.
    if let Some(professional) = caller.user.details.professional_id {
        state.store.assign_lead_professional(caller.area, child.id, professional, "added the child", &stamp).await?;
    }
    Ok(child)
}

async fn create_child(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(form): JsonBody<ChildForm>,
) -> Result<Response, Problem> {
    let child = add_child(&state, &caller, form).await?;
    let location = format!("/api/v1/children/{}", child.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(child.view(caller.sees_protected(), caller.today())))
        .into_response())
}

async fn get_child(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let child = state.store.child(caller.area, parse_id::<ChildId>(&id)?).await?;
    Ok(Json(json!(child.view(caller.sees_protected(), caller.today()))))
}

async fn update_child(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(mut body): JsonBody<serde_json::Map<String, Value>>,
) -> Result<Json<Value>, Problem> {
    let id = parse_id::<ChildId>(&id)?;
    let version = match body.remove("version") {
        Some(Value::Number(n)) if n.as_i64().is_some_and(|v| v >= 1) => n.as_i64().unwrap_or_default(),
        Some(_) => {
            return Err(Problem::invalid(Invalid::one(
                "version",
                "version must be the whole number the record was read at",
            )));
        }
        None => {
            return Err(Problem::invalid(Invalid::one(
                "version",
                "send the version the record was read at, so a change made meanwhile is not overwritten",
            )));
        }
    };
    let form: ChildForm = serde_json::from_value(Value::Object(body)).map_err(|e| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "/problems/invalid-input",
            "There is a problem with what was entered",
            format!("{e}. Nothing was saved."),
        )
    })?;
    let details = form.parse(caller.today())?;
    let child = state.store.update_child(caller.area, id, version, &details, &caller.stamp()).await?;
    Ok(Json(json!(child.view(caller.sees_protected(), caller.today()))))
}

fn family_json(m: &allot_domain::family::FamilyMember) -> Value {
    let d = &m.details;
    json!({
        "id": m.id, "child_id": m.child_id, "name": d.name, "relationship": d.relationship,
        "parental_responsibility": d.parental_responsibility, "contact_by": d.contact_by,
        "email": d.email, "phone": d.phone, "version": m.version,
        "updated_at": m.updated_at.to_string(), "updated_by": m.updated_by,
    })
}

async fn list_family(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let child = state.store.child(caller.area, parse_id(&id)?).await?;
    let members = state.store.family_members(caller.area, child.id).await?;
    Ok(Json(json!({ "items": members.iter().map(family_json).collect::<Vec<_>>() })))
}

async fn add_family_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<FamilyMemberForm>,
) -> Result<Response, Problem> {
    let child = parse_id::<ChildId>(&id)?;
    let details = form.parse()?;
    let member = state.store.add_family_member(caller.area, child, &details, &caller.stamp()).await?;
    Ok((StatusCode::CREATED, Json(family_json(&member))).into_response())
}

fn consent_json(c: &allot_domain::consent::Consent) -> Value {
    let now = jiff::Timestamp::now();
    json!({
        "id": c.id, "child_id": c.child_id, "given_by": c.details.given_by.to_string(),
        "organisation_id": c.details.organisation_id, "shares": c.details.shares,
        "given_on": c.details.given_on.to_string(), "recorded_at": c.recorded_at.to_string(),
        "recorded_by": c.recorded_by, "withdrawn_at": c.withdrawn_at.map(|t| t.to_string()),
        "withdrawn_by": c.withdrawn_by, "active": c.is_active(now, allot_domain::dates::date_in_england(now)),
    })
}

async fn list_consents(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let child = state.store.child(caller.area, parse_id(&id)?).await?;
    let consents = state.store.consents(caller.area, child.id).await?;
    Ok(Json(json!({ "items": consents.iter().map(consent_json).collect::<Vec<_>>() })))
}

async fn record_consent(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<ConsentForm>,
) -> Result<Response, Problem> {
    let child = parse_id::<ChildId>(&id)?;
    let details = form.parse(caller.today())?;
    let consent = state.store.record_consent(caller.area, child, &details, &caller.stamp()).await?;
    Ok((StatusCode::CREATED, Json(consent_json(&consent))).into_response())
}

/// A reason for a decision that changes someone's access.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReasonForm {
    pub reason: Option<String>,
}

impl ReasonForm {
    /// The reason, which must be given.
    pub fn parse(&self) -> Result<String, Problem> {
        allot_domain::text::optional_text(self.reason.as_deref(), 500)
            .map_err(|e| Invalid::one("reason", e))?
            .ok_or_else(|| Problem::invalid(Invalid::one("reason", "give the reason, for the record")))
    }
}

async fn withdraw_consent(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<ReasonForm>,
) -> Result<Json<Value>, Problem> {
    let reason = form.parse()?;
    let consent =
        state.store.withdraw_consent(caller.area, parse_id::<ConsentId>(&id)?, &reason, &caller.stamp()).await?;
    Ok(Json(consent_json(&consent)))
}

async fn lead_history(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let child = state.store.child(caller.area, parse_id(&id)?).await?;
    let spells = state.store.lead_history(caller.area, child.id).await?;
    Ok(Json(json!({ "items": spells })))
}

/// The body of a change of lead professional.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LeadAssignmentForm {
    professional_id: Option<String>,
    reason: Option<String>,
}

async fn assign_lead(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<LeadAssignmentForm>,
) -> Result<Response, Problem> {
    let child = parse_id::<ChildId>(&id)?;
    let mut inv = Invalid::default();
    let professional = inv.check("professional_id", form.professional_id.unwrap_or_default().parse::<ProfessionalId>());
    let reason = form.reason.unwrap_or_default();
    if reason.trim().is_empty() {
        inv.push("reason", "give a reason for the change of lead professional");
    }
    let professional = inv.finish(|| professional.expect("checked"))?;
    let spell =
        state.store.assign_lead_professional(caller.area, child, professional, &reason, &caller.stamp()).await?;
    Ok((StatusCode::CREATED, Json(spell)).into_response())
}

async fn child_changes(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let child = state.store.child(caller.area, parse_id(&id)?).await?;
    let changes = state.store.child_changes(caller.area, child.id).await?;
    Ok(Json(json!({ "items": changes })))
}

async fn list_organisations(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, Problem> {
    Ok(Json(json!({ "items": state.store.organisations(caller.area).await? })))
}

async fn list_professionals(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, Problem> {
    Ok(Json(json!({ "items": state.store.professionals(caller.area).await? })))
}

fn involvement_json(i: &allot_domain::involvement::Involvement, today: jiff::civil::Date) -> Value {
    json!({
        "id": i.id, "child_id": i.child_id, "organisation_id": i.details.organisation_id,
        "kind": i.details.kind, "kind_label": i.details.kind.label(), "from": i.details.from.to_string(),
        "until": i.until.map(|u| u.to_string()), "active": i.is_active(today), "recorded_by": i.recorded_by,
    })
}

async fn list_involvements(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let items = state.store.involvements(caller.area, parse_id(&id)?).await?;
    let today = caller.today();
    Ok(Json(json!({ "items": items.iter().map(|i| involvement_json(i, today)).collect::<Vec<_>>() })))
}

async fn add_involvement(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<InvolvementForm>,
) -> Result<Response, Problem> {
    let details = form.parse()?;
    let i = state.store.add_involvement(caller.area, parse_id(&id)?, &details, &caller.stamp()).await?;
    Ok((StatusCode::CREATED, Json(involvement_json(&i, caller.today()))).into_response())
}

/// The body of ending an involvement.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct EndInvolvementForm {
    /// The first day it no longer applies.
    until: Option<String>,
}

async fn end_involvement(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<EndInvolvementForm>,
) -> Result<Json<Value>, Problem> {
    let until =
        allot_domain::dates::parse_date(form.until.as_deref().unwrap_or("")).map_err(|e| Invalid::one("until", e))?;
    let i = state.store.end_involvement(caller.area, parse_id(&id)?, until, &caller.stamp()).await?;
    Ok(Json(involvement_json(&i, caller.today())))
}
