//! Turning database rows back into domain types. A value that no longer
//! parses is reported as corrupt data, naming the table and column, never
//! passed on half-checked.

use crate::{StoreError, StoreResult};
use allot_domain::child::{Child, ChildDetails, EhcPlanStatus, PrimaryNeed, Sex};
use allot_domain::consent::{Consent, ConsentDetails, ConsentGiver, SharedInformation};
use allot_domain::dates::parse_date;
use allot_domain::family::{ContactMethod, FamilyMember, FamilyMemberDetails, Relationship};
use allot_domain::organisation::{Area, Organisation, OrganisationKind};
use allot_domain::professional::{LeadAssignment, Professional, ProfessionalRole};
use allot_domain::{Actor, AreaCode, ChildReference, Name, NhsNumber, Postcode, Stamp, Upn};
use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::fmt::Display;

/// A value to bind to a statement.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Text(s.to_owned())
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Text(s)
    }
}
impl From<Option<String>> for Arg {
    fn from(s: Option<String>) -> Arg {
        Arg::OptText(s)
    }
}
impl From<i64> for Arg {
    fn from(n: i64) -> Arg {
        Arg::Int(n)
    }
}
impl From<bool> for Arg {
    fn from(b: bool) -> Arg {
        Arg::Int(i64::from(b))
    }
}
impl From<Timestamp> for Arg {
    fn from(t: Timestamp) -> Arg {
        Arg::Int(t.as_millisecond())
    }
}
impl From<Option<Timestamp>> for Arg {
    fn from(t: Option<Timestamp>) -> Arg {
        Arg::OptInt(t.map(|t| t.as_millisecond()))
    }
}

/// Reads typed values out of one row of `table`.
pub(crate) struct Reader<'r> {
    pub row: &'r AnyRow,
    pub table: &'static str,
}

impl Reader<'_> {
    pub fn corrupt(&self, column: &str, why: impl Display) -> StoreError {
        StoreError::Corrupt(format!("{}.{column}: {why}", self.table))
    }

    pub fn text(&self, column: &str) -> StoreResult<String> {
        self.row.try_get::<String, _>(column).map_err(|e| self.corrupt(column, e))
    }

    pub fn opt_text(&self, column: &str) -> StoreResult<Option<String>> {
        self.row.try_get::<Option<String>, _>(column).map_err(|e| self.corrupt(column, e))
    }

    pub fn int(&self, column: &str) -> StoreResult<i64> {
        self.row.try_get::<i64, _>(column).map_err(|e| self.corrupt(column, e))
    }

    pub fn opt_int(&self, column: &str) -> StoreResult<Option<i64>> {
        self.row.try_get::<Option<i64>, _>(column).map_err(|e| self.corrupt(column, e))
    }

    pub fn flag(&self, column: &str) -> StoreResult<bool> {
        match self.int(column)? {
            0 => Ok(false),
            1 => Ok(true),
            n => Err(self.corrupt(column, format!("{n} is not 0 or 1"))),
        }
    }

    pub fn time(&self, column: &str) -> StoreResult<Timestamp> {
        let ms = self.int(column)?;
        Timestamp::from_millisecond(ms).map_err(|e| self.corrupt(column, e))
    }

    pub fn opt_time(&self, column: &str) -> StoreResult<Option<Timestamp>> {
        self.opt_int(column)?.map(|ms| Timestamp::from_millisecond(ms).map_err(|e| self.corrupt(column, e))).transpose()
    }

    /// Parses a required column with `parse`.
    pub fn parsed<T, E: Display>(&self, column: &str, parse: impl FnOnce(&str) -> Result<T, E>) -> StoreResult<T> {
        let text = self.text(column)?;
        parse(&text).map_err(|e| self.corrupt(column, e))
    }

    /// Parses an optional column with `parse`.
    pub fn opt_parsed<T, E: Display>(
        &self,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> StoreResult<Option<T>> {
        self.opt_text(column)?.map(|text| parse(&text).map_err(|e| self.corrupt(column, e))).transpose()
    }
}

pub(crate) const AREA_COLUMNS: &str = "id, code, name";

pub(crate) fn area(row: &AnyRow) -> StoreResult<Area> {
    let r = Reader { row, table: "areas" };
    Ok(Area {
        id: r.parsed("id", str::parse)?,
        code: r.parsed("code", AreaCode::parse)?,
        name: r.parsed("name", Name::parse)?,
    })
}

pub(crate) const ORGANISATION_COLUMNS: &str = "id, area_id, kind, name, code";

pub(crate) fn organisation(row: &AnyRow) -> StoreResult<Organisation> {
    let r = Reader { row, table: "organisations" };
    Ok(Organisation {
        id: r.parsed("id", str::parse)?,
        area_id: r.parsed("area_id", str::parse)?,
        kind: r.parsed("kind", OrganisationKind::parse)?,
        name: r.parsed("name", Name::parse)?,
        code: r.opt_text("code")?,
    })
}

pub(crate) fn organisation_args(o: &Organisation, stamp: &Stamp) -> Vec<Arg> {
    vec![
        o.id.to_string().into(),
        o.area_id.to_string().into(),
        o.kind.code().into(),
        o.name.to_string().into(),
        o.code.clone().into(),
        stamp.at.into(),
        stamp.by.to_string().into(),
    ]
}

pub(crate) const PROFESSIONAL_COLUMNS: &str = "id, area_id, organisation_id, name, role, team, email";

pub(crate) fn professional(row: &AnyRow) -> StoreResult<Professional> {
    let r = Reader { row, table: "professionals" };
    Ok(Professional {
        id: r.parsed("id", str::parse)?,
        area_id: r.parsed("area_id", str::parse)?,
        organisation_id: r.parsed("organisation_id", str::parse)?,
        name: r.parsed("name", Name::parse)?,
        role: r.parsed("role", ProfessionalRole::parse)?,
        team: r.parsed("team", Name::parse)?,
        email: r.text("email")?,
    })
}

pub(crate) fn professional_args(p: &Professional, stamp: &Stamp) -> Vec<Arg> {
    vec![
        p.id.to_string().into(),
        p.area_id.to_string().into(),
        p.organisation_id.to_string().into(),
        p.name.to_string().into(),
        p.role.code().into(),
        p.team.to_string().into(),
        p.email.clone().into(),
        stamp.at.into(),
        stamp.by.to_string().into(),
    ]
}

pub(crate) const CHILD_COLUMNS: &str = "id, area_id, reference, legal_given_names, legal_family_name, preferred_name, \
     sort_name, date_of_birth, sex, upn, nhs_number, address, postcode, address_protected, primary_need, \
     ehc_plan_status, version, created_at_ms, created_by, updated_at_ms, updated_by";

pub(crate) fn child(row: &AnyRow) -> StoreResult<Child> {
    let r = Reader { row, table: "children" };
    Ok(Child {
        id: r.parsed("id", str::parse)?,
        area_id: r.parsed("area_id", str::parse)?,
        details: ChildDetails {
            reference: r.parsed("reference", ChildReference::parse)?,
            legal_given_names: r.parsed("legal_given_names", Name::parse)?,
            legal_family_name: r.parsed("legal_family_name", Name::parse)?,
            preferred_name: r.opt_parsed("preferred_name", Name::parse)?,
            date_of_birth: r.parsed("date_of_birth", parse_date)?,
            sex: r.parsed("sex", Sex::parse)?,
            upn: r.opt_parsed("upn", Upn::parse)?,
            nhs_number: r.opt_parsed("nhs_number", NhsNumber::parse)?,
            address: r.opt_text("address")?,
            postcode: r.opt_parsed("postcode", Postcode::parse)?,
            address_protected: r.flag("address_protected")?,
            primary_need: r.opt_parsed("primary_need", PrimaryNeed::parse)?,
            ehc_plan_status: r.parsed("ehc_plan_status", EhcPlanStatus::parse)?,
        },
        version: r.int("version")?,
        created_at: r.time("created_at_ms")?,
        created_by: r.parsed("created_by", Actor::parse)?,
        updated_at: r.time("updated_at_ms")?,
        updated_by: r.parsed("updated_by", Actor::parse)?,
    })
}

/// The values for `CHILD_COLUMNS`, in order.
pub(crate) fn child_args(c: &Child, _: &Stamp) -> Vec<Arg> {
    let d = &c.details;
    vec![
        c.id.to_string().into(),
        c.area_id.to_string().into(),
        d.reference.to_string().into(),
        d.legal_given_names.to_string().into(),
        d.legal_family_name.to_string().into(),
        d.preferred_name.as_ref().map(Name::to_string).into(),
        d.name_key().into(),
        d.date_of_birth.to_string().into(),
        d.sex.code().into(),
        d.upn.as_ref().map(Upn::to_string).into(),
        d.nhs_number.as_ref().map(|n| n.digits().to_owned()).into(),
        d.address.clone().into(),
        d.postcode.as_ref().map(Postcode::to_string).into(),
        d.address_protected.into(),
        d.primary_need.map(|n| n.code().to_owned()).into(),
        d.ehc_plan_status.code().into(),
        c.version.into(),
        c.created_at.into(),
        c.created_by.to_string().into(),
        c.updated_at.into(),
        c.updated_by.to_string().into(),
    ]
}

pub(crate) const FAMILY_COLUMNS: &str = "id, area_id, child_id, name, relationship, parental_responsibility, \
     contact_by, email, phone, version, created_at_ms, created_by, updated_at_ms, updated_by";

pub(crate) fn family_member(row: &AnyRow) -> StoreResult<FamilyMember> {
    let r = Reader { row, table: "family_members" };
    Ok(FamilyMember {
        id: r.parsed("id", str::parse)?,
        area_id: r.parsed("area_id", str::parse)?,
        child_id: r.parsed("child_id", str::parse)?,
        details: FamilyMemberDetails {
            name: r.parsed("name", Name::parse)?,
            relationship: r.parsed("relationship", Relationship::parse)?,
            parental_responsibility: r.flag("parental_responsibility")?,
            contact_by: r.parsed("contact_by", ContactMethod::parse)?,
            email: r.opt_text("email")?,
            phone: r.opt_text("phone")?,
        },
        version: r.int("version")?,
        updated_at: r.time("updated_at_ms")?,
        updated_by: r.parsed("updated_by", Actor::parse)?,
    })
}

/// The values for `FAMILY_COLUMNS`; a loaded member's creation is its last update.
pub(crate) fn family_args(m: &FamilyMember, _: &Stamp) -> Vec<Arg> {
    let d = &m.details;
    vec![
        m.id.to_string().into(),
        m.area_id.to_string().into(),
        m.child_id.to_string().into(),
        d.name.to_string().into(),
        d.relationship.code().into(),
        d.parental_responsibility.into(),
        d.contact_by.code().into(),
        d.email.clone().into(),
        d.phone.clone().into(),
        m.version.into(),
        m.updated_at.into(),
        m.updated_by.to_string().into(),
        m.updated_at.into(),
        m.updated_by.to_string().into(),
    ]
}

pub(crate) const CONSENT_COLUMNS: &str = "id, area_id, child_id, given_by_family_member_id, organisation_id, shares, \
     given_on, recorded_at_ms, recorded_by, withdrawn_at_ms, withdrawn_by";

pub(crate) fn consent(row: &AnyRow) -> StoreResult<Consent> {
    let r = Reader { row, table: "consents" };
    let given_by = match r.opt_parsed("given_by_family_member_id", str::parse)? {
        Some(id) => ConsentGiver::FamilyMember(id),
        None => ConsentGiver::YoungPerson,
    };
    Ok(Consent {
        id: r.parsed("id", str::parse)?,
        area_id: r.parsed("area_id", str::parse)?,
        child_id: r.parsed("child_id", str::parse)?,
        details: ConsentDetails {
            given_by,
            organisation_id: r.parsed("organisation_id", str::parse)?,
            shares: r.parsed("shares", SharedInformation::parse)?,
            given_on: r.parsed("given_on", parse_date)?,
        },
        recorded_at: r.time("recorded_at_ms")?,
        recorded_by: r.parsed("recorded_by", Actor::parse)?,
        withdrawn_at: r.opt_time("withdrawn_at_ms")?,
        withdrawn_by: r.opt_parsed("withdrawn_by", Actor::parse)?,
    })
}

pub(crate) fn consent_args(c: &Consent, _: &Stamp) -> Vec<Arg> {
    let d = &c.details;
    let family_member = match d.given_by {
        ConsentGiver::FamilyMember(id) => Some(id.to_string()),
        ConsentGiver::YoungPerson => None,
    };
    vec![
        c.id.to_string().into(),
        c.area_id.to_string().into(),
        c.child_id.to_string().into(),
        family_member.into(),
        d.organisation_id.to_string().into(),
        d.shares.code().into(),
        d.given_on.to_string().into(),
        c.recorded_at.into(),
        c.recorded_by.to_string().into(),
        c.withdrawn_at.into(),
        c.withdrawn_by.as_ref().map(Actor::to_string).into(),
    ]
}

pub(crate) const LEAD_COLUMNS: &str = "id, area_id, child_id, professional_id, from_ms, until_ms, assigned_by, reason";

pub(crate) fn lead_assignment(row: &AnyRow) -> StoreResult<LeadAssignment> {
    let r = Reader { row, table: "lead_assignments" };
    Ok(LeadAssignment {
        area_id: r.parsed("area_id", str::parse)?,
        child_id: r.parsed("child_id", str::parse)?,
        professional_id: r.parsed("professional_id", str::parse)?,
        from: r.time("from_ms")?,
        until: r.opt_time("until_ms")?,
        assigned_by: r.parsed("assigned_by", Actor::parse)?,
        reason: r.text("reason")?,
    })
}

pub(crate) fn lead_args(a: &LeadAssignment, _: &Stamp) -> Vec<Arg> {
    vec![
        // A spell's own id is never shown; it only keys the row.
        uuid::Uuid::new_v4().to_string().into(),
        a.area_id.to_string().into(),
        a.child_id.to_string().into(),
        a.professional_id.to_string().into(),
        a.from.into(),
        a.until.into(),
        a.assigned_by.to_string().into(),
        a.reason.clone().into(),
    ]
}

pub(crate) const POLICY_COLUMNS: &str =
    "id, area_id, policy_id, version, title, effective_from, content, content_hash, published_at_ms, published_by";

pub(crate) fn published_policy(row: &AnyRow) -> StoreResult<allot_domain::ras::PublishedPolicy> {
    let r = Reader { row, table: "ras_policies" };
    let content = r.text("content")?;
    let policy = allot_domain::ras::Policy::parse(&content)
        .map_err(|e| r.corrupt("content", format!("the stored policy no longer parses: {:?}", e.first())))?;
    if policy.content_hash != r.text("content_hash")? {
        return Err(r.corrupt("content_hash", "does not match the stored text"));
    }
    Ok(allot_domain::ras::PublishedPolicy {
        id: r.parsed("id", str::parse)?,
        area_id: r.parsed("area_id", str::parse)?,
        policy,
        content,
        published_at: r.time("published_at_ms")?,
        published_by: r.parsed("published_by", Actor::parse)?,
    })
}

pub(crate) const ALLOCATION_COLUMNS: &str = "id, area_id, child_id, ras_policy_id, calculated_on, answers, current_amounts, \
     result, integrated_pence, recorded_at_ms, recorded_by";

pub(crate) fn allocation(row: &AnyRow) -> StoreResult<allot_domain::ras::StoredAllocation> {
    let r = Reader { row, table: "allocations" };
    let current: std::collections::BTreeMap<String, i64> = r.parsed("current_amounts", |s| serde_json::from_str(s))?;
    Ok(allot_domain::ras::StoredAllocation {
        id: r.parsed("id", str::parse)?,
        area_id: r.parsed("area_id", str::parse)?,
        child_id: r.parsed("child_id", str::parse)?,
        policy: r.parsed("ras_policy_id", str::parse)?,
        calculated_on: r.parsed("calculated_on", parse_date)?,
        answers: r.parsed("answers", |s| serde_json::from_str(s))?,
        current: current.into_iter().map(|(k, v)| (k, allot_domain::Pence::new(v))).collect(),
        streams: r.parsed("result", |s| serde_json::from_str(s))?,
        integrated: allot_domain::Pence::new(r.int("integrated_pence")?),
        recorded_at: r.time("recorded_at_ms")?,
        recorded_by: r.parsed("recorded_by", Actor::parse)?,
    })
}

pub(crate) fn allocation_args(a: &allot_domain::ras::StoredAllocation, _: &Stamp) -> Vec<Arg> {
    let current: std::collections::BTreeMap<&String, i64> = a.current.iter().map(|(k, v)| (k, v.pence())).collect();
    vec![
        a.id.to_string().into(),
        a.area_id.to_string().into(),
        a.child_id.to_string().into(),
        a.policy.to_string().into(),
        a.calculated_on.to_string().into(),
        serde_json::to_string(&a.answers).unwrap_or_default().into(),
        serde_json::to_string(&current).unwrap_or_default().into(),
        serde_json::to_string(&a.streams).unwrap_or_default().into(),
        a.integrated.pence().into(),
        a.recorded_at.into(),
        a.recorded_by.to_string().into(),
    ]
}
