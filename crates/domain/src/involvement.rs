//! An organisation's involvement with a child: a school placement, an ISF
//! held by a provider or school, a commissioned service, NHS funding. It is
//! what gives the organisation's staff access to the child's record, for as
//! long as it lasts.

use crate::access::InvolvementKind;
use crate::dates::parse_date;
use crate::ids::{AreaId, ChildId, InvolvementId, OrganisationId};
use crate::invalid::Invalid;
use crate::text::Actor;
use jiff::civil::Date;

/// An involvement as supplied.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvolvementForm {
    pub organisation_id: Option<String>,
    pub kind: Option<String>,
    pub from: Option<String>,
}

/// An involvement's details, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvolvementDetails {
    pub organisation_id: OrganisationId,
    pub kind: InvolvementKind,
    pub from: Date,
}

impl InvolvementForm {
    pub fn parse(&self) -> Result<InvolvementDetails, Invalid> {
        let mut inv = Invalid::default();
        let field = |v: &Option<String>| v.clone().unwrap_or_default();
        let organisation_id = inv.check("organisation_id", field(&self.organisation_id).parse::<OrganisationId>());
        let kind = inv.check("kind", InvolvementKind::parse(&field(&self.kind)));
        let from = inv.check("from", parse_date(&field(&self.from)));
        inv.finish(|| InvolvementDetails {
            organisation_id: organisation_id.expect("checked"),
            kind: kind.expect("checked"),
            from: from.expect("checked"),
        })
    }
}

/// An involvement as stored. Ending it records the first day it no longer
/// applies; it is never deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Involvement {
    pub id: InvolvementId,
    pub area_id: AreaId,
    pub child_id: ChildId,
    pub details: InvolvementDetails,
    pub until: Option<Date>,
    pub recorded_by: Actor,
}

impl Involvement {
    /// Whether it applies on `day`.
    pub fn is_active(&self, day: Date) -> bool {
        self.details.from <= day && self.until.is_none_or(|u| day < u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn an_ended_involvement_stops_on_its_end_date() {
        let i = Involvement {
            id: InvolvementId::new(),
            area_id: AreaId::new(),
            child_id: ChildId::new(),
            details: InvolvementDetails {
                organisation_id: OrganisationId::new(),
                kind: InvolvementKind::SchoolPlacement,
                from: date(2026, 9, 1),
            },
            until: Some(date(2027, 7, 23)),
            recorded_by: Actor::parse("test").unwrap(),
        };
        assert!(!i.is_active(date(2026, 8, 31)));
        assert!(i.is_active(date(2026, 9, 1)));
        assert!(i.is_active(date(2027, 7, 22)));
        assert!(!i.is_active(date(2027, 7, 23)));
    }

    #[test]
    fn every_field_is_checked() {
        let e = InvolvementForm { kind: Some("friend".into()), ..Default::default() }.parse().unwrap_err();
        assert_eq!(e.fields(), ["organisation_id", "kind", "from"]);
    }
}
