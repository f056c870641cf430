//! Allot's web pages: server-rendered HTML in the GOV.UK Design System's
//! components (ported in [`components`]), over the same guard, store and
//! audit trail as the API. Pages work without JavaScript; `allot.js` only
//! enhances them.
//!
//! A page handler answers with HTML or with a [`Problem`]; the layer
//! [`page_layer`] turns every problem on a page route into a page (a
//! sign-in redirect, "Page not found", "There is a problem with the
//! service"), so the guard's one answer for a record that is not there and
//! one the person may not see is one page too.

mod access_log;
mod admin;
mod assets;
mod budget;
mod chart;
mod commissioning;
pub(crate) mod components;
mod direct_payments;
mod home;
mod info;
mod money;
mod organisations;
mod plan;
mod receipts;
mod signin;
mod statements;

use crate::AppState;
use crate::api::ApiRoute;
use crate::auth::{CSRF_HEADER, SECURITY_CODE_HEADER, SESSION_COOKIE, cookie};
use crate::caller::{Caller, Guard};
use allot_domain::access::{AreaAction, Section, area_allowed};
use axum::body::Body;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get};
use components::{Content, ErrorLink, ErrorSummary, SkipLink};
use maud::{DOCTYPE, Markup, PreEscaped, html};

pub(crate) use assets::GOVUK_FRONTEND_VERSION;

/// The nonce that lets this response's one inline script run under the
/// Content-Security-Policy. Made afresh for every request.
#[derive(Debug, Clone)]
pub(crate) struct Nonce(pub String);

impl Nonce {
    /// The request's nonce (`log_and_harden` puts one on every request).
    fn of(extensions: &axum::http::Extensions) -> String {
        extensions.get::<Nonce>().map(|n| n.0.clone()).unwrap_or_default()
    }
}

/// What every page needs to draw its frame.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub nonce: String,
    /// Who is signed in, on pages behind the guard.
    pub caller: Option<Caller>,
    /// The path asked for, to mark where someone is in the navigation.
    pub path: String,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Ctx, Self::Rejection> {
        Ok(Ctx {
            nonce: Nonce::of(&parts.extensions),
            caller: parts.extensions.get::<Caller>().cloned(),
            path: parts.uri.path().to_owned(),
        })
    }
}

/// A page route: like an API route, through the same guard and in the same
/// access matrix, but with no OpenAPI description (pages are not the API).
fn page(path: &'static str, handler: MethodRouter<AppState>, guards: &[(&'static str, Guard)]) -> ApiRoute {
    ApiRoute {
        path,
        handler,
        operations: guards.iter().map(|(method, guard)| (*method, *guard, serde_json::Value::Null)).collect(),
    }
}

/// The pages that take a file, and the largest form each takes. The page
/// layer reads that much of a form with a file only for these (before the
/// guard, as it must to find the CSRF token); any other page gets the
/// ordinary form limit.
const UPLOADS: &[(&str, usize)] = &[
    ("/children/{id}/receipts", crate::receipts::RECEIPT_FORM_LIMIT),
    ("/statements", crate::upload::STATEMENT_FORM_LIMIT),
];

fn upload_limit(path: &str) -> Option<usize> {
    UPLOADS.iter().find(|(p, _)| *p == path).map(|(_, limit)| *limit)
}

/// A page that takes a file, with its body limit from [`UPLOADS`].
fn upload_page(path: &'static str, handler: MethodRouter<AppState>, guards: &[(&'static str, Guard)]) -> ApiRoute {
    let limit = upload_limit(path).expect("an upload page is listed in UPLOADS");
    page(path, handler.layer(axum::extract::DefaultBodyLimit::max(limit)), guards)
}

/// Every page.
pub(crate) fn routes() -> Vec<ApiRoute> {
    use axum::routing::post;
    vec![
        page("/assets/{*path}", get(assets::asset), &[("get", Guard::PUBLIC)]),
        page("/sign-in", get(signin::form).post(signin::submit), &[("get", Guard::PUBLIC), ("post", Guard::PUBLIC)]),
        page("/sign-out", post(signin::sign_out), &[("post", Guard::SIGNED_IN)]),
        page("/session/extend", post(signin::stay_signed_in), &[("post", Guard::SIGNED_IN)]),
        page("/", get(home::home), &[("get", Guard::SIGNED_IN)]),
        page("/children", get(home::children), &[("get", Guard::area(AreaAction::ListChildren))]),
        page(
            "/children/new",
            get(budget::new_child).post(budget::add_child),
            &[("get", Guard::area(AreaAction::AddChild)), ("post", Guard::area(AreaAction::AddChild))],
        ),
        page(
            "/children/{id}/allocation",
            get(budget::questionnaire).post(budget::answer_questionnaire),
            &[("get", Guard::change(Section::Budget)), ("post", Guard::change(Section::Budget))],
        ),
        page("/children/{id}/budget", get(budget::budget), &[("get", Guard::read(Section::Budget))]),
        page("/children/{id}", get(home::child), &[("get", Guard::read(Section::Record))]),
        page("/children/{id}/plan", get(plan::show), &[("get", Guard::read(Section::Plan))]),
        page(
            "/children/{id}/plan/edit",
            get(plan::edit).post(plan::save),
            &[("get", Guard::change(Section::Plan)), ("post", Guard::change(Section::Plan))],
        ),
        page(
            "/children/{id}/plan/submit",
            get(plan::check_submit).post(plan::submit),
            &[("get", Guard::change(Section::Plan)), ("post", Guard::change(Section::Plan))],
        ),
        page(
            "/children/{id}/plan/decision",
            get(plan::decision).post(plan::decide),
            &[("get", Guard::change(Section::Signoff)), ("post", Guard::change(Section::Signoff).with_step_up())],
        ),
        page(
            "/children/{id}/plan/decision/check",
            post(plan::check_decision),
            &[("post", Guard::change(Section::Signoff))],
        ),
        page(
            "/children/{id}/plan/co-sign",
            get(plan::co_sign_form).post(plan::co_sign),
            &[("get", Guard::change(Section::CoSign)), ("post", Guard::change(Section::CoSign))],
        ),
        page("/children/{id}/plan/letter", get(plan::letter), &[("get", Guard::read(Section::Pathway))]),
        page("/children/{id}/plan/compare", get(plan::compare), &[("get", Guard::read(Section::Plan))]),
        page(
            "/children/{id}/review-requests",
            get(plan::review_requests).post(plan::ask_for_review),
            &[("get", Guard::read(Section::Pathway)), ("post", Guard::change(Section::Challenge))],
        ),
        page(
            "/children/{id}/review-requests/answer",
            post(plan::answer_review),
            &[("post", Guard::change(Section::Signoff))],
        ),
        page("/approvals", get(plan::approvals), &[("get", Guard::area(AreaAction::Approvals))]),
        page("/children/{id}/money", get(money::child_money), &[("get", Guard::read(Section::Money))]),
        upload_page(
            "/children/{id}/receipts",
            get(receipts::receipts).post(receipts::send),
            &[("get", Guard::read(Section::Receipts)), ("post", Guard::change(Section::Receipts))],
        ),
        upload_page(
            "/statements",
            get(statements::statements).post(statements::import),
            &[("get", Guard::area(AreaAction::Payments)), ("post", Guard::area(AreaAction::Payments))],
        ),
        page(
            "/direct-payments",
            get(direct_payments::direct_payments),
            &[("get", Guard::area(AreaAction::WatchDirectPayments))],
        ),
        page(
            "/children/{id}/dp-audits",
            get(direct_payments::audits).post(direct_payments::start),
            &[("get", Guard::read(Section::Money)), ("post", Guard::change(Section::Money))],
        ),
        page(
            "/children/{id}/dp-audits/evidence",
            get(direct_payments::step_form).post(direct_payments::record_step),
            &[("get", Guard::change(Section::Money)), ("post", Guard::change(Section::Money))],
        ),
        page(
            "/children/{id}/dp-audits/findings",
            get(direct_payments::step_form).post(direct_payments::record_step),
            &[("get", Guard::change(Section::Money)), ("post", Guard::change(Section::Money))],
        ),
        page(
            "/children/{id}/dp-audits/notice",
            get(direct_payments::step_form).post(direct_payments::record_step),
            &[("get", Guard::change(Section::Money)), ("post", Guard::change(Section::Money))],
        ),
        page(
            "/children/{id}/dp-audits/response",
            get(direct_payments::step_form).post(direct_payments::record_step),
            &[("get", Guard::change(Section::Money)), ("post", Guard::change(Section::Money))],
        ),
        page(
            "/children/{id}/dp-audits/recovery",
            get(direct_payments::step_form).post(direct_payments::record_step),
            &[("get", Guard::change(Section::Money)), ("post", Guard::change(Section::Money).with_step_up())],
        ),
        page(
            "/children/{id}/dp-audits/close",
            get(direct_payments::step_form).post(direct_payments::record_step),
            &[("get", Guard::change(Section::Money)), ("post", Guard::change(Section::Money))],
        ),
        page(
            "/admin/users",
            get(admin::users).post(admin::add),
            &[("get", Guard::area(AreaAction::ManageUsers)), ("post", Guard::area(AreaAction::ManageUsers))],
        ),
        page(
            "/admin/users/{id}",
            get(admin::user).post(admin::change_user),
            &[("get", Guard::area(AreaAction::ManageUsers)), ("post", Guard::area(AreaAction::ManageUsers))],
        ),
        page(
            "/admin/policies",
            get(admin::policies).post(admin::publish),
            &[
                ("get", Guard::area(AreaAction::PublishPolicy)),
                ("post", Guard::area(AreaAction::PublishPolicy).with_step_up()),
            ],
        ),
        page("/what-if", get(commissioning::what_if), &[("get", Guard::area(AreaAction::PublishPolicy))]),
        page("/reports/money", get(commissioning::money_report), &[("get", Guard::area(AreaAction::MoneyReports))]),
        page(
            "/reports/organisations",
            get(organisations::organisations),
            &[("get", Guard::area(AreaAction::OrganisationPayments))],
        ),
        page("/children/{id}/access-log", get(access_log::access_log), &[("get", Guard::read(Section::AccessLog))]),
        page(
            "/payments",
            get(money::runs).post(money::prepare),
            &[("get", Guard::area(AreaAction::Payments)), ("post", Guard::area(AreaAction::Payments))],
        ),
        page("/payments/{id}", get(money::run_page), &[("get", Guard::area(AreaAction::Payments))]),
        page(
            "/payments/{id}/release",
            post(money::release),
            &[("post", Guard::area(AreaAction::Payments).with_step_up())],
        ),
        page("/policy", get(info::policy), &[("get", Guard::PUBLIC)]),
        page("/accessibility", get(info::accessibility), &[("get", Guard::PUBLIC)]),
        page("/glossary", get(info::glossary), &[("get", Guard::PUBLIC)]),
    ]
}

/// A page's frame: the GOV.UK template, ported.
pub(crate) struct Frame<'a> {
    pub ctx: &'a Ctx,
    pub title: &'a str,
    /// The page had errors: the title says so first, as the Design System
    /// asks, so screen-reader users hear it at once.
    pub has_errors: bool,
    pub before_content: Option<Markup>,
}

impl<'a> Frame<'a> {
    pub fn new(ctx: &'a Ctx, title: &'a str) -> Frame<'a> {
        Frame { ctx, title, has_errors: false, before_content: None }
    }

    /// A page about one child: it leads back to the child's record.
    pub fn about(ctx: &'a Ctx, title: &'a str, child: &allot_domain::Child) -> Frame<'a> {
        let back = components::BackLink {
            href: format!("/children/{}", child.id),
            text: Some(child.details.known_as().to_string().into()),
        };
        Frame { before_content: Some(html! { (back) }), ..Frame::new(ctx, title) }
    }

    pub fn render(&self, content: Markup) -> Markup {
        let v = GOVUK_FRONTEND_VERSION;
        let title = if self.has_errors {
            format!("Error: {} – Allot", self.title)
        } else {
            format!("{} – Allot", self.title)
        };
        html! {
            (DOCTYPE)
            html lang="en" class="govuk-template" {
                head {
                    meta charset="utf-8";
                    title { (title) }
                    meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover";
                    meta name="theme-color" content="#0b0c0c";
                    link rel="icon" sizes="48x48" href="/assets/images/favicon.ico";
                    link rel="icon" sizes="any" href="/assets/images/favicon.svg" type="image/svg+xml";
                    link rel="mask-icon" href="/assets/images/govuk-icon-mask.svg" color="#0b0c0c";
                    link rel="apple-touch-icon" href="/assets/images/govuk-icon-180.png";
                    link rel="stylesheet" href={ "/assets/govuk-frontend.min.css?v=" (v) };
                    link rel="stylesheet" href={ "/assets/allot.css?v=" (v) };
                }
                body class="govuk-template__body" {
                    script nonce=(self.ctx.nonce) {
                        (PreEscaped("document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');"))
                    }
                    (SkipLink { href: "#main-content".into(), text: "Skip to main content".into() })
                    header class="govuk-template__header" {
                        div class="govuk-generic-header" {
                            div class="govuk-generic-header__container govuk-width-container" {
                                div class="govuk-generic-header__logo" {
                                    a href="/" class="govuk-generic-header__homepage-link" { "Allot" }
                                }
                            }
                        }
                        (navigation(self.ctx))
                    }
                    div class="govuk-width-container" {
                        @if let Some(before) = &self.before_content { (before) }
                        main class="govuk-main-wrapper" id="main-content" {
                            (content)
                        }
                    }
                    (footer())
                    @if let Some(caller) = &self.ctx.caller { (timeout_warning(caller, &self.ctx.path)) }
                    script type="module" src={ "/assets/allot.js?v=" (v) } {}
                }
            }
        }
    }
}

/// The service's name and the links for the signed-in person's role.
fn navigation(ctx: &Ctx) -> Markup {
    let mut items: Vec<(&str, &str)> = Vec::new();
    if let Some(caller) = &ctx.caller {
        items.push(("/", "Home"));
        if area_allowed(caller.user.details.role, AreaAction::ListChildren) {
            items.push(("/children", "Children"));
        }
        if area_allowed(caller.user.details.role, AreaAction::Approvals) {
            items.push(("/approvals", "Approvals"));
        }
        if area_allowed(caller.user.details.role, AreaAction::Payments) {
            items.push(("/payments", "Payments"));
        }
        if area_allowed(caller.user.details.role, AreaAction::WatchDirectPayments) {
            items.push(("/direct-payments", "Direct payments"));
        }
        if area_allowed(caller.user.details.role, AreaAction::MoneyReports) {
            items.push(("/reports/money", "Reports"));
        } else if area_allowed(caller.user.details.role, AreaAction::OrganisationPayments) {
            items.push(("/reports/organisations", "Children you hold money for"));
        }
        if area_allowed(caller.user.details.role, AreaAction::PublishPolicy) {
            items.push(("/what-if", "What if"));
            items.push(("/admin/policies", "Policies"));
        }
        if area_allowed(caller.user.details.role, AreaAction::ManageUsers) {
            items.push(("/admin/users", "Users"));
        }
    }
    items.push(("/policy", "How budgets are worked out"));
    let current = |href: &str| if href == "/" { ctx.path == "/" } else { ctx.path.starts_with(href) };
    html! {
        section aria-label="Service information" class="govuk-service-navigation" data-module="govuk-service-navigation" {
            div class="govuk-width-container" {
                div class="govuk-service-navigation__container" {
                    span class="govuk-service-navigation__service-name" {
                        a href="/" class="govuk-service-navigation__link" { "Personal budgets" }
                    }
                    nav aria-label="Menu" class="govuk-service-navigation__wrapper" {
                        button type="button" class="govuk-service-navigation__toggle govuk-js-service-navigation-toggle" aria-controls="navigation" hidden aria-hidden="true" { "Menu" }
                        ul class="govuk-service-navigation__list" id="navigation" {
                            @for (href, text) in &items {
                                @if current(href) {
                                    li class="govuk-service-navigation__item govuk-service-navigation__item--active" {
                                        a class="govuk-service-navigation__link" href=(href) aria-current="page" {
                                            strong class="govuk-service-navigation__active-fallback" { (text) }
                                        }
                                    }
                                } @else {
                                    li class="govuk-service-navigation__item" {
                                        a class="govuk-service-navigation__link" href=(href) { (text) }
                                    }
                                }
                            }
                            @if let Some(caller) = &ctx.caller {
                                li class="govuk-service-navigation__item allot-signed-in" {
                                    form method="post" action="/sign-out" {
                                        input type="hidden" name="csrf_token" value=(caller.session.csrf_token);
                                        button type="submit" class="allot-link-button govuk-service-navigation__link" {
                                            "Sign out"
                                            span class="govuk-visually-hidden" { " " (caller.user.details.name) }
                                        }
                                    }
                                }
                            } @else if ctx.path != "/sign-in" {
                                li class="govuk-service-navigation__item allot-signed-in" {
                                    a class="govuk-service-navigation__link" href="/sign-in" { "Sign in" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn footer() -> Markup {
    html! {
        footer class="govuk-footer" {
            div class="govuk-width-container" {
                div class="govuk-footer__meta" {
                    div class="govuk-footer__meta-item govuk-footer__meta-item--grow" {
                        h2 class="govuk-visually-hidden" { "Support links" }
                        ul class="govuk-footer__inline-list" {
                            li class="govuk-footer__inline-list-item" { a class="govuk-footer__link" href="/accessibility" { "Accessibility statement" } }
                            li class="govuk-footer__inline-list-item" { a class="govuk-footer__link" href="/glossary" { "Words we use" } }
                            li class="govuk-footer__inline-list-item" { a class="govuk-footer__link" href="/policy" { "How budgets are worked out" } }
                        }
                        p class="govuk-body-s" { "Allot is free software under the GNU Affero General Public License, version 3 or later." }
                    }
                }
            }
        }
    }
}

/// The warning before an idle session ends, shown by `allot.js`. Without
/// JavaScript it stays closed and the session simply ends.
fn timeout_warning(caller: &Caller, path: &str) -> Markup {
    let (warn_in, ends_in) = crate::auth::seconds_to_warning_and_end(&caller.session, jiff::Timestamp::now());
    html! {
        dialog id="session-timeout" class="allot-timeout" aria-labelledby="session-timeout-title"
            aria-describedby="session-timeout-text" data-warn-in=(warn_in) data-ends-in=(ends_in) {
            h2 class="govuk-heading-m" id="session-timeout-title" { "You will be signed out soon" }
            p class="govuk-body" id="session-timeout-text" {
                "You have not done anything for a while. To protect children's information, you will be signed out in "
                strong data-time-left { "2 minutes" } ". Anything you have not saved will be lost."
            }
            form method="post" action="/session/extend" {
                input type="hidden" name="csrf_token" value=(caller.session.csrf_token);
                input type="hidden" name="next" value=(path);
                div class="govuk-button-group" {
                    button type="submit" class="govuk-button" data-module="govuk-button" { "Stay signed in" }
                }
            }
        }
    }
}

/// What a form sent, by field name; every value is kept to show again.
pub(crate) type Fields = std::collections::BTreeMap<String, String>;

/// A field's value, if it is not empty.
pub(crate) fn value(fields: &Fields, name: &str) -> Option<String> {
    fields.get(name).filter(|v| !v.is_empty()).cloned()
}

/// Re-shows a form with its errors (422), or the problem as a page.
pub(crate) fn refused(page: impl FnOnce(&[allot_domain::FieldError]) -> Markup, problem: crate::Problem) -> Response {
    if problem.errors.is_empty() {
        problem.into_response()
    } else {
        (StatusCode::UNPROCESSABLE_ENTITY, page(&problem.errors)).into_response()
    }
}

/// Pence as pounds for people: £12,345.67.
pub(crate) fn money(pence: i64) -> String {
    allot_domain::Pence::new(pence).to_string()
}

/// The funding streams' names for people, from the allocation policy in force.
pub(crate) struct StreamNames(std::collections::BTreeMap<String, String>);

impl StreamNames {
    pub async fn of(state: &AppState, caller: &Caller) -> Result<StreamNames, crate::Problem> {
        let policy = state.store.current_policy(caller.area, caller.today()).await?;
        Ok(StreamNames(
            policy.map(|p| p.policy.streams.into_iter().map(|s| (s.id, s.name)).collect()).unwrap_or_default(),
        ))
    }

    /// A stream's name (its id if the policy in force has no such stream).
    pub fn name(&self, id: &str) -> String {
        self.0.get(id).cloned().unwrap_or_else(|| id.to_owned())
    }
}

/// The financial year a page asks for (`?year=2026-27`), or the current
/// one; a year that is not one is a page not found.
pub(crate) fn year_asked(q: &Fields, today: jiff::civil::Date) -> Result<allot_domain::FinancialYear, crate::Problem> {
    match value(q, "year") {
        Some(y) => y.parse().map_err(|_| crate::Problem::not_found()),
        None => Ok(allot_domain::FinancialYear::containing(today)),
    }
}

/// A small form to choose one of the last three financial years.
pub(crate) fn year_form(action: &str, year: allot_domain::FinancialYear, today: jiff::civil::Date) -> Markup {
    use allot_domain::FinancialYear;
    let this_year = FinancialYear::containing(today);
    let years: Vec<FinancialYear> = (0..3).map(|n| FinancialYear::starting(this_year.first_day().year() - n)).collect();
    html! {
        form method="get" action=(action) {
            (components::Select {
                name: "year".into(),
                label: Some(components::Label::new("Financial year")),
                items: years.iter().map(|y| components::Choice::new(y.to_string(), y.to_string())).collect(),
                value: Some(year.to_string()),
                ..components::Select::default()
            })
            (components::Button { text: Some("Show".into()), classes: Some("govuk-button--secondary".into()), ..components::Button::default() })
        }
    }
}

/// The error summary for a form's problems, each linking to its field.
pub(crate) fn error_summary(errors: &[allot_domain::FieldError]) -> Markup {
    html! {
        (ErrorSummary {
            title: "There is a problem".into(),
            description: None,
            errors: errors
                .iter()
                .map(|e| ErrorLink { href: Some(format!("#{}", e.field)), text: Content::Text(sentence(&e.message)) })
                .collect(),
        })
    }
}

/// A message as a sentence: capital first letter.
pub(crate) fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The error for one field, if it has one.
pub(crate) fn field_error(errors: &[allot_domain::FieldError], field: &str) -> Option<Content> {
    errors.iter().find(|e| e.field == field).map(|e| Content::Text(sentence(&e.message)))
}

/// A local path to go back to after signing in: never another site.
pub(crate) fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_owned(),
        _ => "/".to_owned(),
    }
}

/// The largest form a page accepts (the same limit as any request body).
const FORM_LIMIT: usize = crate::BODY_LIMIT_BYTES;

/// Around every page route, outside the guard. Forms cannot send headers,
/// so a page form carries the session's CSRF token as the field
/// `csrf_token` and a security code as `security_code`; these become the
/// headers the guard checks, so there is one check for pages and API alike.
/// Then every problem becomes a page: a sign-in redirect, a "Confirm it is
/// you" form that keeps what was sent, or a problem page.
pub(crate) async fn page_layer(request: Request, next: Next) -> Response {
    let had_session = cookie(request.headers(), SESSION_COOKIE).is_some();
    let asked_for = request.uri().path_and_query().map_or("/".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().clone();
    let nonce = Nonce::of(request.extensions());
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let is_form = method == Method::POST && content_type.starts_with("application/x-www-form-urlencoded");
    let is_upload = method == Method::POST && content_type.starts_with("multipart/form-data");
    let (request, sent) = if is_form || is_upload {
        let (mut parts, body) = request.into_parts();
        let route = parts.extensions.get::<axum::extract::MatchedPath>().map(|m| m.as_str().to_owned());
        let limit = if is_upload { route.and_then(|r| upload_limit(&r)).unwrap_or(FORM_LIMIT) } else { FORM_LIMIT };
        let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
            let ctx = Ctx { nonce, caller: None, path: String::new() };
            return problem_page(
                &ctx,
                StatusCode::PAYLOAD_TOO_LARGE,
                "/problems/too-large",
                "The form is too large.",
                true,
            );
        };
        let fields: Vec<(String, String)> = if is_upload {
            fields_before_the_file(&content_type, bytes.clone()).await
        } else {
            serde_urlencoded::from_bytes(&bytes).unwrap_or_default()
        };
        for (field, header) in [("csrf_token", CSRF_HEADER), ("security_code", SECURITY_CODE_HEADER)] {
            if let Some((_, value)) = fields.iter().find(|(k, _)| k == field)
                && let Ok(value) = HeaderValue::from_str(value.trim())
            {
                parts.headers.insert(header, value);
            }
        }
        (Request::from_parts(parts, Body::from(bytes)), fields)
    } else {
        (request, Vec::new())
    };
    let response = next.run(request).await;
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem {
        return response;
    }
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap_or_default();
    let problem: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let kind = problem["type"].as_str().unwrap_or_default();
    if status == StatusCode::UNAUTHORIZED {
        let next = if method == Method::GET { asked_for } else { "/".to_owned() };
        let ended = if had_session { "&timed_out=1" } else { "" };
        let to = format!("/sign-in?next={}{ended}", urlencode(&next));
        return Redirect::to(&to).into_response();
    }
    let ctx = Ctx { nonce, caller: None, path: String::new() };
    if kind == "/problems/confirm-second-factor" && is_form {
        let errors: Vec<allot_domain::FieldError> =
            serde_json::from_value(problem["errors"].clone()).unwrap_or_default();
        return confirm_page(&ctx, &asked_for, &sent, &errors);
    }
    problem_page(&ctx, status, kind, problem["detail"].as_str().unwrap_or_default(), method != Method::GET)
}

/// The text fields of a form with a file, up to the file: a page puts its
/// `csrf_token` first, and the file is left for the handler to read.
async fn fields_before_the_file(content_type: &str, bytes: axum::body::Bytes) -> Vec<(String, String)> {
    use axum::extract::{FromRequest, Multipart};
    let Ok(request) = Request::builder().header(header::CONTENT_TYPE, content_type).body(Body::from(bytes)) else {
        return Vec::new();
    };
    let Ok(mut form) = Multipart::from_request(request, &()).await else { return Vec::new() };
    let mut fields = Vec::new();
    while let Ok(Some(field)) = form.next_field().await {
        if field.file_name().is_some() {
            break;
        }
        let name = field.name().unwrap_or_default().to_owned();
        match field.text().await {
            Ok(text) => fields.push((name, text)),
            Err(_) => break,
        }
    }
    fields
}

/// "Confirm it is you": asks for a code from the authenticator app before a
/// money-sensitive change, and sends the form again with everything the
/// person had entered.
fn confirm_page(ctx: &Ctx, action: &str, sent: &[(String, String)], errors: &[allot_domain::FieldError]) -> Response {
    let mut frame = Frame::new(ctx, "Confirm it is you");
    frame.has_errors = !errors.is_empty();
    let markup = frame.render(html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                @if !errors.is_empty() { (error_summary(errors)) }
                h1 class="govuk-heading-l" { "Confirm it is you" }
                p class="govuk-body" {
                    "This changes money or a decision, and you signed in more than 15 minutes ago. "
                    "Enter a code from your authenticator app to carry on. Nothing has been changed yet."
                }
                form method="post" action=(action) novalidate {
                    @for (name, value) in sent.iter().filter(|(k, _)| k != "security_code") {
                        input type="hidden" name=(name) value=(value);
                    }
                    (components::Input {
                        name: "security_code".into(),
                        label: Some(components::Label::new("Security code")),
                        hint: Some("The 6-digit code your authenticator app shows now".into()),
                        error: field_error(errors, "security_code"),
                        classes: Some("govuk-input--width-5".into()),
                        autocomplete: Some("one-time-code".into()),
                        inputmode: Some("numeric".into()),
                        spellcheck: Some(false),
                        ..components::Input::default()
                    })
                    (components::Button { text: Some("Confirm".into()), prevent_double_click: Some(true), ..components::Button::default() })
                }
            }
        }
    });
    (StatusCode::FORBIDDEN, markup).into_response()
}

/// The page for a problem. Says what happened to the person's answers.
pub(crate) fn problem_page(ctx: &Ctx, status: StatusCode, kind: &str, detail: &str, had_answers: bool) -> Response {
    let (title, body): (&str, Markup) = match (status.as_u16(), kind) {
        (404, _) => (
            "Page not found",
            html! {
                p class="govuk-body" { "If you typed the web address, check it is correct." }
                p class="govuk-body" { "If you pasted the web address, check you copied the entire address." }
                p class="govuk-body" { "If the address is right, you may not have access to this page. " a class="govuk-link" href="/" { "Go to your home page" } "." }
            },
        ),
        (403, "/problems/csrf") => (
            "The form has expired",
            html! {
                p class="govuk-body" { "For your security, the form could not be accepted. Your answers have not been saved." }
                p class="govuk-body" { "Go back, refresh the page and try again." }
            },
        ),
        (403, _) => (
            "You cannot do this",
            html! {
                p class="govuk-body" { "Your role does not allow this. Nothing has been changed." }
                p class="govuk-body" { a class="govuk-link" href="/" { "Go to your home page" } }
            },
        ),
        (500.., _) => (
            "Sorry, there is a problem with the service",
            html! {
                p class="govuk-body" { "Try again later." }
                @if had_answers {
                    p class="govuk-body" { "We have not saved your answers. When the service is available, you will have to start again." }
                } @else {
                    p class="govuk-body" { "Nothing has been changed." }
                }
                p class="govuk-body" { "If this keeps happening, contact your service desk." }
            },
        ),
        _ => (
            "There is a problem",
            html! {
                p class="govuk-body" { (detail) }
                p class="govuk-body" { "Nothing has been changed. " a class="govuk-link" href="/" { "Go to your home page" } }
            },
        ),
    };
    let markup = Frame::new(ctx, title).render(html! { h1 class="govuk-heading-l" { (title) } (body) });
    (status, markup).into_response()
}

/// Percent-encodes a query value.
pub(crate) fn urlencode(value: &str) -> String {
    serde_urlencoded::to_string([("v", value)]).map(|s| s[2..].to_owned()).unwrap_or_default()
}

/// The answer for an address no route serves: a page for a browser, a
/// problem for an API client.
pub(crate) async fn no_such_route(request: Request) -> Response {
    let wants_html =
        request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"));
    if !wants_html || request.uri().path().starts_with("/api/") {
        return crate::problem::no_such_route().await.into_response();
    }
    let nonce = Nonce::of(request.extensions());
    let ctx = Ctx { nonce, caller: None, path: String::new() };
    problem_page(&ctx, StatusCode::NOT_FOUND, "/problems/no-such-route", "", false)
}
