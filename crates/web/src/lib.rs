//! Allot's HTTP shell: the JSON API and the web pages.
//!
//! Architecture invariant: this is the only crate that knows about HTTP and
//! JSON. Handlers are thin: they parse the request into domain types (the
//! domain's `*Form::parse`), call the [`Store`](allot_store::Store), and
//! turn the answer into a response. Every route that touches a child's
//! record goes through the guard in [`caller`], the one place where
//! sign-in, the access policy and the audit record of who looked belong.

#![forbid(unsafe_code)]
#![recursion_limit = "256"]

mod api;
mod audit;
mod auth;
mod caller;
mod money;
mod oidc;
mod openapi;
mod pages;
mod pathway;
mod problem;
mod ras;
mod receipts;
mod upload;
mod users;

pub use api::{ApiRoute, routes};
pub use audit::subject_access_bundle;
pub use auth::{CSRF_HEADER, SESSION_COOKIE, hash_password, new_credentials, open_session, token_hash};
pub use caller::{Access, Caller, Guard};
pub use oidc::OidcConfig;
pub use problem::Problem;

use allot_store::Store;
use axum::Router;
use std::sync::Arc;

/// The largest request body accepted: a limit on everything.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// The council's identity provider, if sign-in through it is set up.
    pub oidc: Option<OidcConfig>,
}

/// The whole application as an axum router.
pub fn app(store: Arc<dyn Store>, oidc: Option<OidcConfig>) -> Router {
    let state = AppState { store, oidc };
    let mut router = Router::new();
    for route in routes() {
        // Every route, whatever its rule, goes through the one guard.
        let guards = caller::RouteGuards {
            state: state.clone(),
            guards: std::sync::Arc::new(
                route
                    .operations
                    .iter()
                    .map(|(method, guard, _)| (method.to_uppercase().parse().expect("an HTTP method"), *guard))
                    .collect(),
            ),
        };
        let is_page = route.is_page();
        let mut handler = route.handler.route_layer(axum::middleware::from_fn_with_state(guards, caller::enforce));
        if is_page {
            // Outside the guard: a form's CSRF and security-code fields
            // become the headers the guard checks, and problems become pages.
            handler = handler.route_layer(axum::middleware::from_fn(pages::page_layer));
        }
        router = router.route(route.path, handler);
    }
    router
        .fallback(pages::no_such_route)
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(axum::middleware::from_fn(api::log_and_harden))
        .with_state(state)
}

/// Serves the application on `listener` until the process is asked to stop
/// (Ctrl-C or SIGTERM), finishing requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Arc<dyn Store>,
    oidc: Option<OidcConfig>,
) -> std::io::Result<()> {
    axum::serve(listener, app(store, oidc)).with_graceful_shutdown(shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
