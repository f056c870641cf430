//! Errors as `application/problem+json` (RFC 9457), mapped from domain and
//! storage answers in one place. What the caller reads is kept apart from
//! what the log records: a database failure is logged in full and shown as
//! a plain "problem with the service".

use allot_domain::Invalid;
use allot_store::StoreError;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A problem response.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<allot_domain::FieldError>,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &'static str, title: &'static str, detail: impl Into<String>) -> Problem {
        Problem { kind, title, status: status.as_u16(), detail: detail.into(), errors: Vec::new() }
    }

    /// The same answer for a record that does not exist and one the caller
    /// may not see.
    pub fn not_found() -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "/problems/not-found", "Not found", "There is no such record.")
    }

    /// The service cannot answer safely now (for example, the audit trail
    /// could not be written, so the read is not shown).
    pub fn unavailable() -> Problem {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "/problems/service",
            "There is a problem with the service",
            "Nothing was saved. Try again later; if it keeps happening, contact the service desk.",
        )
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "/problems/bad-request", "The request could not be read", detail)
    }

    /// Field-level errors from parsing an input.
    /// A refusal that names no field (a rule about the record, a duplicate)
    /// as an error on `field`, so a page shows it beside the form that was
    /// sent rather than on a page of its own.
    pub fn on_field(mut self, field: &str) -> Problem {
        if self.errors.is_empty() && matches!(self.status, 409 | 422) {
            self.errors.push(allot_domain::FieldError { field: field.into(), message: self.detail.clone() });
        }
        self
    }

    pub fn invalid(invalid: Invalid) -> Problem {
        let n = invalid.0.len();
        Problem {
            errors: invalid.0,
            ..Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "/problems/invalid-input",
                "There is a problem with what was entered",
                format!(
                    "{n} field{} need{} correcting; nothing was saved.",
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "s" } else { "" }
                ),
            )
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        (status, [(header::CONTENT_TYPE, "application/problem+json")], body).into_response()
    }
}

impl From<Invalid> for Problem {
    fn from(invalid: Invalid) -> Problem {
        Problem::invalid(invalid)
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        match e {
            StoreError::NotFound => Problem::not_found(),
            StoreError::VersionConflict { .. } => Problem::new(
                StatusCode::CONFLICT,
                "/problems/version-conflict",
                "Someone else changed this record",
                format!(
                    "{e}. Nothing was saved: fetch the record again, reapply your change and send it with the new version."
                ),
            ),
            StoreError::Duplicate(msg) => Problem::new(
                StatusCode::CONFLICT,
                "/problems/duplicate",
                "This is already recorded",
                format!("{msg}. Nothing was saved."),
            ),
            StoreError::Refused(msg) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "/problems/refused",
                "This change is not allowed",
                format!("{msg}. Nothing was saved."),
            ),
            StoreError::Invalid(invalid) => Problem::invalid(invalid),
            StoreError::Ledger(e) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "/problems/refused",
                "This change is not allowed",
                format!("{e}. Nothing was saved."),
            ),
            StoreError::Lines(lines) => Problem {
                errors: lines
                    .iter()
                    .map(|l| allot_domain::FieldError {
                        field: format!("line {}: {}", l.line, l.field),
                        message: l.message.clone(),
                    })
                    .collect(),
                ..Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "/problems/invalid-file",
                    "There are problems in the file",
                    format!(
                        "{} problem{} in the file, each named by its line and field; nothing was imported.",
                        lines.len(),
                        if lines.len() == 1 { "" } else { "s" }
                    ),
                )
            },
            other => {
                tracing::error!(error = %other, "storage failure");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "/problems/service",
                    "There is a problem with the service",
                    "Nothing was saved. Try again later; if it keeps happening, contact the service desk.",
                )
            }
        }
    }
}

/// The answer for a path no route serves.
pub(crate) async fn no_such_route() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "/problems/no-such-route", "Page not found", "No route serves this address.")
}
