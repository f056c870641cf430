//! A plan's life: draft, submitted, approved by everyone it needs, agreed
//! when the family co-signs; declined or returned with reasons. A
//! submitted version is frozen: any change makes a new version.

use crate::access::Role;
use crate::code_list;
use crate::ids::UserId;
use crate::money::Pence;
use crate::pathway::delegation::{DelegationPolicy, four_eyes};
use crate::pathway::content::PlanItem;

code_list!(
    /// Where a version of a plan stands.
    PlanStatus, "plan status" {
        Draft = "draft", "Draft";
        Submitted = "submitted", "Waiting for sign-off";
        /// Everyone who must approve it has; waiting for the family to co-sign.
        Approved = "approved", "Approved";
        /// Approved and co-signed by the family.
        Agreed = "agreed", "Agreed";
        Declined = "declined", "Declined";
        Returned = "returned", "Returned for changes";
    }
);

impl PlanStatus {
    /// Whether the version can still be edited in place.
    pub fn is_editable(self) -> bool {
        self == PlanStatus::Draft
    }
}

/// The sign-off of one submitted version: who must approve it, and who has.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Signoff {
    pub author: UserId,
    pub submitter: UserId,
    pub council_total: Pence,
    /// The roles whose approval is needed (from the delegation policy).
    pub required: Vec<Role>,
    /// Approvals so far: the role each stood in, and who.
    pub approvals: Vec<(Role, UserId)>,
}

impl Signoff {
    /// A version submitted with these totals under `policy`.
    pub fn new(policy: &DelegationPolicy, author: UserId, submitter: UserId, council: Pence, health: Pence) -> Signoff {
        Signoff {
            author,
            submitter,
            council_total: council,
            required: policy.approvers(council, health),
            approvals: Vec::new(),
        }
    }

    /// Records an approval by `approver`, in `role`. Refused when they
    /// wrote or submitted the plan, when their role's authority does not
    /// cover it, or when that approval has already been given.
    pub fn approve(&mut self, policy: &DelegationPolicy, approver: UserId, role: Role) -> Result<(), String> {
        four_eyes(approver, self.author, self.submitter)?;
        if self.approvals.iter().any(|(_, who)| *who == approver) {
            return Err("you have already approved this plan".into());
        }
        // Which outstanding approval this person can give.
        let outstanding: Vec<Role> =
            self.required.iter().copied().filter(|r| !self.approvals.iter().any(|(given, _)| given == r)).collect();
        let stands_for = outstanding.iter().copied().find(|needed| {
            if *needed == policy.nhs_role { role == policy.nhs_role } else { policy.covers(role, self.council_total) }
        });
        match stands_for {
            Some(needed) => {
                self.approvals.push((needed, approver));
                Ok(())
            }
            None if outstanding.is_empty() => Err("this plan has every approval it needs".into()),
            None => Err(format!(
                "a {} cannot approve this plan: it needs {}",
                role.label().to_lowercase(),
                outstanding.iter().map(|r| r.label().to_lowercase()).collect::<Vec<_>>().join(" and ")
            )),
        }
    }

    /// Whether every approval it needs has been given.
    pub fn complete(&self) -> bool {
        self.required.iter().all(|r| self.approvals.iter().any(|(given, _)| given == r))
    }
}

/// How one support item differs between two versions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum ItemChange {
    Added { key: String },
    Removed { key: String },
    Changed { key: String, fields: Vec<&'static str> },
}

/// Compares two versions item by item; items keep their key across
/// versions.
pub fn compare_items(old: &[PlanItem], new: &[PlanItem]) -> Vec<ItemChange> {
    let mut changes = Vec::new();
    for PlanItem { key, item: before } in old {
        match new.iter().find(|n| n.key == *key) {
            None => changes.push(ItemChange::Removed { key: key.clone() }),
            Some(PlanItem { item: after, .. }) => {
                let mut fields = Vec::new();
                let mut differs = |name: &'static str, changed: bool| {
                    if changed {
                        fields.push(name);
                    }
                };
                differs("what", before.what != after.what);
                differs("provided_by", before.provided_by != after.provided_by);
                differs("unit_cost", before.unit_cost != after.unit_cost);
                differs("units", before.units_hundredths != after.units_hundredths);
                differs("frequency", before.frequency != after.frequency);
                differs("stream", before.stream != after.stream);
                differs("route", before.route != after.route);
                differs("isf_holder", before.isf_holder != after.isf_holder);
                differs("provider", before.provider != after.provider);
                differs("personal_assistant", before.personal_assistant != after.personal_assistant);
                differs("annual_cost", before.annual_cost() != after.annual_cost());
                if !fields.is_empty() {
                    changes.push(ItemChange::Changed { key: key.clone(), fields });
                }
            }
        }
    }
    for PlanItem { key, .. } in new {
        if !old.iter().any(|o| o.key == *key) {
            changes.push(ItemChange::Added { key: key.clone() });
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pathway::plan::{Frequency, ManagementRoute, SupportItem};

    const POLICY: &str = "[[limit]]\nrole = \"team_manager\"\nmax_annual_amount = \"5000.00\"\n\
        [[limit]]\nrole = \"group_manager\"\nmax_annual_amount = \"20000.00\"\n\
        [[limit]]\nrole = \"head_of_service\"\n[nhs]\nrole = \"nhs_budget_lead\"\n";

    fn policy() -> DelegationPolicy {
        DelegationPolicy::parse(POLICY).unwrap()
    }

    #[test]
    fn an_integrated_plan_is_approved_only_when_both_sides_have_signed() {
        let p = policy();
        let (author, submitter, tm, nhs) = (UserId::new(), UserId::new(), UserId::new(), UserId::new());
        let mut s = Signoff::new(&p, author, submitter, Pence::from_pounds(4_000), Pence::from_pounds(9_000));
        assert_eq!(s.required, [Role::TeamManager, Role::NhsBudgetLead]);
        s.approve(&p, tm, Role::TeamManager).unwrap();
        assert!(!s.complete(), "health money still needs the NHS");
        assert!(s.approve(&p, tm, Role::TeamManager).is_err(), "one person, one approval");
        s.approve(&p, nhs, Role::NhsBudgetLead).unwrap();
        assert!(s.complete());
        assert!(s.approve(&p, UserId::new(), Role::HeadOfService).unwrap_err().contains("every approval"));
    }

    #[test]
    fn the_author_and_a_manager_without_enough_authority_cannot_approve() {
        let p = policy();
        let (author, submitter) = (UserId::new(), UserId::new());
        let mut s = Signoff::new(&p, author, submitter, Pence::new(500_001), Pence::new(0));
        assert_eq!(s.required, [Role::GroupManager]);
        assert!(s.approve(&p, author, Role::HeadOfService).unwrap_err().contains("wrote or submitted"));
        assert!(s.approve(&p, submitter, Role::HeadOfService).is_err());
        let e = s.approve(&p, UserId::new(), Role::TeamManager).unwrap_err();
        assert_eq!(e, "a team manager cannot approve this plan: it needs group manager");
        assert!(s.approve(&p, UserId::new(), Role::NhsBudgetLead).is_err(), "the NHS signs health money only");
        s.approve(&p, UserId::new(), Role::HeadOfService).unwrap();
        assert!(s.complete(), "a higher authority may sign off less");
    }

    fn item(cost: i64) -> SupportItem {
        SupportItem {
            what: "Short breaks".into(),
            provided_by: "Bright Days Care".into(),
            unit_cost: Pence::new(cost),
            units_hundredths: 100,
            frequency: Frequency::Monthly,
            stream: "social_care".into(),
            route: ManagementRoute::DirectPayment,
            isf_holder: None,
            provider: None,
            personal_assistant: None,
        }
    }

    fn keyed(key: &str, cost: i64) -> PlanItem {
        PlanItem { key: key.into(), item: item(cost) }
    }

    #[test]
    fn two_versions_compare_item_by_item() {
        let old = vec![keyed("a", 10_000), keyed("b", 5_000)];
        let new = vec![keyed("a", 12_000), keyed("c", 1_000)];
        assert_eq!(
            compare_items(&old, &new),
            [
                ItemChange::Changed { key: "a".into(), fields: vec!["unit_cost", "annual_cost"] },
                ItemChange::Removed { key: "b".into() },
                ItemChange::Added { key: "c".into() },
            ]
        );
        assert!(compare_items(&old, &old).is_empty());
        assert!(PlanStatus::Draft.is_editable() && !PlanStatus::Submitted.is_editable());
    }
}
