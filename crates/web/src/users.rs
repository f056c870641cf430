//! Administering users: adding them, resetting their credentials,
//! disabling and enabling them. Every change records who, when and why.

use crate::api::{JsonBody, ReasonForm, parse_id};
use crate::auth::new_credentials;
use crate::caller::Caller;
use crate::{AppState, Problem};
use allot_domain::ids::UserId;
use allot_domain::user::{User, UserForm};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub(crate) fn user_json(u: &User) -> Value {
    let d = &u.details;
    json!({
        "id": u.id, "username": d.username, "name": d.name, "role": d.role, "role_label": d.role.label(),
        "organisation_id": d.organisation_id, "professional_id": d.professional_id,
        "teams": d.teams, "children": d.children, "disabled": u.disabled,
        "second_factor": u.has_second_factor,
    })
}

/// A user and the sign-in details to hand over, shown this once.
pub(crate) struct Handover {
    pub user: User,
    pub temporary_password: String,
    /// The authenticator app's secret and its `otpauth://` address.
    pub authenticator: Option<(String, String)>,
}

impl Handover {
    async fn of(
        state: &AppState,
        caller: &Caller,
        user: User,
        password: String,
        credentials: &allot_store::Credentials,
    ) -> Result<Handover, Problem> {
        let areas = state.store.areas().await?;
        let issuer =
            areas.iter().find(|a| a.id == caller.area).map_or("Allot".to_owned(), |a| format!("Allot {}", a.name));
        let authenticator = credentials
            .totp_secret
            .as_ref()
            .map(|secret| (secret.to_base32(), secret.provisioning_uri(&issuer, user.details.username.as_str())));
        Ok(Handover { user, temporary_password: password, authenticator })
    }

    fn json(&self) -> Value {
        let mut body = json!({ "user": user_json(&self.user), "temporary_password": self.temporary_password });
        if let Some((secret, uri)) = &self.authenticator {
            body["authenticator"] = json!({ "secret": secret, "uri": uri });
        }
        body
    }
}

/// Adds a user with new sign-in details.
pub(crate) async fn add_user(state: &AppState, caller: &Caller, form: &UserForm) -> Result<Handover, Problem> {
    let details = form.parse()?;
    let needs = details.role.needs_second_factor();
    let (credentials, password) =
        tokio::task::spawn_blocking(move || new_credentials(needs)).await.map_err(|_| Problem::unavailable())?;
    let user = state.store.create_user(caller.area, &details, &credentials, &caller.stamp()).await?;
    Handover::of(state, caller, user, password, &credentials).await
}

/// Gives a user new sign-in details (a lost phone, a forgotten password).
pub(crate) async fn reset_user(
    state: &AppState,
    caller: &Caller,
    id: &str,
    form: &ReasonForm,
) -> Result<Handover, Problem> {
    let user = state.store.user(caller.area, parse_id::<UserId>(id)?).await?;
    let reason = form.parse()?;
    let needs = user.details.role.needs_second_factor();
    let (credentials, password) =
        tokio::task::spawn_blocking(move || new_credentials(needs)).await.map_err(|_| Problem::unavailable())?;
    state.store.set_credentials(caller.area, user.id, &credentials, &reason, &caller.stamp()).await?;
    let user = state.store.user(caller.area, user.id).await?;
    Handover::of(state, caller, user, password, &credentials).await
}

/// Stops a user signing in, or lets them again.
pub(crate) async fn set_disabled(
    state: &AppState,
    caller: &Caller,
    id: &str,
    form: &ReasonForm,
    disabled: bool,
) -> Result<User, Problem> {
    let id = state.store.user(caller.area, parse_id::<UserId>(id)?).await?.id;
    let reason = form.parse()?;
    state.store.set_user_disabled(caller.area, id, disabled, &reason, &caller.stamp()).await?;
    Ok(state.store.user(caller.area, id).await?)
}

pub(crate) async fn list_users(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, Problem> {
    let users = state.store.users(caller.area).await?;
    Ok(Json(json!({ "items": users.iter().map(user_json).collect::<Vec<_>>() })))
}

pub(crate) async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(form): JsonBody<UserForm>,
) -> Result<Response, Problem> {
    let handover = add_user(&state, &caller, &form).await?;
    Ok((StatusCode::CREATED, Json(handover.json())).into_response())
}

pub(crate) async fn reset_credentials(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<ReasonForm>,
) -> Result<Json<Value>, Problem> {
    Ok(Json(reset_user(&state, &caller, &id, &form).await?.json()))
}

pub(crate) async fn disable_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<ReasonForm>,
) -> Result<Json<Value>, Problem> {
    Ok(Json(user_json(&set_disabled(&state, &caller, &id, &form, true).await?)))
}

pub(crate) async fn enable_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<ReasonForm>,
) -> Result<Json<Value>, Problem> {
    Ok(Json(user_json(&set_disabled(&state, &caller, &id, &form, false).await?)))
}
