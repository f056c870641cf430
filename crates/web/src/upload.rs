//! Forms with a file (a receipt, a statement): read the same way for the
//! API and the pages.

use crate::Problem;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use std::collections::BTreeMap;

/// The one form field that carries the file.
pub(crate) const FILE_FIELD: &str = "file";

/// Room for a form's other fields beside its file, so a file a little over
/// its limit still gets a field error rather than a refused request.
pub(crate) const FORM_SLACK: usize = 1024 * 1024;

/// The largest statement form a page takes.
pub(crate) const STATEMENT_FORM_LIMIT: usize = crate::money::STATEMENT_LIMIT_BYTES + FORM_SLACK;

/// A multipart form's text fields, and its file (name and bytes) if one
/// was chosen.
pub(crate) type SentForm = (BTreeMap<String, String>, Option<(String, Vec<u8>)>);

pub(crate) async fn read_form(multipart: Result<Multipart, MultipartRejection>) -> Result<SentForm, Problem> {
    let mut multipart = multipart.map_err(|_| {
        Problem::bad_request("send the form as multipart/form-data, the way a browser sends a form with a file")
    })?;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "/problems/too-large",
                "The file is too large",
                "The file is larger than this form takes. Nothing was saved.",
            )
        } else {
            Problem::bad_request(format!("the form could not be read: {e}"))
        }
    };
    let (mut fields, mut file) = (BTreeMap::new(), None);
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == FILE_FIELD {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(unreadable)?;
            // A browser sends an empty part when no file was chosen.
            if !(file_name.is_empty() && bytes.is_empty()) {
                file = Some((file_name, bytes.to_vec()));
            }
        } else {
            fields.insert(name, field.text().await.map_err(unreadable)?);
        }
    }
    Ok((fields, file))
}
