//! Who is calling, for which area: resolved once per request, before any
//! handler runs. This is the single hook where sign-in, the access policy
//! and the audit trail of who looked at what belong; until sign-in exists,
//! every caller is recorded as `api:anonymous`, and the service should only
//! listen on a trusted interface (the default is 127.0.0.1).

use crate::{AppState, Problem};
use allot_domain::{Actor, AreaCode, AreaId, Stamp};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// The request header that names the area (by its code) when a database
/// holds more than one.
pub const AREA_HEADER: &str = "allot-area";

/// The caller of one request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub area: AreaId,
    pub actor: Actor,
}

impl Caller {
    /// Who is making a change, now.
    pub fn stamp(&self) -> Stamp {
        Stamp::now(self.actor.clone())
    }

    /// Today's date in England.
    pub fn today(&self) -> jiff::civil::Date {
        allot_domain::dates::date_in_england(jiff::Timestamp::now())
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, Problem> {
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
        Ok(Caller { area: area.id, actor: Actor::parse("api:anonymous").expect("valid actor") })
    }
}
