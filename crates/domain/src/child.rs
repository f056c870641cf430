//! The child or young person's record.

use crate::dates::{age_on, parse_date};
use crate::identifiers::{NhsNumber, Postcode, Upn};
use crate::ids::{AreaId, ChildId};
use crate::text::{Actor, ChildReference, Name, optional_text};
use crate::{Invalid, code_list};
use jiff::Timestamp;
use jiff::civil::Date;

code_list!(
    /// The primary type of special educational need, as the SEN2 return
    /// codes it (`DS` was added for the 2025 return).
    PrimaryNeed, "primary need" {
        Asd = "ASD", "Autistic spectrum disorder";
        Slcn = "SLCN", "Speech, language and communication needs";
        Semh = "SEMH", "Social, emotional and mental health";
        Mld = "MLD", "Moderate learning difficulty";
        Sld = "SLD", "Severe learning difficulty";
        Pmld = "PMLD", "Profound and multiple learning difficulty";
        Spld = "SPLD", "Specific learning difficulty";
        Pd = "PD", "Physical disability";
        Hi = "HI", "Hearing impairment";
        Vi = "VI", "Vision impairment";
        Msi = "MSI", "Multi-sensory impairment";
        Ds = "DS", "Down syndrome";
        Oth = "OTH", "Other difficulty or disability";
    }
);

code_list!(
    /// Sex as recorded for statutory returns.
    Sex, "sex" {
        Female = "female", "Female";
        Male = "male", "Male";
        Unknown = "unknown", "Not known";
    }
);

code_list!(
    /// Where the child is in the EHC process.
    EhcPlanStatus, "EHC plan status" {
        /// No EHC plan and no request for one.
        NoPlan = "no_plan", "No EHC plan";
        /// A request for an EHC needs assessment has been received.
        Requested = "requested", "Assessment requested";
        /// The needs assessment is under way.
        Assessing = "assessing", "Being assessed";
        /// A draft plan has been issued for the family's comments.
        Draft = "draft", "Draft plan issued";
        /// The final plan has been issued and is in force.
        Final = "final", "Final plan in force";
        /// The plan has ended.
        Ceased = "ceased", "Plan ceased";
    }
);

/// The oldest age at which a young person can be on Allot's books: EHC
/// plans end at 25.
pub const MAX_AGE_YEARS: u32 = 25;

/// A child's details as a person or a file supplies them: raw text, not yet
/// checked. The field names are the API's JSON keys and the CSV columns.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChildForm {
    pub reference: Option<String>,
    pub legal_given_names: Option<String>,
    pub legal_family_name: Option<String>,
    pub preferred_name: Option<String>,
    pub date_of_birth: Option<String>,
    pub sex: Option<String>,
    pub upn: Option<String>,
    pub nhs_number: Option<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub address_protected: Option<bool>,
    pub primary_need: Option<String>,
    pub ehc_plan_status: Option<String>,
}

/// A child's details, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildDetails {
    pub reference: ChildReference,
    pub legal_given_names: Name,
    pub legal_family_name: Name,
    pub preferred_name: Option<Name>,
    pub date_of_birth: Date,
    pub sex: Sex,
    pub upn: Option<Upn>,
    pub nhs_number: Option<NhsNumber>,
    /// Home address lines (without the postcode).
    pub address: Option<String>,
    pub postcode: Option<Postcode>,
    /// The home address and postcode are protected: shown only to people
    /// whose role needs them (for example where a named person must never
    /// learn where the child lives).
    pub address_protected: bool,
    pub primary_need: Option<PrimaryNeed>,
    pub ehc_plan_status: EhcPlanStatus,
}

fn required<'a>(invalid: &mut Invalid, field: &str, value: &'a Option<String>, what: &str) -> Option<&'a str> {
    match value.as_deref().map(str::trim) {
        None | Some("") => {
            invalid.push(field, format!("enter the {what}"));
            None
        }
        Some(s) => Some(s),
    }
}

fn optional(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ChildForm {
    /// Checks every field, reporting all that are wrong. `today` bounds the
    /// date of birth: not in the future, and no older than 25.
    pub fn parse(&self, today: Date) -> Result<ChildDetails, Invalid> {
        let mut inv = Invalid::default();
        let reference = required(&mut inv, "reference", &self.reference, "child's reference")
            .and_then(|s| inv.check("reference", ChildReference::parse(s)));
        let legal_given_names = required(&mut inv, "legal_given_names", &self.legal_given_names, "legal given names")
            .and_then(|s| inv.check("legal_given_names", Name::parse(s)));
        let legal_family_name = required(&mut inv, "legal_family_name", &self.legal_family_name, "legal family name")
            .and_then(|s| inv.check("legal_family_name", Name::parse(s)));
        let preferred_name = optional(&self.preferred_name).map(|s| inv.check("preferred_name", Name::parse(s)));
        let date_of_birth = required(&mut inv, "date_of_birth", &self.date_of_birth, "date of birth")
            .and_then(|s| inv.check("date_of_birth", parse_date(s)))
            .and_then(|dob| {
                let result = match age_on(dob, today) {
                    None => Err("the date of birth cannot be in the future"),
                    Some(age) if age > MAX_AGE_YEARS => Err("Allot is for children and young people aged 0 to 25"),
                    Some(_) => Ok(dob),
                };
                inv.check("date_of_birth", result)
            });
        let sex = required(&mut inv, "sex", &self.sex, "sex").and_then(|s| inv.check("sex", Sex::parse(s)));
        let upn = optional(&self.upn).map(|s| inv.check("upn", Upn::parse(s)));
        let nhs_number = optional(&self.nhs_number).map(|s| inv.check("nhs_number", NhsNumber::parse(s)));
        let address = inv.check("address", optional_text(self.address.as_deref(), 300)).flatten();
        let postcode = optional(&self.postcode).map(|s| inv.check("postcode", Postcode::parse(s)));
        let primary_need = optional(&self.primary_need).map(|s| inv.check("primary_need", PrimaryNeed::parse(s)));
        let ehc_plan_status = match optional(&self.ehc_plan_status) {
            None => Some(EhcPlanStatus::NoPlan),
            Some(s) => inv.check("ehc_plan_status", EhcPlanStatus::parse(s)),
        };
        let address_protected = self.address_protected.unwrap_or(false);
        if address_protected && address.is_none() && matches!(postcode, None | Some(None)) {
            inv.push("address_protected", "a protected address needs an address or postcode to protect");
        }
        inv.finish(|| ChildDetails {
            reference: reference.expect("checked"),
            legal_given_names: legal_given_names.expect("checked"),
            legal_family_name: legal_family_name.expect("checked"),
            preferred_name: preferred_name.flatten(),
            date_of_birth: date_of_birth.expect("checked"),
            sex: sex.expect("checked"),
            upn: upn.flatten(),
            nhs_number: nhs_number.flatten(),
            address,
            postcode: postcode.flatten(),
            address_protected,
            primary_need: primary_need.flatten(),
            ehc_plan_status: ehc_plan_status.expect("checked"),
        })
    }
}

impl ChildDetails {
    /// The details as a form again (for export, and for edits).
    pub fn to_form(&self) -> ChildForm {
        ChildForm {
            reference: Some(self.reference.to_string()),
            legal_given_names: Some(self.legal_given_names.to_string()),
            legal_family_name: Some(self.legal_family_name.to_string()),
            preferred_name: self.preferred_name.as_ref().map(Name::to_string),
            date_of_birth: Some(self.date_of_birth.to_string()),
            sex: Some(self.sex.code().to_owned()),
            upn: self.upn.as_ref().map(Upn::to_string),
            nhs_number: self.nhs_number.as_ref().map(|n| n.digits().to_owned()),
            address: self.address.clone(),
            postcode: self.postcode.as_ref().map(Postcode::to_string),
            address_protected: Some(self.address_protected),
            primary_need: self.primary_need.map(|n| n.code().to_owned()),
            ehc_plan_status: Some(self.ehc_plan_status.code().to_owned()),
        }
    }

    /// The fields that differ between `self` and `other`, by their form names.
    pub fn changed_fields(&self, other: &ChildDetails) -> Vec<&'static str> {
        let (a, b) = (self.to_form(), other.to_form());
        let pairs: [(&'static str, bool); 13] = [
            ("reference", a.reference != b.reference),
            ("legal_given_names", a.legal_given_names != b.legal_given_names),
            ("legal_family_name", a.legal_family_name != b.legal_family_name),
            ("preferred_name", a.preferred_name != b.preferred_name),
            ("date_of_birth", a.date_of_birth != b.date_of_birth),
            ("sex", a.sex != b.sex),
            ("upn", a.upn != b.upn),
            ("nhs_number", a.nhs_number != b.nhs_number),
            ("address", a.address != b.address),
            ("postcode", a.postcode != b.postcode),
            ("address_protected", a.address_protected != b.address_protected),
            ("primary_need", a.primary_need != b.primary_need),
            ("ehc_plan_status", a.ehc_plan_status != b.ehc_plan_status),
        ];
        pairs.into_iter().filter(|(_, changed)| *changed).map(|(name, _)| name).collect()
    }

    /// The key lists sort and search by name on: lower-case family name,
    /// given names, then any preferred name.
    pub fn name_key(&self) -> String {
        let mut key = format!("{} {}", self.legal_family_name, self.legal_given_names);
        if let Some(p) = &self.preferred_name {
            key.push(' ');
            key.push_str(p.as_str());
        }
        key.to_lowercase()
    }

    /// The name to use when speaking to or about the child.
    pub fn known_as(&self) -> String {
        let given = self.preferred_name.as_ref().unwrap_or(&self.legal_given_names);
        format!("{given} {}", self.legal_family_name)
    }
}

/// A child's record as stored: details plus identity, version and who
/// last changed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Child {
    pub id: ChildId,
    pub area_id: AreaId,
    pub details: ChildDetails,
    /// Starts at 1 and goes up by one with every change; an update must
    /// name the version it was made against (optimistic concurrency).
    pub version: i64,
    pub created_at: Timestamp,
    pub created_by: Actor,
    pub updated_at: Timestamp,
    pub updated_by: Actor,
}

/// A child's record as shown to one person: protected fields are left out
/// unless that person may see them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChildView {
    pub id: ChildId,
    pub reference: ChildReference,
    pub legal_given_names: Name,
    pub legal_family_name: Name,
    pub preferred_name: Option<Name>,
    pub date_of_birth: String,
    pub age: Option<u32>,
    pub sex: Sex,
    pub upn: Option<Upn>,
    pub nhs_number: Option<NhsNumber>,
    pub address: Option<String>,
    pub postcode: Option<Postcode>,
    pub address_protected: bool,
    /// The protected fields left out of this view, if any.
    pub withheld: Vec<&'static str>,
    pub primary_need: Option<PrimaryNeed>,
    pub ehc_plan_status: EhcPlanStatus,
    pub version: i64,
    pub created_at: String,
    pub created_by: Actor,
    pub updated_at: String,
    pub updated_by: Actor,
}

impl Child {
    /// The record as `viewer` may see it on `today`.
    pub fn view(&self, may_see_protected: bool, today: Date) -> ChildView {
        let d = &self.details;
        let hide_address = d.address_protected && !may_see_protected;
        ChildView {
            id: self.id,
            reference: d.reference.clone(),
            legal_given_names: d.legal_given_names.clone(),
            legal_family_name: d.legal_family_name.clone(),
            preferred_name: d.preferred_name.clone(),
            date_of_birth: d.date_of_birth.to_string(),
            age: age_on(d.date_of_birth, today),
            sex: d.sex,
            upn: d.upn.clone(),
            nhs_number: d.nhs_number.clone(),
            address: if hide_address { None } else { d.address.clone() },
            postcode: if hide_address { None } else { d.postcode.clone() },
            address_protected: d.address_protected,
            withheld: if hide_address { vec!["address", "postcode"] } else { Vec::new() },
            primary_need: d.primary_need,
            ehc_plan_status: d.ehc_plan_status,
            version: self.version,
            created_at: self.created_at.to_string(),
            created_by: self.created_by.clone(),
            updated_at: self.updated_at.to_string(),
            updated_by: self.updated_by.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn form() -> ChildForm {
        ChildForm {
            reference: Some("WV-0001".into()),
            legal_given_names: Some("Amara Grace".into()),
            legal_family_name: Some("Okafor".into()),
            preferred_name: Some("Mara".into()),
            date_of_birth: Some("2014-09-23".into()),
            sex: Some("female".into()),
            upn: Some("T801200100101".into()),
            nhs_number: Some("943 476 5919".into()),
            address: Some("12 Mill Lane".into()),
            postcode: Some("bs1 4dj".into()),
            address_protected: Some(false),
            primary_need: Some("asd".into()),
            ehc_plan_status: Some("final".into()),
        }
    }

    const TODAY: Date = date(2026, 11, 22);

    #[test]
    fn a_good_form_parses_into_types() {
        let c = form().parse(TODAY).unwrap();
        assert_eq!(c.postcode.unwrap().as_str(), "BS1 4DJ");
        assert_eq!(c.primary_need, Some(PrimaryNeed::Asd));
        assert_eq!(c.nhs_number.unwrap().digits(), "9434765919");
        assert_eq!(c.ehc_plan_status, EhcPlanStatus::Final);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let bad = ChildForm {
            legal_family_name: None,
            date_of_birth: Some("2030-01-01".into()),
            upn: Some("A801200100101".into()),
            nhs_number: Some("9434765918".into()),
            primary_need: Some("XYZ".into()),
            ..form()
        };
        let fields: Vec<String> = bad.parse(TODAY).unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["legal_family_name", "date_of_birth", "upn", "nhs_number", "primary_need"]);
    }

    #[test]
    fn ages_0_to_25_are_accepted_and_26_is_not() {
        let at = |dob: &str| ChildForm { date_of_birth: Some(dob.into()), ..form() }.parse(TODAY);
        assert!(at("2026-11-22").is_ok()); // born today
        assert!(at("2000-11-23").is_ok()); // 25, turns 26 tomorrow
        assert!(at("2000-11-22").is_err()); // 26 today
        assert!(at("2026-11-23").is_err()); // tomorrow
    }

    #[test]
    fn a_protected_address_is_withheld_unless_the_viewer_may_see_it() {
        let details = ChildForm { address_protected: Some(true), ..form() }.parse(TODAY).unwrap();
        let t = Timestamp::UNIX_EPOCH;
        let child = Child {
            id: ChildId::new(),
            area_id: AreaId::new(),
            details,
            version: 1,
            created_at: t,
            created_by: Actor::parse("test").unwrap(),
            updated_at: t,
            updated_by: Actor::parse("test").unwrap(),
        };
        let hidden = child.view(false, TODAY);
        assert_eq!((hidden.address, hidden.postcode), (None, None));
        assert_eq!(hidden.withheld, ["address", "postcode"]);
        let shown = child.view(true, TODAY);
        assert_eq!(shown.address.as_deref(), Some("12 Mill Lane"));
        assert_eq!(shown.age, Some(12));
    }

    #[test]
    fn protecting_nothing_is_an_error() {
        let f = ChildForm { address: None, postcode: None, address_protected: Some(true), ..form() };
        assert_eq!(f.parse(TODAY).unwrap_err().0[0].field, "address_protected");
    }

    #[test]
    fn the_form_round_trips() {
        let c = form().parse(TODAY).unwrap();
        assert_eq!(c.to_form().parse(TODAY).unwrap(), c);
    }

    #[test]
    fn every_code_list_parses_its_own_codes() {
        for n in PrimaryNeed::ALL {
            assert_eq!(PrimaryNeed::parse(n.code()), Ok(*n));
        }
        for s in EhcPlanStatus::ALL {
            assert_eq!(EhcPlanStatus::parse(s.code()), Ok(*s));
        }
        assert_eq!(PrimaryNeed::ALL.len(), 13);
        assert!(Sex::parse("x").unwrap_err().contains("female, male, unknown"));
    }
}
