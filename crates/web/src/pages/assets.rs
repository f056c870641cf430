//! GOV.UK Frontend's files and Allot's own few, compiled into the binary
//! and served under `/assets/` (where the CSS expects them): no Node and no
//! files beside the binary at run time.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// GOV.UK Frontend's version, for cache-busting links.
pub(crate) const GOVUK_FRONTEND_VERSION: &str = include_str!("../../assets/govuk-frontend/VERSION");

/// `(path under /assets/, content type, bytes)`.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "govuk-frontend.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/govuk-frontend/govuk-frontend.min.css"),
    ),
    (
        "govuk-frontend.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/govuk-frontend/govuk-frontend.min.js"),
    ),
    ("images/favicon.ico", "image/x-icon", include_bytes!("../../assets/govuk-frontend/images/favicon.ico")),
    ("images/favicon.svg", "image/svg+xml", include_bytes!("../../assets/govuk-frontend/images/favicon.svg")),
    (
        "images/govuk-icon-mask.svg",
        "image/svg+xml",
        include_bytes!("../../assets/govuk-frontend/images/govuk-icon-mask.svg"),
    ),
    ("images/govuk-icon-180.png", "image/png", include_bytes!("../../assets/govuk-frontend/images/govuk-icon-180.png")),
    ("allot.css", "text/css; charset=utf-8", include_bytes!("../../assets/allot.css")),
    ("allot.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/allot.js")),
];

pub(crate) async fn asset(Path(path): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == path) {
        // Links carry the version, so a day's caching is safe and an
        // upgrade is seen the next day at the latest.
        Some((_, content_type, bytes)) => {
            ([(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, "public, max-age=86400")], *bytes)
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "No such file.")
            .into_response(),
    }
}
