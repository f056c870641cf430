//! Professionals and who is each child's lead professional.

use crate::code_list;
use crate::ids::{AreaId, ChildId, OrganisationId, ProfessionalId};
use crate::text::{Actor, Name};
use jiff::Timestamp;

code_list!(
    /// What a professional who can hold cases does.
    ProfessionalRole, "professional role" {
        SenCaseworker = "sen_caseworker", "SEN caseworker";
        SocialWorker = "social_worker", "Social worker";
        Keyworker = "keyworker", "Keyworker";
    }
);

/// Someone who can be a child's lead professional (the one person a family
/// deals with).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Professional {
    pub id: ProfessionalId,
    pub area_id: AreaId,
    pub organisation_id: OrganisationId,
    pub name: Name,
    pub role: ProfessionalRole,
    pub team: Name,
    pub email: String,
}

/// One spell of a professional holding a child's case. A child has at most
/// one open spell; assigning a new lead professional closes the old spell
/// at the same instant, so the history has no gaps and no overlaps.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LeadAssignment {
    pub area_id: AreaId,
    pub child_id: ChildId,
    pub professional_id: ProfessionalId,
    pub from: Timestamp,
    pub until: Option<Timestamp>,
    pub assigned_by: Actor,
    pub reason: String,
}
