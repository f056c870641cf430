//! Consent to share information: who agreed to share what, with which
//! organisation, from when, and whether (and when) it was withdrawn.

use crate::dates::parse_date;
use crate::ids::{AreaId, ChildId, ConsentId, FamilyMemberId, OrganisationId};
use crate::text::Actor;
use crate::{Invalid, code_list};
use jiff::Timestamp;
use jiff::civil::Date;

code_list!(
    /// Which part of the child's information may be shared.
    SharedInformation, "information shared" {
        Education = "education", "Education information";
        Health = "health", "Health information";
        SocialCare = "social_care", "Social care information";
        WholeRecord = "whole_record", "The whole record";
    }
);

/// Who gave consent: a family member with parental responsibility, or the
/// young person themself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentGiver {
    FamilyMember(FamilyMemberId),
    YoungPerson,
}

impl ConsentGiver {
    /// `young_person`, or the family member's id.
    pub fn parse(input: &str) -> Result<ConsentGiver, &'static str> {
        match input.trim() {
            "young_person" => Ok(ConsentGiver::YoungPerson),
            s => s
                .parse()
                .map(ConsentGiver::FamilyMember)
                .map_err(|_| "consent is given by 'young_person' or a family member's id"),
        }
    }
}

impl std::fmt::Display for ConsentGiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConsentGiver::FamilyMember(id) => id.fmt(f),
            ConsentGiver::YoungPerson => f.write_str("young_person"),
        }
    }
}

/// A consent as supplied, not yet checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentForm {
    pub given_by: Option<String>,
    pub organisation_id: Option<String>,
    pub shares: Option<String>,
    pub given_on: Option<String>,
}

/// A consent's details, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentDetails {
    pub given_by: ConsentGiver,
    pub organisation_id: OrganisationId,
    pub shares: SharedInformation,
    pub given_on: Date,
}

impl ConsentForm {
    /// Checks the form; consent cannot be dated in the future.
    pub fn parse(&self, today: Date) -> Result<ConsentDetails, Invalid> {
        let mut inv = Invalid::default();
        let field = |v: &Option<String>| v.clone().unwrap_or_default();
        let given_by = inv.check("given_by", ConsentGiver::parse(&field(&self.given_by)));
        let organisation_id = inv.check("organisation_id", field(&self.organisation_id).parse::<OrganisationId>());
        let shares = inv.check("shares", SharedInformation::parse(&field(&self.shares)));
        let given_on = inv.check("given_on", parse_date(&field(&self.given_on))).and_then(|d| {
            inv.check("given_on", if d > today { Err("consent cannot be given in the future") } else { Ok(d) })
        });
        inv.finish(|| ConsentDetails {
            given_by: given_by.expect("checked"),
            organisation_id: organisation_id.expect("checked"),
            shares: shares.expect("checked"),
            given_on: given_on.expect("checked"),
        })
    }
}

/// A consent as stored. Withdrawal is recorded, never deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub id: ConsentId,
    pub area_id: AreaId,
    pub child_id: ChildId,
    pub details: ConsentDetails,
    pub recorded_at: Timestamp,
    pub recorded_by: Actor,
    pub withdrawn_at: Option<Timestamp>,
    pub withdrawn_by: Option<Actor>,
}

impl Consent {
    /// Whether the consent lets information be shared at `now`. Withdrawal
    /// takes effect from the instant it is recorded.
    pub fn is_active(&self, now: Timestamp, today: Date) -> bool {
        self.details.given_on <= today && self.withdrawn_at.is_none_or(|w| now < w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn withdrawal_takes_effect_at_once() {
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let mut c = Consent {
            id: ConsentId::new(),
            area_id: AreaId::new(),
            child_id: ChildId::new(),
            details: ConsentDetails {
                given_by: ConsentGiver::YoungPerson,
                organisation_id: OrganisationId::new(),
                shares: SharedInformation::Health,
                given_on: date(2026, 1, 5),
            },
            recorded_at: t0,
            recorded_by: Actor::parse("test").unwrap(),
            withdrawn_at: None,
            withdrawn_by: None,
        };
        let today = date(2027, 1, 15);
        assert!(c.is_active(t0, today));
        assert!(!c.is_active(t0, date(2026, 1, 4)), "not before it was given");
        c.withdrawn_at = Some(t0);
        assert!(!c.is_active(t0, today), "not from the instant of withdrawal");
        assert!(c.is_active(t0 - jiff::SignedDuration::from_millis(1), today), "but was active just before");
    }

    #[test]
    fn a_consent_form_reports_each_bad_field() {
        let f = ConsentForm {
            given_by: Some("someone".into()),
            organisation_id: Some("nope".into()),
            shares: Some("everything".into()),
            given_on: Some("2030-01-01".into()),
        };
        let fields: Vec<_> = f.parse(date(2026, 11, 22)).unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["given_by", "organisation_id", "shares", "given_on"]);
    }
}
