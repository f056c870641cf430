//! Local areas and the organisations in them.

use crate::code_list;
use crate::ids::{AreaId, OrganisationId};
use crate::text::{AreaCode, Name};

/// A local area (tenant): a council and its partners. Every record belongs
/// to exactly one area, and nothing in one area can reach another's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Area {
    pub id: AreaId,
    pub code: AreaCode,
    pub name: Name,
}

code_list!(
    /// The kinds of organisation in an area.
    OrganisationKind, "organisation kind" {
        Council = "council", "Council";
        Nhs = "nhs", "NHS body";
        School = "school", "School or college";
        Provider = "provider", "Provider";
    }
);

/// An organisation in an area.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Organisation {
    pub id: OrganisationId,
    pub area_id: AreaId,
    pub kind: OrganisationKind,
    pub name: Name,
    /// A national code: a school's URN, an NHS body's ODS code.
    pub code: Option<String>,
}
