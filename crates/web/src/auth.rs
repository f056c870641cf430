//! Signing in and out: passwords (argon2id), the second factor (TOTP),
//! server-side sessions with random tokens, and slowing repeated failures.

use crate::api::JsonBody;
use crate::caller::Caller;
use crate::{AppState, Problem};
use allot_domain::session::{FAILURE_WINDOW, IDLE_WARNING, SessionState, SessionTimes, sign_in_wait};
use allot_domain::totp::TotpSecret;
use allot_domain::user::{User, Username};
use allot_store::{Credentials, Session, SessionChange};
use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The session cookie. `__Host-` would pin it to the host but needs HTTPS,
/// which a development machine does not have; `Secure` is still set
/// (browsers treat localhost as secure).
pub const SESSION_COOKIE: &str = "allot_session";
/// The header that carries the CSRF token with cookie-authenticated changes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// `n` random bytes from the operating system, as lower-case hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What is stored for a session token: its SHA-256 (the token has 256
/// random bits, so no salt or slow hash is needed).
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Hashes a password with argon2id (the crate's defaults are OWASP's:
/// 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 with default parameters").to_string()
}

/// Checks a password against a stored hash.
pub fn password_matches(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash to check against when the user does not exist, so that a wrong
/// user name takes as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("no user has this password"))
}

/// New credentials for a user: a temporary password and, for roles that
/// need one, a second-factor secret. Returned once, to be handed over.
pub fn new_credentials(user_needs_second_factor: bool) -> (Credentials, String) {
    let password = random_hex(10);
    let totp_secret = user_needs_second_factor.then(|| {
        let mut bytes = [0u8; 20];
        OsRng.fill_bytes(&mut bytes);
        TotpSecret::from_bytes(bytes)
    });
    (Credentials { password_hash: Some(hash_password(&password)), totp_secret }, password)
}

/// Starts a session for `user` directly, as a successful sign-in would:
/// for tests and tools that have already proved who the person is.
pub async fn open_session(
    store: &dyn allot_store::Store,
    user: &User,
    now: Timestamp,
    second_factor_at: Option<Timestamp>,
) -> Result<(String, Session), allot_store::StoreError> {
    let token = random_hex(32);
    let session = Session {
        token_hash: token_hash(&token),
        user_id: user.id,
        csrf_token: random_hex(32),
        times: SessionTimes { created: now, last_seen: now, second_factor_at },
    };
    store.start_session(&session).await?;
    Ok((token, session))
}

/// Equal without leaking where they differ through timing.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The body of a sign-in.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignInForm {
    pub username: Option<String>,
    pub password: Option<String>,
    /// The 6-digit code from an authenticator app.
    pub code: Option<String>,
}

/// Why a sign-in was refused.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// A field was left empty.
    Invalid(allot_domain::Invalid),
    /// Too many recent failures: wait this many seconds.
    TooManyAttempts(u64),
    /// The user name, password or code is wrong (which one is not said).
    Wrong,
    /// The role needs a second factor and none is set up.
    NoSecondFactor,
    /// The service could not answer.
    Failed(Problem),
}

impl From<allot_store::StoreError> for Refusal {
    fn from(e: allot_store::StoreError) -> Refusal {
        Refusal::Failed(e.into())
    }
}

impl Refusal {
    /// The refusal as the API answers it.
    pub fn into_response(self) -> Response {
        match self {
            Refusal::Invalid(inv) => Problem::invalid(inv).into_response(),
            Refusal::TooManyAttempts(secs) => {
                let mut response = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "/problems/too-many-attempts",
                    "Too many attempts",
                    format!(
                        "There have been several failed attempts to sign in as this user. Wait {secs} seconds and try again."
                    ),
                )
                .into_response();
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
                response
            }
            Refusal::Wrong => Problem::new(
                StatusCode::UNAUTHORIZED,
                "/problems/sign-in-failed",
                "Sign-in failed",
                "The user name, password or security code is not right.",
            )
            .into_response(),
            Refusal::NoSecondFactor => Problem::new(
                StatusCode::UNAUTHORIZED,
                "/problems/second-factor-not-set-up",
                "Two-factor sign-in is not set up",
                "Your account needs an authenticator app before you can sign in. Ask your administrator to set it up.",
            )
            .into_response(),
            Refusal::Failed(problem) => problem.into_response(),
        }
    }
}

/// Checks a sign-in (password, then the second factor), slowing and
/// recording failures. Returns who signed in and, if they gave a code,
/// when. Shared by the API and the sign-in page.
pub(crate) async fn check_sign_in(
    state: &AppState,
    form: &SignInForm,
    now: Timestamp,
) -> Result<(User, Option<Timestamp>), Refusal> {
    let mut inv = allot_domain::Invalid::default();
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let (Some(raw_username), Some(password)) = (text(&form.username), form.password.clone().filter(|p| !p.is_empty()))
    else {
        if text(&form.username).is_none() {
            inv.push("username", "enter your user name");
        }
        if form.password.as_deref().is_none_or(str::is_empty) {
            inv.push("password", "enter your password");
        }
        return Err(Refusal::Invalid(inv));
    };
    let attempt_name = raw_username.to_lowercase();
    let found = match Username::parse(&raw_username) {
        Ok(name) => state.store.user_for_sign_in(&name).await?,
        Err(_) => None,
    };
    let (failures, last) = state.store.recent_sign_in_failures(&attempt_name, now - FAILURE_WINDOW).await?;
    if let Some(wait) = last.and_then(|last| sign_in_wait(failures, last, now)) {
        let user = found.as_ref().map(|(u, _)| u);
        state.store.record_sign_in_attempt(&attempt_name, user, false, "too many attempts", now).await?;
        return Err(Refusal::TooManyAttempts(wait.as_secs().max(1) as u64));
    }
    let hash = found.as_ref().and_then(|(_, c)| c.password_hash.clone()).unwrap_or_else(|| decoy_hash().to_owned());
    let matches = tokio::task::spawn_blocking(move || password_matches(&password, &hash))
        .await
        .map_err(|_| Refusal::Failed(Problem::unavailable()))?;
    let refuse = |user: Option<&User>, reason: &'static str, refusal: Refusal| {
        let store = state.store.clone();
        let name = attempt_name.clone();
        let user = user.cloned();
        async move {
            store.record_sign_in_attempt(&name, user.as_ref(), false, reason, now).await?;
            Err::<(User, Option<Timestamp>), Refusal>(refusal)
        }
    };
    let Some((user, credentials)) = found else { return refuse(None, "no such user", Refusal::Wrong).await };
    if !matches || credentials.password_hash.is_none() {
        return refuse(Some(&user), "wrong password", Refusal::Wrong).await;
    }
    if user.disabled {
        return refuse(Some(&user), "user disabled", Refusal::Wrong).await;
    }
    let second_factor_at = match (&credentials.totp_secret, text(&form.code)) {
        (Some(secret), Some(code)) => match secret.verify(&code, now.as_second(), None) {
            Some(step) if state.store.use_totp_step(user.id, step).await? => Some(now),
            Some(_) => return refuse(Some(&user), "security code used before", Refusal::Wrong).await,
            None => return refuse(Some(&user), "wrong security code", Refusal::Wrong).await,
        },
        (Some(_), None) => return refuse(Some(&user), "no security code", Refusal::Wrong).await,
        (None, _) if user.details.role.needs_second_factor() => {
            return refuse(Some(&user), "no second factor set up", Refusal::NoSecondFactor).await;
        }
        (None, _) => None,
    };
    state.store.record_sign_in_attempt(&attempt_name, Some(&user), true, "signed in", now).await?;
    Ok((user, second_factor_at))
}

pub(crate) async fn sign_in(State(state): State<AppState>, JsonBody(form): JsonBody<SignInForm>) -> Response {
    let now = Timestamp::now();
    match check_sign_in(&state, &form, now).await {
        Ok((user, second_factor_at)) => {
            start_session(&state, &user, now, second_factor_at).await.unwrap_or_else(IntoResponse::into_response)
        }
        Err(refusal) => refusal.into_response(),
    }
}

/// Starts a session for `user` and answers with its token and cookie.
pub(crate) async fn start_session(
    state: &AppState,
    user: &User,
    now: Timestamp,
    second_factor_at: Option<Timestamp>,
) -> Result<Response, Problem> {
    let (token, session) = open_session(state.store.as_ref(), user, now, second_factor_at).await?;
    let mut body = session_json(user, &session, now);
    // For API clients, which send it as `Authorization: Bearer`.
    body["token"] = Value::String(token.clone());
    Ok((StatusCode::CREATED, [(header::SET_COOKIE, session_cookie(&token))], Json(body)).into_response())
}

/// The `Set-Cookie` value that carries a session token.
pub(crate) fn session_cookie(token: &str) -> String {
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; Secure; SameSite=Lax")
}

/// The `Set-Cookie` value that removes the session cookie.
const ENDED_SESSION_COOKIE: &str = "allot_session=; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=0";

/// When an active session ends if nothing more is done.
fn expires_at(session: &Session, now: Timestamp) -> Option<Timestamp> {
    match session.times.state(now) {
        SessionState::Active { expires_at } => Some(expires_at),
        _ => None,
    }
}

/// Seconds from `now` until the timeout warning and until the session
/// ends, for a device whose clock may be wrong; zeros for an ended one.
pub(crate) fn seconds_to_warning_and_end(session: &Session, now: Timestamp) -> (i64, i64) {
    expires_at(session, now)
        .map_or((0, 0), |t| ((t - IDLE_WARNING).as_second() - now.as_second(), t.as_second() - now.as_second()))
}

fn session_json(user: &User, session: &Session, now: Timestamp) -> Value {
    let expires_at = expires_at(session, now);
    let (warn_in, ends_in) = seconds_to_warning_and_end(session, now);
    json!({
        "user": {
            "id": user.id, "username": user.details.username, "name": user.details.name,
            "role": user.details.role, "role_label": user.details.role.label(),
        },
        "csrf_token": session.csrf_token,
        "expires_at": expires_at.map(|t| t.to_string()),
        "warn_at": expires_at.map(|t| (t - IDLE_WARNING).to_string()),
        // The same as seconds from now, for a device whose clock is wrong.
        "ends_in_seconds": expires_at.map(|_| ends_in),
        "warn_in_seconds": expires_at.map(|_| warn_in),
        "signed_in_at": session.times.created.to_string(),
    })
}

/// Who is signed in, and when the session will end (for the timeout
/// warning). Any request keeps the session alive, so this also extends it.
pub(crate) async fn current_session(caller: Caller) -> Json<Value> {
    Json(session_json(&caller.user, &caller.session, Timestamp::now()))
}

/// Ends the caller's session; answers with the header that removes the
/// cookie. Shared by the API and the sign-out button.
pub(crate) async fn end_session(
    state: &AppState,
    caller: &Caller,
) -> Result<[(header::HeaderName, &'static str); 1], Problem> {
    state.store.update_session(&caller.session.token_hash, SessionChange::End("signed out"), Timestamp::now()).await?;
    Ok([(header::SET_COOKIE, ENDED_SESSION_COOKIE)])
}

pub(crate) async fn sign_out(State(state): State<AppState>, caller: Caller) -> Result<Response, Problem> {
    Ok((StatusCode::NO_CONTENT, end_session(&state, &caller).await?).into_response())
}

/// The body of a second-factor confirmation.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfirmForm {
    code: Option<String>,
}

/// Confirms the second factor again, before a money-sensitive action.
pub(crate) async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(form): JsonBody<ConfirmForm>,
) -> Result<Json<Value>, Problem> {
    let now = Timestamp::now();
    let session = confirm_second_factor(&state, &caller, form.code.as_deref().unwrap_or_default(), now).await?;
    Ok(Json(session_json(&caller.user, &session, now)))
}

/// The header that carries a security code with a money-sensitive request,
/// so it needs no separate confirmation (a page's `security_code` field
/// becomes this header).
pub const SECURITY_CODE_HEADER: &str = "x-allot-security-code";

/// Checks a code from the caller's authenticator app (each code once) and
/// records the session as confirmed now; the session as it is after.
pub(crate) async fn confirm_second_factor(
    state: &AppState,
    caller: &Caller,
    code: &str,
    now: Timestamp,
) -> Result<Session, Problem> {
    if code.trim().is_empty() {
        return Err(Problem::invalid(allot_domain::Invalid::one("code", "enter the 6-digit code from your app")));
    }
    let Some((_, credentials)) = state.store.user_for_sign_in(&caller.user.details.username).await? else {
        return Err(Problem::not_found());
    };
    let ok = match credentials.totp_secret.and_then(|s| s.verify(code, now.as_second(), None)) {
        Some(step) => state.store.use_totp_step(caller.user.id, step).await?,
        None => false,
    };
    let who = caller.user.details.username.to_string();
    state.store.record_sign_in_attempt(&who, Some(&caller.user), ok, "confirm second factor", now).await?;
    if !ok {
        return Err(Problem::invalid(allot_domain::Invalid::one("code", "the code is not right: try the next one")));
    }
    state.store.update_session(&caller.session.token_hash, SessionChange::SecondFactor, now).await?;
    let mut session = caller.session.clone();
    session.times.second_factor_at = Some(now);
    Ok(session)
}

/// The session token a request carries: the cookie, or a bearer token
/// (API clients). Returns whether it came from the cookie (which needs
/// the CSRF check on changes).
pub(crate) fn presented_token(headers: &HeaderMap) -> Option<(String, bool)> {
    if let Some(bearer) =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some((bearer.trim().to_owned(), false));
    }
    cookie(headers, SESSION_COOKIE).map(|value| (value, true))
}

/// The value of the cookie `name` a request carries.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hashed_with_argon2id_and_salted() {
        let a = hash_password("correct horse battery staple");
        let b = hash_password("correct horse battery staple");
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "each hash has its own salt");
        assert!(password_matches("correct horse battery staple", &a));
        assert!(!password_matches("correct horse battery stapl", &a));
        assert!(!password_matches("anything", "not a hash"));
    }

    #[test]
    fn tokens_have_256_random_bits() {
        let t = random_hex(32);
        assert_eq!(t.len(), 64);
        assert_ne!(t, random_hex(32));
        assert_eq!(token_hash(&t).len(), 64);
    }

    #[test]
    fn the_session_token_comes_from_the_bearer_header_or_the_cookie() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("theme=dark; allot_session=abc"));
        assert_eq!(presented_token(&h), Some(("abc".into(), true)));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer xyz"));
        assert_eq!(presented_token(&h), Some(("xyz".into(), false)));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
