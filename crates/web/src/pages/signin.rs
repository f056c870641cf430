//! Signing in and out in the browser, and "stay signed in".

use super::components::{Button, Input, InsetText, Label};
use super::{Ctx, Frame, error_summary, field_error, local_path};
use crate::auth::{
    Refusal, SignInForm, check_sign_in, cookie, end_session, open_session, random_hex, same, session_cookie,
};
use crate::caller::Caller;
use crate::{AppState, Problem};
use allot_domain::FieldError;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

/// The cookie that ties a sign-in form to the browser it was sent to, so
/// another site cannot sign someone in as somebody else (login CSRF).
const FORM_COOKIE: &str = "allot_sign_in";

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct SignInQuery {
    next: Option<String>,
    timed_out: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct SignInFields {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    next: String,
}

/// The sign-in page, with a fresh form token in a cookie and the form.
fn sign_in_page(
    ctx: &Ctx,
    fields: &SignInFields,
    errors: &[FieldError],
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let token = random_hex(16);
    let mut frame = Frame::new(ctx, "Sign in");
    frame.has_errors = !errors.is_empty();
    let content: Markup = html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                @if !errors.is_empty() { (error_summary(errors)) }
                h1 class="govuk-heading-l" { "Sign in" }
                @if let Some(notice) = notice { (InsetText { id: None, content: notice.into(), classes: None }) }
                form method="post" action="/sign-in" novalidate {
                    input type="hidden" name="form_token" value=(token);
                    input type="hidden" name="next" value=(fields.next);
                    (Input {
                        name: "username".into(),
                        label: Some(Label::new("User name")),
                        hint: Some("Usually your work email address".into()),
                        error: field_error(errors, "username"),
                        value: Some(fields.username.clone()).filter(|v| !v.is_empty()),
                        input_type: Some("email".into()),
                        autocomplete: Some("username".into()),
                        spellcheck: Some(false),
                        ..Input::default()
                    })
                    // The password and code are never written back into the
                    // page: a password must not travel back to the browser,
                    // and a code works only once.
                    (Input {
                        name: "password".into(),
                        label: Some(Label::new("Password")),
                        error: field_error(errors, "password"),
                        input_type: Some("password".into()),
                        autocomplete: Some("current-password".into()),
                        ..Input::default()
                    })
                    (Input {
                        name: "code".into(),
                        label: Some(Label::new("Security code")),
                        hint: Some("The 6-digit code from your authenticator app. Staff and providers must give one; families leave this empty.".into()),
                        error: field_error(errors, "code"),
                        classes: Some("govuk-input--width-5".into()),
                        inputmode: Some("numeric".into()),
                        autocomplete: Some("one-time-code".into()),
                        spellcheck: Some(false),
                        ..Input::default()
                    })
                    (Button { text: Some("Sign in".into()), prevent_double_click: Some(true), ..Button::default() })
                }
                p class="govuk-body" { "If you cannot sign in, ask your organisation's Allot administrator to reset your password." }
            }
        }
    };
    let form_cookie = format!("{FORM_COOKIE}={token}; Path=/sign-in; HttpOnly; Secure; SameSite=Strict");
    (status, [(header::SET_COOKIE, form_cookie)], frame.render(content)).into_response()
}

pub(crate) async fn form(ctx: Ctx, Query(q): Query<SignInQuery>) -> Response {
    let fields = SignInFields { next: local_path(q.next.as_deref()), ..SignInFields::default() };
    let notice = q.timed_out.is_some().then_some(
        "You were signed out because you had not done anything for 30 minutes. Anything you had not saved has been lost.",
    );
    sign_in_page(&ctx, &fields, &[], notice, StatusCode::OK)
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(fields): Form<SignInFields>,
) -> Response {
    let one = |field: &str, message: &str| vec![FieldError { field: field.into(), message: message.into() }];
    let sent_from_our_form = cookie(&headers, FORM_COOKIE).is_some_and(|c| same(&c, &fields.form_token));
    if !sent_from_our_form {
        return sign_in_page(
            &ctx,
            &fields,
            &one("username", "the form had expired: sign in again"),
            None,
            StatusCode::BAD_REQUEST,
        );
    }
    let now = jiff::Timestamp::now();
    let form = SignInForm {
        username: Some(fields.username.clone()),
        password: Some(fields.password.clone()),
        code: Some(fields.code.clone()).filter(|c| !c.trim().is_empty()),
    };
    let (errors, status) = match check_sign_in(&state, &form, now).await {
        Ok((user, second_factor_at)) => {
            return match open_session(state.store.as_ref(), &user, now, second_factor_at).await {
                Ok((token, _)) => {
                    let clear_form =
                        format!("{FORM_COOKIE}=; Path=/sign-in; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
                    let mut response = Redirect::to(&local_path(Some(&fields.next))).into_response();
                    let headers = response.headers_mut();
                    headers.append(header::SET_COOKIE, session_cookie(&token).parse().expect("a cookie"));
                    headers.append(header::SET_COOKIE, clear_form.parse().expect("a cookie"));
                    response
                }
                Err(e) => Problem::from(e).into_response(),
            };
        }
        Err(Refusal::Invalid(inv)) => (inv.0, StatusCode::UNPROCESSABLE_ENTITY),
        Err(Refusal::TooManyAttempts(secs)) => (
            one(
                "username",
                &format!(
                    "there have been several failed attempts to sign in as this user: wait {secs} seconds and try again"
                ),
            ),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(Refusal::Wrong) => {
            (one("username", "the user name, password or security code is not right"), StatusCode::UNAUTHORIZED)
        }
        Err(Refusal::NoSecondFactor) => (
            one(
                "code",
                "your account needs an authenticator app before you can sign in: ask your administrator to set it up",
            ),
            StatusCode::UNAUTHORIZED,
        ),
        Err(Refusal::Failed(problem)) => return problem.into_response(),
    };
    sign_in_page(&ctx, &fields, &errors, None, status)
}

pub(crate) async fn sign_out(State(state): State<AppState>, caller: Caller) -> Result<Response, Problem> {
    Ok((end_session(&state, &caller).await?, Redirect::to("/sign-in")).into_response())
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct StayFields {
    next: Option<String>,
}

/// "Stay signed in" without JavaScript: any request extends the session
/// (the guard saw this one), so this only goes back where the person was.
pub(crate) async fn stay_signed_in(_: Caller, Form(fields): Form<StayFields>) -> Redirect {
    Redirect::to(&local_path(fields.next.as_deref()))
}
