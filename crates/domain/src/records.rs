//! A batch of one area's records, loaded together (the demo area, or a
//! move from another system).

use crate::child::Child;
use crate::consent::Consent;
use crate::family::FamilyMember;
use crate::organisation::Organisation;
use crate::professional::{LeadAssignment, Professional};
use crate::ras::StoredAllocation;

/// Records to load into an area in one go. Every record's `area_id` must be
/// the area being loaded.
#[derive(Debug, Clone, Default)]
pub struct AreaRecords {
    pub organisations: Vec<Organisation>,
    pub professionals: Vec<Professional>,
    pub children: Vec<Child>,
    pub family_members: Vec<FamilyMember>,
    pub consents: Vec<Consent>,
    pub lead_assignments: Vec<LeadAssignment>,
    /// Completed questionnaires; their policies must already be published.
    pub allocations: Vec<StoredAllocation>,
}

impl AreaRecords {
    /// How many records in all.
    pub fn len(&self) -> usize {
        self.organisations.len()
            + self.professionals.len()
            + self.children.len()
            + self.family_members.len()
            + self.consents.len()
            + self.lead_assignments.len()
            + self.allocations.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
