//! Sign-in for council staff through the council's identity provider
//! (OpenID Connect, authorization code flow with PKCE).
//!
//! The identity provider proves who the person is; Allot decides what they
//! may do: the email address it vouches for must belong to an enabled
//! Allot user who works for the council. The provider's own sign-in is
//! taken as the second factor (councils' providers enforce multi-factor
//! sign-in), so no authenticator code is asked for.

use crate::auth::{cookie, random_hex, same, start_session};
use crate::{AppState, Problem};
use allot_domain::organisation::OrganisationKind;
use allot_domain::user::Username;
use allot_store::OidcLogin;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// How the council's identity provider is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcConfig {
    /// The issuer, exactly as the provider states it.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Allot's own callback address, as registered with the provider
    /// (`https://ALLOT-HOST/auth/oidc/callback`).
    pub redirect_uri: String,
}

/// The cookie that ties the callback to the browser that started it.
const STATE_COOKIE: &str = "allot_oidc_state";
/// A login must come back within this long.
const LOGIN_LIFETIME: SignedDuration = SignedDuration::from_mins(10);
/// Clock difference tolerated between Allot and the provider.
const SKEW: SignedDuration = SignedDuration::from_secs(60);

fn not_set_up() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "/problems/no-identity-provider",
        "Sign-in through the council is not set up",
        "This service has no identity provider configured: sign in with your user name, password and code.",
    )
}

fn failed(detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::UNAUTHORIZED, "/problems/sign-in-failed", "Sign-in failed", detail)
}

async fn get_json(client: &reqwest::Client, url: &str) -> Result<Value, Problem> {
    let response = client.get(url).send().await.map_err(|e| {
        tracing::warn!(error = %e, "identity provider unreachable");
        Problem::unavailable()
    })?;
    response.json().await.map_err(|_| Problem::unavailable())
}

/// The provider's endpoints, from its discovery document.
async fn discover(client: &reqwest::Client, config: &OidcConfig) -> Result<Value, Problem> {
    let doc = get_json(client, &format!("{}/.well-known/openid-configuration", config.issuer)).await?;
    if doc["issuer"].as_str() != Some(config.issuer.as_str()) {
        tracing::warn!("the identity provider's discovery document names another issuer");
        return Err(Problem::unavailable());
    }
    Ok(doc)
}

/// Begins a sign-in: sends the browser to the identity provider.
pub(crate) async fn start(State(state): State<AppState>) -> Result<Response, Problem> {
    let Some(config) = &state.oidc else { return Err(not_set_up()) };
    let client = reqwest::Client::new();
    let doc = discover(&client, config).await?;
    let endpoint = doc["authorization_endpoint"].as_str().ok_or_else(Problem::unavailable)?;
    let login = OidcLogin {
        state: random_hex(16),
        nonce: random_hex(16),
        code_verifier: random_hex(32),
        created_at: Timestamp::now(),
    };
    state.store.begin_oidc_login(&login).await?;
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(login.code_verifier.as_bytes()));
    let url = reqwest::Url::parse_with_params(
        endpoint,
        [
            ("response_type", "code"),
            ("client_id", config.client_id.as_str()),
            ("redirect_uri", config.redirect_uri.as_str()),
            ("scope", "openid email profile"),
            ("state", login.state.as_str()),
            ("nonce", login.nonce.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ],
    )
    .map_err(|_| Problem::unavailable())?;
    let cookie = format!(
        "{STATE_COOKIE}={}; Path=/auth/oidc; HttpOnly; Secure; SameSite=Lax; Max-Age={}",
        login.state,
        LOGIN_LIFETIME.as_secs()
    );
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, url.to_string()), (header::SET_COOKIE, cookie)]).into_response())
}

/// The provider sends the browser back here with a code.
pub(crate) async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, Problem> {
    let Some(config) = &state.oidc else { return Err(not_set_up()) };
    let now = Timestamp::now();
    if let Some(error) = params.get("error") {
        return Err(failed(format!("The council's sign-in service said: {error}.")));
    }
    let (Some(code), Some(returned_state)) = (params.get("code"), params.get("state")) else {
        return Err(Problem::bad_request("the sign-in service's answer has no code or state"));
    };
    let cookie_state = cookie(&headers, STATE_COOKIE).unwrap_or_default();
    // The login must have started in this browser, recently, and be used once.
    if !same(&cookie_state, returned_state) {
        return Err(failed("This sign-in did not start in this browser. Start again."));
    }
    let login = state.store.take_oidc_login(returned_state).await?;
    let Some(login) = login.filter(|l| now.duration_since(l.created_at) <= LOGIN_LIFETIME) else {
        return Err(failed("This sign-in has expired or was already used. Start again."));
    };
    if params.get("iss").is_some_and(|iss| *iss != config.issuer) {
        return Err(failed("The answer came from another sign-in service."));
    }
    let client = reqwest::Client::new();
    let doc = discover(&client, config).await?;
    let token_endpoint = doc["token_endpoint"].as_str().ok_or_else(Problem::unavailable)?;
    let jwks_uri = doc["jwks_uri"].as_str().ok_or_else(Problem::unavailable)?;
    let tokens: Value = client
        .post(token_endpoint)
        .basic_auth(&config.client_id, Some(&config.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", config.redirect_uri.as_str()),
            ("code_verifier", login.code_verifier.as_str()),
        ])
        .send()
        .await
        .map_err(|_| Problem::unavailable())?
        .json()
        .await
        .map_err(|_| Problem::unavailable())?;
    let Some(id_token) = tokens["id_token"].as_str() else {
        return Err(failed("The council's sign-in service did not confirm who you are. Start again."));
    };
    let jwks = get_json(&client, jwks_uri).await?;
    let expected = Expected { issuer: &config.issuer, client_id: &config.client_id, nonce: &login.nonce };
    let email = verify_id_token(id_token, &jwks, &expected, now).map_err(|why| {
        tracing::warn!(why, "an id_token was refused");
        failed("The council's sign-in service's answer could not be trusted. Start again.")
    })?;
    let user = match Username::parse(&email) {
        Ok(name) => state.store.user_for_sign_in(&name).await?.map(|(u, _)| u),
        Err(_) => None,
    };
    let council_staff = |u: &allot_domain::user::User| {
        !u.disabled && u.details.role.organisation_kind() == Some(OrganisationKind::Council)
    };
    match user {
        Some(u) if council_staff(&u) => {
            state.store.record_sign_in_attempt(&email, Some(&u), true, "signed in through the council", now).await?;
            start_session(&state, &u, now, Some(now)).await
        }
        other => {
            state
                .store
                .record_sign_in_attempt(&email, other.as_ref(), false, "not council staff in Allot", now)
                .await?;
            Err(failed("Your council account is not set up to use Allot. Ask your administrator."))
        }
    }
}

/// What an id_token must say.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
}

/// Checks an id_token (RS256, signed by a key in `jwks`; issuer, audience,
/// nonce, expiry; a verified email) and returns the email address.
pub(crate) fn verify_id_token(
    token: &str,
    jwks: &Value,
    expected: &Expected<'_>,
    now: Timestamp,
) -> Result<String, &'static str> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err("not a signed token");
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| "not base64url");
    let header: Value = serde_json::from_slice(&decode(h)?).map_err(|_| "header is not JSON")?;
    if header["alg"] != "RS256" {
        return Err("only RS256 signatures are accepted");
    }
    let kid = header["kid"].as_str();
    let keys = jwks["keys"].as_array().ok_or("no keys")?;
    let key = keys
        .iter()
        .find(|k| k["kty"] == "RSA" && (kid.is_none() || k["kid"].as_str() == kid))
        .ok_or("no matching key")?;
    let n = decode(key["n"].as_str().ok_or("key has no modulus")?)?;
    let e = decode(key["e"].as_str().ok_or("key has no exponent")?)?;
    let signed = format!("{h}.{p}");
    ring::signature::RsaPublicKeyComponents { n: &n, e: &e }
        .verify(&ring::signature::RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &decode(s)?)
        .map_err(|_| "the signature does not verify")?;
    let claims: Value = serde_json::from_slice(&decode(p)?).map_err(|_| "claims are not JSON")?;
    if claims["iss"] != expected.issuer {
        return Err("issued by someone else");
    }
    let audience_ok = match &claims["aud"] {
        Value::String(a) => a == expected.client_id,
        Value::Array(list) => {
            list.iter().any(|a| a == expected.client_id) && (list.len() == 1 || claims["azp"] == expected.client_id)
        }
        _ => false,
    };
    if !audience_ok {
        return Err("meant for another client");
    }
    if claims["nonce"] != expected.nonce {
        return Err("the nonce does not match this sign-in");
    }
    let second = |name: &str| claims[name].as_i64().and_then(|s| Timestamp::from_second(s).ok());
    let exp = second("exp").ok_or("no expiry")?;
    if now > exp + SKEW {
        return Err("expired");
    }
    if second("iat").is_some_and(|iat| iat > now + SKEW) {
        return Err("issued in the future");
    }
    if claims["email_verified"] != true {
        return Err("the email address is not verified");
    }
    claims["email"].as_str().map(str::to_owned).ok_or("no email address")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made once by `testdata/make-oidc-vectors.js` (Node's crypto), so the
    /// check is tested against signatures it did not make itself.
    fn vectors() -> Value {
        serde_json::from_str(include_str!("testdata/oidc-vectors.json")).unwrap()
    }

    fn check(which: &str, nonce: &str, now: i64) -> Result<String, &'static str> {
        let v = vectors();
        let expected = Expected { issuer: "https://idp.example", client_id: "allot", nonce };
        verify_id_token(v[which].as_str().unwrap(), &v["jwks"], &expected, Timestamp::from_second(now).unwrap())
    }

    #[test]
    fn a_good_token_gives_its_verified_email() {
        assert_eq!(check("valid", "n-123", 1_799_999_500), Ok("a.jones@wyvern.example".to_owned()));
    }

    #[test]
    fn a_changed_unsigned_or_misdirected_token_is_refused() {
        assert_eq!(check("tampered", "n-123", 1_799_999_500), Err("the signature does not verify"));
        assert_eq!(check("none", "n-123", 1_799_999_500), Err("only RS256 signatures are accepted"));
        assert_eq!(check("other_audience", "n-123", 1_799_999_500), Err("meant for another client"));
        assert_eq!(check("unverified_email", "n-123", 1_799_999_500), Err("the email address is not verified"));
        assert_eq!(check("valid", "n-999", 1_799_999_500), Err("the nonce does not match this sign-in"));
        assert_eq!(check("valid", "n-123", 1_800_000_061), Err("expired"));
        assert_eq!(check("valid", "n-123", 1_800_000_059), Ok("a.jones@wyvern.example".to_owned()));
    }
}
