//! A plan's life: draft, submitted, approved by everyone it needs, agreed
//! when the family co-signs; declined or returned with reasons. A
//! submitted version is frozen: any change makes a new version.

use crate::access::Role;
use crate::code_list;
use crate::ids::{ChildId, UserId};
use crate::invalid::Invalid;
use crate::money::Pence;
use crate::pathway::content::PlanContent;
use crate::pathway::content::PlanItem;
use crate::pathway::delegation::{DelegationPolicy, four_eyes};
use crate::text::optional_text;

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
    /// Everyone who wrote or submitted it (four eyes keeps them out).
    pub writers: Vec<UserId>,
    pub council_total: Pence,
    /// The roles whose approval is needed (from the delegation policy).
    pub required: Vec<Role>,
    /// Approvals so far: the role each stood in, and who.
    pub approvals: Vec<(Role, UserId)>,
}

impl Signoff {
    /// A version submitted with these totals under `policy`.
    pub fn new(policy: &DelegationPolicy, writers: Vec<UserId>, council: Pence, health: Pence) -> Signoff {
        Signoff { writers, council_total: council, required: policy.approvers(council, health), approvals: Vec::new() }
    }

    /// The outstanding approval `decider`, in `role`, may give: refused
    /// when they wrote or submitted the plan, when they have approved it
    /// already, or when their role's authority does not cover it.
    pub fn stands_for(&self, policy: &DelegationPolicy, decider: UserId, role: Role) -> Result<Role, String> {
        four_eyes(decider, &self.writers)?;
        if self.approvals.iter().any(|(_, who)| *who == decider) {
            return Err("you have already approved this plan".into());
        }
        let outstanding: Vec<Role> =
            self.required.iter().copied().filter(|r| !self.approvals.iter().any(|(given, _)| given == r)).collect();
        let stands_for = outstanding.iter().copied().find(|needed| {
            if *needed == policy.nhs_role { role == policy.nhs_role } else { policy.covers(role, self.council_total) }
        });
        match stands_for {
            Some(needed) => Ok(needed),
            None if outstanding.is_empty() => Err("this plan has every approval it needs".into()),
            None => Err(format!(
                "a {} cannot decide on this plan: it needs {}",
                role.label().to_lowercase(),
                outstanding.iter().map(|r| r.label().to_lowercase()).collect::<Vec<_>>().join(" and ")
            )),
        }
    }

    /// Records an approval by `approver`, in `role`.
    pub fn approve(&mut self, policy: &DelegationPolicy, approver: UserId, role: Role) -> Result<(), String> {
        let needed = self.stands_for(policy, approver, role)?;
        self.approvals.push((needed, approver));
        Ok(())
    }

    /// Whether every required approval has been given.
    pub fn complete(&self) -> bool {
        self.required.iter().all(|r| self.approvals.iter().any(|(given, _)| given == r))
    }
}

code_list!(
    /// What someone decided or signed on a version.
    DecisionKind, "decision" {
        Approve = "approve", "Approved";
        Decline = "decline", "Declined";
        Return = "return", "Returned for changes";
        /// The family co-signs an approved plan: it is then agreed.
        CoSign = "co_sign", "Co-signed by the family";
        /// Someone countersigns how the child keeps safe.
        RiskCountersign = "risk_countersign", "Countersigned how I keep safe";
    }
);

/// One decision or signature on a version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlanDecision {
    pub kind: DecisionKind,
    pub by: UserId,
    pub by_name: String,
    pub role: Role,
    /// For an approval: the required role it stands in.
    pub stands_for: Option<Role>,
    pub reason: Option<String>,
    /// A signature recorded by staff for a family member who signed on paper.
    pub signed_for: Option<String>,
    pub at: jiff::Timestamp,
}

/// What a version was submitted with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Submission {
    pub by: UserId,
    pub at: jiff::Timestamp,
    pub delegation_version: i64,
    pub required: Vec<Role>,
    pub council_total: Pence,
    pub health_total: Pence,
    /// The indicative amount per stream the plan was compared with.
    pub indicative: std::collections::BTreeMap<String, Pence>,
}

/// One version of a child's support plan.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlanVersion {
    pub child_id: ChildId,
    pub version: i64,
    pub status: PlanStatus,
    pub content: PlanContent,
    /// Everyone who saved this version while it was a draft.
    pub authors: Vec<UserId>,
    pub submission: Option<Submission>,
    pub decisions: Vec<PlanDecision>,
    /// Guards updates: a stale write is refused.
    pub row_version: i64,
    pub updated_at: jiff::Timestamp,
}

/// A decision as a person sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionForm {
    pub version: Option<i64>,
    pub decision: Option<String>,
    pub reason: Option<String>,
    /// For staff recording a paper signature: the family member who signed.
    pub signed_for: Option<String>,
}

/// Who is deciding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decider {
    pub user: UserId,
    pub name: String,
    pub role: Role,
}

impl PlanVersion {
    /// The day (in England) an agreed version was agreed: its last
    /// decision, the family's co-signature, made it so.
    pub fn agreed_on(&self) -> Option<jiff::civil::Date> {
        if self.status != PlanStatus::Agreed {
            return None;
        }
        self.decisions.last().map(|d| crate::dates::date_in_england(d.at))
    }

    /// The sign-off as it stands, once submitted.
    pub fn signoff(&self) -> Option<Signoff> {
        let s = self.submission.as_ref()?;
        let mut writers = self.authors.clone();
        writers.push(s.by);
        Some(Signoff {
            writers,
            council_total: s.council_total,
            required: s.required.clone(),
            approvals: self
                .decisions
                .iter()
                .filter(|d| d.kind == DecisionKind::Approve)
                .filter_map(|d| Some((d.stands_for?, d.by)))
                .collect(),
        })
    }

    /// Checks a decision on this version by `decider` under the policy it
    /// was submitted with; gives the decision to record and the version's
    /// status after it.
    pub fn decide(
        &self,
        form: &DecisionForm,
        policy: &DelegationPolicy,
        decider: &Decider,
        at: jiff::Timestamp,
    ) -> Result<(PlanDecision, PlanStatus), Invalid> {
        let kind =
            DecisionKind::parse(form.decision.as_deref().unwrap_or("")).map_err(|e| Invalid::one("decision", e))?;
        let reason = optional_text(form.reason.as_deref(), 2_000).map_err(|e| Invalid::one("reason", e))?;
        let signed_for = optional_text(form.signed_for.as_deref(), 100).map_err(|e| Invalid::one("signed_for", e))?;
        let refuse = |message: String| Invalid::one("decision", message);
        let mut decision = PlanDecision {
            kind,
            by: decider.user,
            by_name: decider.name.clone(),
            role: decider.role,
            stands_for: None,
            reason,
            signed_for,
            at,
        };
        let family = decider.role.is_family();
        if !family && decision.signed_for.is_none() && matches!(kind, DecisionKind::CoSign) {
            return Err(Invalid::one("signed_for", "staff record a family member's signature: name who signed"));
        }
        if family && decision.signed_for.is_some() {
            return Err(Invalid::one("signed_for", "sign for yourself"));
        }
        let status = match kind {
            DecisionKind::Approve | DecisionKind::Decline | DecisionKind::Return => {
                if self.status != PlanStatus::Submitted {
                    return Err(refuse(format!(
                        "this version is {}, not waiting for sign-off",
                        self.status.label().to_lowercase()
                    )));
                }
                let mut signoff = self.signoff().expect("a submitted version has its submission");
                let stands_for = signoff.stands_for(policy, decider.user, decider.role).map_err(refuse)?;
                if kind != DecisionKind::Approve && decision.reason.is_none() {
                    return Err(Invalid::one("reason", "give the reasons: the family will read them"));
                }
                match kind {
                    DecisionKind::Approve => {
                        decision.stands_for = Some(stands_for);
                        signoff.approvals.push((stands_for, decider.user));
                        if signoff.complete() { PlanStatus::Approved } else { PlanStatus::Submitted }
                    }
                    DecisionKind::Decline => PlanStatus::Declined,
                    _ => PlanStatus::Returned,
                }
            }
            DecisionKind::CoSign => {
                if self.status != PlanStatus::Approved {
                    return Err(refuse("the family co-signs a plan once it is approved".into()));
                }
                PlanStatus::Agreed
            }
            DecisionKind::RiskCountersign => {
                if self.content.keeping_safe.is_empty() {
                    return Err(refuse("this version has nothing under how I keep safe to countersign".into()));
                }
                if self.status == PlanStatus::Draft {
                    return Err(refuse("countersign a submitted version: a draft can still change".into()));
                }
                if self.decisions.iter().any(|d| {
                    d.kind == DecisionKind::RiskCountersign
                        && d.by == decider.user
                        && d.signed_for == decision.signed_for
                }) {
                    return Err(refuse("already countersigned".into()));
                }
                self.status
            }
        };
        Ok((decision, status))
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
        let mut s = Signoff::new(&p, vec![author, submitter], Pence::from_pounds(4_000), Pence::from_pounds(9_000));
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
        let mut s = Signoff::new(&p, vec![author, submitter], Pence::new(500_001), Pence::new(0));
        assert_eq!(s.required, [Role::GroupManager]);
        assert!(s.approve(&p, author, Role::HeadOfService).unwrap_err().contains("wrote or submitted"));
        assert!(s.approve(&p, submitter, Role::HeadOfService).is_err());
        let e = s.approve(&p, UserId::new(), Role::TeamManager).unwrap_err();
        assert_eq!(e, "a team manager cannot decide on this plan: it needs group manager");
        assert!(s.approve(&p, UserId::new(), Role::NhsBudgetLead).is_err(), "the NHS signs health money only");
        s.approve(&p, UserId::new(), Role::HeadOfService).unwrap();
        assert!(s.complete(), "a higher authority may sign off less");
    }

    fn submitted(council: i64, health: i64, author: UserId, submitter: UserId) -> PlanVersion {
        let p = policy();
        PlanVersion {
            child_id: ChildId::new(),
            version: 2,
            status: PlanStatus::Submitted,
            content: PlanContent {
                keeping_safe: vec![crate::pathway::content::KeepingSafe {
                    risk: "Road".into(),
                    reduced_by: "Hand held".into(),
                }],
                ..PlanContent::default()
            },
            authors: vec![author],
            submission: Some(Submission {
                by: submitter,
                at: jiff::Timestamp::UNIX_EPOCH,
                delegation_version: 1,
                required: p.approvers(Pence::new(council), Pence::new(health)),
                council_total: Pence::new(council),
                health_total: Pence::new(health),
                indicative: Default::default(),
            }),
            decisions: vec![],
            row_version: 1,
            updated_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    fn form(decision: &str, reason: Option<&str>) -> DecisionForm {
        DecisionForm {
            version: Some(2),
            decision: Some(decision.into()),
            reason: reason.map(Into::into),
            signed_for: None,
        }
    }

    fn who(role: Role) -> Decider {
        Decider { user: UserId::new(), name: role.label().into(), role }
    }

    /// Applies a decision as the store would.
    fn apply(v: &mut PlanVersion, f: &DecisionForm, d: &Decider) -> Result<PlanStatus, Invalid> {
        let (decision, status) = v.decide(f, &policy(), d, jiff::Timestamp::UNIX_EPOCH)?;
        v.decisions.push(decision);
        v.status = status;
        Ok(status)
    }

    #[test]
    fn a_plan_is_agreed_after_every_approval_and_the_familys_signature() {
        let (author, submitter) = (UserId::new(), UserId::new());
        let mut v = submitted(500_000, 100, author, submitter);
        let writer = Decider { user: author, name: "Asha".into(), role: Role::TeamManager };
        assert_eq!(apply(&mut v, &form("approve", None), &writer).unwrap_err().fields(), ["decision"]);
        assert_eq!(apply(&mut v, &form("co_sign", None), &who(Role::ParentCarer)).unwrap_err().fields(), ["decision"]);
        assert_eq!(
            apply(&mut v, &form("approve", None), &who(Role::TeamManager)),
            Ok(PlanStatus::Submitted),
            "£5,000.00 exactly is within the limit"
        );
        assert_eq!(apply(&mut v, &form("approve", None), &who(Role::NhsBudgetLead)), Ok(PlanStatus::Approved));
        assert_eq!(v.decisions[1].stands_for, Some(Role::NhsBudgetLead));
        let staff = apply(&mut v, &form("co_sign", None), &who(Role::Caseworker)).unwrap_err();
        assert_eq!(staff.fields(), ["signed_for"]);
        assert_eq!(apply(&mut v, &form("co_sign", None), &who(Role::ParentCarer)), Ok(PlanStatus::Agreed));
        assert_eq!(apply(&mut v, &form("risk_countersign", None), &who(Role::ParentCarer)), Ok(PlanStatus::Agreed));
    }

    #[test]
    fn declining_or_returning_needs_reasons_and_the_authority_to_decide() {
        let mut v = submitted(500_001, 0, UserId::new(), UserId::new());
        assert_eq!(
            apply(&mut v, &form("decline", Some("Too much")), &who(Role::TeamManager)).unwrap_err().fields(),
            ["decision"]
        );
        let gm = who(Role::GroupManager);
        assert_eq!(apply(&mut v, &form("return", Some("  ")), &gm).unwrap_err().fields(), ["reason"]);
        assert_eq!(apply(&mut v, &form("return", Some("Add the respite costs")), &gm), Ok(PlanStatus::Returned));
        assert_eq!(
            apply(&mut v, &form("approve", None), &who(Role::HeadOfService)).unwrap_err().fields(),
            ["decision"],
            "returned: no longer waiting"
        );
        let mut v = submitted(100, 0, UserId::new(), UserId::new());
        assert_eq!(
            apply(&mut v, &form("decline", Some("Needs met by the school")), &who(Role::TeamManager)),
            Ok(PlanStatus::Declined)
        );
        assert_eq!(apply(&mut v, &form("maybe", None), &who(Role::TeamManager)).unwrap_err().fields(), ["decision"]);
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
