//! Delegated authority: who may sign off how much. An area publishes a
//! delegation policy (a TOML file, versioned like the allocation policy):
//!
//! ```toml
//! [[limit]]
//! role = "team_manager"
//! max_annual_amount = "5000.00"
//! [[limit]]
//! role = "group_manager"
//! max_annual_amount = "20000.00"
//! [[limit]]
//! role = "head_of_service"        # no maximum
//! [nhs]
//! role = "nhs_budget_lead"        # signs off any health-stream money
//! ```
//!
//! A plan goes to the lowest role whose limit covers its annual total of
//! council money (a total exactly equal to a limit is within it); health
//! money also needs the NHS role. Whoever wrote or submitted a plan cannot
//! approve it.

use crate::access::Role;
use crate::ids::UserId;
use crate::money::Pence;
use crate::ras::policy::{PolicyError, Problems};
use serde::Deserialize;
use toml::Spanned;

/// One rung of authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Limit {
    pub role: Role,
    /// The largest annual total this role may sign off; `None`: any.
    pub max_annual: Option<Pence>,
}

/// A checked delegation policy: limits rising, the last without a maximum
/// (so every plan has someone who can sign it off).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DelegationPolicy {
    pub limits: Vec<Limit>,
    /// Signs off health-stream money.
    pub nhs_role: Role,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    limit: Vec<Spanned<RawLimit>>,
    nhs: Spanned<RawNhs>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimit {
    role: String,
    max_annual_amount: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNhs {
    role: String,
}

/// Roles that can hold delegated authority over council money.
fn signs_off_council_money(role: Role) -> bool {
    matches!(role, Role::TeamManager | Role::GroupManager | Role::HeadOfService)
}

impl DelegationPolicy {
    /// Parses and checks a delegation policy, reporting every problem with
    /// its line.
    pub fn parse(text: &str) -> Result<DelegationPolicy, Vec<PolicyError>> {
        let raw: RawFile = toml::from_str(text).map_err(|e| Problems::unreadable(text, e))?;
        let mut p = Problems::new(text);
        let mut limits: Vec<Limit> = Vec::new();
        for (i, spanned) in raw.limit.iter().enumerate() {
            let at = spanned.span().start;
            let l = spanned.get_ref();
            let role = match Role::parse(&l.role) {
                Ok(r) if signs_off_council_money(r) => Some(r),
                Ok(r) => {
                    p.at(
                        at,
                        format!("a {} cannot hold delegated authority over council money", r.label().to_lowercase()),
                    );
                    None
                }
                Err(e) => {
                    p.at(at, e);
                    None
                }
            };
            let max = match &l.max_annual_amount {
                None => None,
                Some(text) => match Pence::parse(text) {
                    Ok(m) if m.pence() > 0 => Some(m),
                    Ok(_) => {
                        p.at(at, "max_annual_amount must be more than £0.00");
                        continue;
                    }
                    Err(e) => {
                        p.at(at, format!("max_annual_amount: {e}"));
                        continue;
                    }
                },
            };
            let last = i + 1 == raw.limit.len();
            if max.is_none() && !last {
                p.at(at, "only the last limit can have no maximum");
            }
            if max.is_some() && last {
                p.at(at, "the last limit must have no maximum, so every plan has someone who can sign it off");
            }
            if let (Some(prev), Some(m)) = (limits.last().and_then(|l| l.max_annual), max)
                && m <= prev
            {
                p.at(at, format!("limits must rise: {m} is not more than the one before ({prev})"));
            }
            let Some(role) = role else { continue };
            if limits.iter().any(|l| l.role == role) {
                p.at(at, format!("{role} has two limits"));
            }
            limits.push(Limit { role, max_annual: max });
        }
        if raw.limit.is_empty() {
            p.at(0, "name at least one [[limit]]");
        }
        let nhs_role = match Role::parse(&raw.nhs.get_ref().role) {
            Ok(r) if !r.is_family() => Some(r),
            Ok(_) => {
                p.at(raw.nhs.span().start, "a family member cannot sign off health money");
                None
            }
            Err(e) => {
                p.at(raw.nhs.span().start, e);
                None
            }
        };
        match nhs_role {
            Some(nhs_role) if p.list.is_empty() => Ok(DelegationPolicy { limits, nhs_role }),
            _ => Err(p.list),
        }
    }

    /// The lowest role whose limit covers `council_total`.
    pub fn council_approver(&self, council_total: Pence) -> Role {
        self.limits
            .iter()
            .find(|l| l.max_annual.is_none_or(|max| council_total <= max))
            .map(|l| l.role)
            .expect("the last limit has no maximum")
    }

    /// Who must approve a plan with these annual totals: the council's
    /// approver when there is council money, and the NHS role when there is
    /// health money (an integrated plan needs both).
    pub fn approvers(&self, council_total: Pence, health_total: Pence) -> Vec<Role> {
        let mut roles = Vec::new();
        if council_total.pence() > 0 {
            roles.push(self.council_approver(council_total));
        }
        if health_total.pence() > 0 {
            roles.push(self.nhs_role);
        }
        roles
    }

    /// Whether `role` may sign off `council_total` of council money: its own
    /// limit covers it (a higher authority may sign off a smaller plan).
    pub fn covers(&self, role: Role, council_total: Pence) -> bool {
        self.limits.iter().any(|l| l.role == role && l.max_annual.is_none_or(|max| council_total <= max))
    }
}

/// A published delegation policy: versions count up from 1 per area; the
/// exact text is kept, and the latest is in force.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PublishedDelegation {
    pub version: i64,
    pub policy: DelegationPolicy,
    pub content: String,
    pub content_hash: String,
    pub published_at: jiff::Timestamp,
    pub published_by: crate::text::Actor,
}

/// Four eyes: whoever wrote or submitted a plan cannot approve it.
pub fn four_eyes(approver: UserId, writers: &[UserId]) -> Result<(), &'static str> {
    if writers.contains(&approver) {
        Err("whoever wrote or submitted a plan cannot approve it: someone else must")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
[[limit]]
role = "team_manager"
max_annual_amount = "5000.00"
[[limit]]
role = "group_manager"
max_annual_amount = "20000.00"
[[limit]]
role = "head_of_service"        # no maximum
[nhs]
role = "nhs_budget_lead"        # signs off any health-stream money
"#;

    fn pounds(p: &str) -> Pence {
        Pence::parse(p).unwrap()
    }

    #[test]
    fn a_plan_goes_to_the_lowest_role_whose_limit_covers_it() {
        let d = DelegationPolicy::parse(EXAMPLE).unwrap();
        assert_eq!(d.council_approver(pounds("0.01")), Role::TeamManager);
        assert_eq!(d.council_approver(pounds("5000.00")), Role::TeamManager, "exactly the limit is within it");
        assert_eq!(d.council_approver(pounds("5000.01")), Role::GroupManager);
        assert_eq!(d.council_approver(pounds("20000.00")), Role::GroupManager);
        assert_eq!(d.council_approver(pounds("20000.01")), Role::HeadOfService);
        assert_eq!(d.council_approver(pounds("9999999.99")), Role::HeadOfService);
    }

    #[test]
    fn health_money_also_needs_the_nhs_role() {
        let d = DelegationPolicy::parse(EXAMPLE).unwrap();
        assert_eq!(d.approvers(pounds("4000"), pounds("0")), [Role::TeamManager]);
        assert_eq!(d.approvers(pounds("4000"), pounds("12000")), [Role::TeamManager, Role::NhsBudgetLead]);
        assert_eq!(d.approvers(pounds("0"), pounds("12000")), [Role::NhsBudgetLead]);
    }

    #[test]
    fn a_higher_authority_may_sign_off_a_smaller_plan_but_not_the_reverse() {
        let d = DelegationPolicy::parse(EXAMPLE).unwrap();
        assert!(d.covers(Role::HeadOfService, pounds("100")));
        assert!(d.covers(Role::GroupManager, pounds("5000.01")));
        assert!(!d.covers(Role::TeamManager, pounds("5000.01")));
        assert!(!d.covers(Role::Caseworker, pounds("1")));
    }

    #[test]
    fn the_author_or_submitter_cannot_approve() {
        let (a, b, c) = (UserId::new(), UserId::new(), UserId::new());
        assert!(four_eyes(c, &[a, b]).is_ok());
        assert!(four_eyes(a, &[a, b]).is_err());
        assert!(four_eyes(b, &[a, b]).is_err());
    }

    #[test]
    fn a_broken_policy_names_every_problem_by_line() {
        let broken = r#"[[limit]]
role = "caseworker"
max_annual_amount = "5000.00"
[[limit]]
role = "group_manager"
max_annual_amount = "4000.001"
[[limit]]
role = "head_of_service"
max_annual_amount = "3000.00"
[nhs]
role = "parent_carer"
"#;
        let errors = DelegationPolicy::parse(broken).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [1, 4, 7, 10], "{errors:?}");
        assert!(errors[0].message.contains("caseworker"), "{errors:?}");
        assert!(errors[1].message.contains("max_annual_amount"), "{errors:?}");
        assert!(errors[2].message.contains("no maximum"), "{errors:?}");
        let falling = EXAMPLE.replace("20000.00", "4000.00");
        let errors = DelegationPolicy::parse(&falling).unwrap_err();
        assert!(errors[0].message.contains("must rise"), "{errors:?}");
        assert!(DelegationPolicy::parse("[nhs]\nrole = \"nhs_budget_lead\"\nlimit = []\n").is_err());
        let unknown = DelegationPolicy::parse(&format!("{EXAMPLE}\nextra = 1\n")).unwrap_err();
        assert_eq!(unknown.len(), 1);
    }
}
