//! The one policy-and-audit hook. Every route declares, per method, a
//! [`Guard`]; [`app`](crate::app) wraps every route in [`enforce`], which
//! signs the caller in from their session, applies the access policy
//! (from the domain) before the handler runs, and records the read or the
//! refusal in the audit trail. A handler can only learn who is calling
//! through [`Caller`], which only `enforce` provides, so no route can skip
//! the check.

use crate::auth::SECURITY_CODE_HEADER;
use crate::auth::{CSRF_HEADER, presented_token, same, token_hash};
use crate::{AppState, Problem};
use allot_domain::FieldError;
use allot_domain::access::{AreaAction, Op, Section, area_allowed, may, sees_protected};
use allot_domain::audit::{AuditEntry, Outcome};
use allot_domain::session::SessionState;
use allot_domain::user::User;
use allot_domain::{Actor, AreaCode, AreaId, ChildId, Stamp};
use allot_store::{ChildRecord, Session, SessionChange};
use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use std::sync::Arc;

/// What a route needs of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Anyone signed in (their own session).
    SignedIn,
    /// Something not about one child.
    Area(AreaAction),
    /// A section of the child whose id is the path's `{id}`.
    Child(Section, Op),
    /// A section of the child that owns the record whose id is the path's
    /// `{id}` (a consent, an involvement).
    ChildOf(ChildRecord, Section, Op),
}

/// A route's rule for one method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guard {
    pub access: Access,
    /// Money-sensitive: needs the second factor from the last 15 minutes.
    pub step_up: bool,
}

impl Guard {
    pub const PUBLIC: Guard = Guard { access: Access::Public, step_up: false };
    pub const SIGNED_IN: Guard = Guard { access: Access::SignedIn, step_up: false };

    pub const fn area(action: AreaAction) -> Guard {
        Guard { access: Access::Area(action), step_up: false }
    }
    pub const fn read(section: Section) -> Guard {
        Guard { access: Access::Child(section, Op::Read), step_up: false }
    }
    pub const fn change(section: Section) -> Guard {
        Guard { access: Access::Child(section, Op::Change), step_up: false }
    }
    pub const fn change_via(record: ChildRecord, section: Section) -> Guard {
        Guard { access: Access::ChildOf(record, section, Op::Change), step_up: false }
    }
    /// The rule in words, for the API description.
    pub fn describe(&self) -> String {
        let rule = match self.access {
            Access::Public => "anyone, signed in or not".to_owned(),
            Access::SignedIn => "anyone signed in".to_owned(),
            Access::Area(action) => format!("roles that may: {}", action.label().to_lowercase()),
            Access::Child(section, op) | Access::ChildOf(_, section, op) => format!(
                "{} the child's {}: roles with that right and a relationship to the child",
                if op == Op::Read { "read" } else { "change" },
                section.label().to_lowercase()
            ),
        };
        if self.step_up { format!("{rule}; second factor within 15 minutes") } else { rule }
    }

    /// The same, but asking for the second factor again if it is stale.
    pub const fn with_step_up(self) -> Guard {
        Guard { step_up: true, ..self }
    }
}

/// The signed-in caller of one request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub area: AreaId,
    pub user: User,
    pub session: Session,
}

impl Caller {
    /// Who is making a change, in which role, now.
    pub fn stamp(&self) -> Stamp {
        Stamp {
            by: Actor::parse(self.user.details.username.as_str()).expect("a user name is a valid actor"),
            role: Some(self.user.details.role),
            at: Timestamp::now(),
        }
    }

    /// Today's date in England.
    pub fn today(&self) -> jiff::civil::Date {
        allot_domain::dates::date_in_england(Timestamp::now())
    }

    /// Whether they may see protected fields (a protected address…).
    pub fn sees_protected(&self) -> bool {
        sees_protected(self.user.details.role)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Caller, Problem> {
        // Only `enforce` puts a caller here; a handler on an unguarded
        // route cannot get one.
        parts.extensions.get::<Caller>().cloned().ok_or_else(Problem::unavailable)
    }
}

/// The guards of one route, by method.
#[derive(Debug, Clone)]
pub(crate) struct RouteGuards {
    pub state: AppState,
    pub guards: Arc<Vec<(Method, Guard)>>,
}

fn sign_in_needed() -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "/problems/sign-in-needed",
        "Sign in",
        "Sign in to use this. If you were signed in, your session has ended.",
    )
}

fn forbidden() -> Problem {
    Problem::new(StatusCode::FORBIDDEN, "/problems/not-allowed", "Not allowed", "Your role does not allow this.")
}

/// Signs the caller in from their session token, ending a session that
/// has timed out or whose user has been disabled.
async fn authenticate(state: &AppState, parts: &Parts, now: Timestamp) -> Result<Caller, Problem> {
    let (token, via_cookie) = presented_token(&parts.headers).ok_or_else(sign_in_needed)?;
    let hash = token_hash(&token);
    let (session, user) = state.store.session(&hash).await?.ok_or_else(sign_in_needed)?;
    let ended = match session.times.state(now) {
        _ if user.disabled => Some("user disabled"),
        SessionState::Idle => Some("idle timeout"),
        SessionState::TooOld => Some("absolute timeout"),
        SessionState::Active { .. } => None,
    };
    if let Some(reason) = ended {
        state.store.update_session(&hash, SessionChange::End(reason), now).await?;
        return Err(sign_in_needed());
    }
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if via_cookie && !safe {
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if !same(sent, &session.csrf_token) {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "/problems/csrf",
                "The form has expired",
                format!("Changes made with the session cookie must send its CSRF token in the {CSRF_HEADER} header."),
            ));
        }
    }
    state.store.update_session(&hash, SessionChange::Seen, now).await?;
    Ok(Caller { area: user.area_id, user, session })
}

fn entry(
    caller: &Caller,
    now: Timestamp,
    child: Option<ChildId>,
    id: &str,
    action: &str,
    outcome: Outcome,
    detail: &str,
) -> AuditEntry {
    AuditEntry {
        at: now,
        actor: caller.user.details.username.to_string(),
        role: caller.user.details.role.code().to_owned(),
        child_id: child,
        entity: "child".into(),
        entity_id: id.to_owned(),
        action: action.to_owned(),
        outcome,
        detail: detail.to_owned(),
    }
}

/// The middleware around every route.
pub(crate) async fn enforce(State(g): State<RouteGuards>, request: Request, next: Next) -> Response {
    let method = if request.method() == Method::HEAD { Method::GET } else { request.method().clone() };
    let Some(guard) = g.guards.iter().find(|(m, _)| *m == method).map(|(_, guard)| *guard) else {
        // Axum answers 405 for a method the route does not serve.
        return next.run(request).await;
    };
    if guard.access == Access::Public {
        return next.run(request).await;
    }
    let state = &g.state;
    let now = Timestamp::now();
    let (mut parts, body) = request.into_parts();
    let caller = match authenticate(state, &parts, now).await {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let route = parts.extensions.get::<MatchedPath>().map_or(String::new(), |m| m.as_str().to_owned());
    let raw_id = RawPathParams::from_request_parts(&mut parts, state)
        .await
        .ok()
        .and_then(|params| params.iter().find(|(k, _)| *k == "id").map(|(_, v)| v.to_owned()))
        .unwrap_or_default();
    let section = match guard.access {
        Access::Child(section, _) | Access::ChildOf(_, section, _) => Some(section),
        _ => None,
    };
    // The part of the record too, so "who has looked" can say what they opened.
    let detail = serde_json::json!({ "route": route, "section": section.map(Section::code) }).to_string();
    let refuse = |child: Option<ChildId>, problem: Problem| {
        let e = entry(&caller, now, child, &raw_id, "attempt", Outcome::Refused, &detail);
        let store = state.store.clone();
        let area = caller.area;
        async move {
            match store.record_audit(area, vec![e]).await {
                Ok(()) => problem.into_response(),
                Err(_) => Problem::unavailable().into_response(),
            }
        }
    };
    let child = match guard.access {
        Access::Public | Access::SignedIn => None,
        Access::Area(action) => {
            if !area_allowed(caller.user.details.role, action) {
                return refuse(None, forbidden()).await;
            }
            None
        }
        Access::Child(section, op) | Access::ChildOf(_, section, op) => {
            let child = match guard.access {
                Access::ChildOf(record, ..) => match state.store.child_of(caller.area, record, &raw_id).await {
                    Ok(c) => c,
                    Err(e) => return Problem::from(e).into_response(),
                },
                _ => raw_id.parse::<ChildId>().ok(),
            };
            let facts = match child {
                Some(id) => match state.store.child_facts(caller.area, id, now).await {
                    Ok(f) => f,
                    Err(e) => return Problem::from(e).into_response(),
                },
                None => None,
            };
            // Not there, in another area, or not theirs to see: one answer.
            match (child, facts) {
                (Some(id), Some(facts)) if may(&caller.user.viewer(), id, &facts, section, op) => Some((id, op)),
                (id, _) => return refuse(id, Problem::not_found()).await,
            }
        }
    };
    let mut caller = caller;
    if guard.step_up && caller.session.times.needs_step_up(now) {
        let confirm = |errors| Problem {
            errors,
            ..Problem::new(
                StatusCode::FORBIDDEN,
                "/problems/confirm-second-factor",
                "Confirm it is you",
                "This changes money: send a code from your authenticator app in the X-Allot-Security-Code header \
                 (or confirm first with POST /api/v1/session/confirm) and try again. Nothing was changed.",
            )
        };
        let Some(code) = parts.headers.get(SECURITY_CODE_HEADER).and_then(|v| v.to_str().ok()) else {
            return confirm(Vec::new()).into_response();
        };
        match crate::auth::confirm_second_factor(state, &caller, code, now).await {
            Ok(session) => caller.session = session,
            Err(problem) if problem.status == 422 => {
                let errors = problem.errors.into_iter().map(|e| FieldError { field: "security_code".into(), ..e });
                return confirm(errors.collect()).into_response();
            }
            Err(problem) => return problem.into_response(),
        }
    }
    parts.extensions.insert(caller.clone());
    let response = next.run(Request::from_parts(parts, body)).await;
    // Reads are recorded once they have succeeded; changes are recorded by
    // the store in their own transactions.
    if let Some((id, Op::Read)) = child
        && response.status().is_success()
    {
        let e = entry(&caller, now, Some(id), &id.to_string(), "read", Outcome::Allowed, &detail);
        if state.store.record_audit(caller.area, vec![e]).await.is_err() {
            // No record of the look, no look.
            return Problem::unavailable().into_response();
        }
    }
    response
}

/// The area of a public page: the one named by the `allot-area` header, or
/// the only one.
#[derive(Debug, Clone, Copy)]
pub struct PublicArea(pub AreaId);

/// The request header that names the area (by its code) for public pages
/// when a database holds more than one.
pub const AREA_HEADER: &str = "allot-area";

impl FromRequestParts<AppState> for PublicArea {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<PublicArea, Problem> {
        let area = match parts.headers.get(AREA_HEADER) {
            Some(value) => {
                let code = value.to_str().ok().and_then(|v| AreaCode::parse(v).ok()).ok_or_else(|| {
                    Problem::bad_request(format!("the {AREA_HEADER} header must be an area code, like E06000023"))
                })?;
                state.store.area_by_code(&code).await?.ok_or_else(Problem::not_found)?
            }
            None => {
                let mut areas = state.store.areas().await?;
                if areas.len() != 1 {
                    return Err(Problem::bad_request(format!(
                        "this service holds {} areas: name one with the {AREA_HEADER} header",
                        areas.len()
                    )));
                }
                areas.remove(0)
            }
        };
        Ok(PublicArea(area.id))
    }
}
