//! Family members and other contacts of a child.

use crate::ids::{AreaId, ChildId, FamilyMemberId};
use crate::text::{Actor, Name};
use crate::{Invalid, code_list};
use jiff::Timestamp;

code_list!(
    /// How a family member or contact is related to the child.
    Relationship, "relationship" {
        Mother = "mother", "Mother";
        Father = "father", "Father";
        StepParent = "step_parent", "Step-parent";
        Grandparent = "grandparent", "Grandparent";
        FosterCarer = "foster_carer", "Foster carer";
        SpecialGuardian = "special_guardian", "Special guardian";
        Sibling = "sibling", "Brother or sister";
        OtherRelative = "other_relative", "Other relative";
        Other = "other", "Other contact";
    }
);

code_list!(
    /// How someone wants to be contacted.
    ContactMethod, "contact method" {
        Email = "email", "Email";
        Phone = "phone", "Phone call";
        TextMessage = "text_message", "Text message";
        Letter = "letter", "Letter";
    }
);

/// An email address: one `@`, something either side, a dot in the domain,
/// no spaces. (Real checking is sending to it; this catches typing slips.)
pub fn parse_email(input: &str) -> Result<String, &'static str> {
    let s = input.trim();
    let ok = s.len() <= 254
        && !s.contains(char::is_whitespace)
        && matches!(s.split_once('@'), Some((local, domain))
            if !local.is_empty() && !domain.contains('@') && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'));
    if ok { Ok(s.to_owned()) } else { Err("enter an email address like name@example.com") }
}

/// A UK or international phone number: 10–15 digits, with spaces and a
/// leading `+` allowed; stored as typed (trimmed).
pub fn parse_phone(input: &str) -> Result<String, &'static str> {
    let s = input.trim();
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let body = s.strip_prefix('+').unwrap_or(s);
    if (10..=15).contains(&digits) && body.chars().all(|c| c.is_ascii_digit() || c == ' ') {
        Ok(s.to_owned())
    } else {
        Err("enter a phone number like 01632 960 001 or +44 7700 900 123")
    }
}

/// A family member as supplied, not yet checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyMemberForm {
    pub name: Option<String>,
    pub relationship: Option<String>,
    pub parental_responsibility: Option<bool>,
    pub contact_by: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A family member's details, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyMemberDetails {
    pub name: Name,
    pub relationship: Relationship,
    /// Holds parental responsibility for the child (Children Act 1989).
    pub parental_responsibility: bool,
    pub contact_by: ContactMethod,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl FamilyMemberForm {
    /// Checks the form; the chosen contact method must have its detail.
    pub fn parse(&self) -> Result<FamilyMemberDetails, Invalid> {
        let mut inv = Invalid::default();
        let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let name = inv.check("name", Name::parse(self.name.as_deref().unwrap_or("")));
        let relationship = inv.check("relationship", Relationship::parse(self.relationship.as_deref().unwrap_or("")));
        let contact_by = inv.check("contact_by", ContactMethod::parse(self.contact_by.as_deref().unwrap_or("")));
        let email = text(&self.email).and_then(|e| inv.check("email", parse_email(&e)));
        let phone = text(&self.phone).and_then(|p| inv.check("phone", parse_phone(&p)));
        match contact_by {
            Some(ContactMethod::Email) if text(&self.email).is_none() => {
                inv.push("email", "enter an email address, or choose another way to be contacted")
            }
            Some(ContactMethod::Phone | ContactMethod::TextMessage) if text(&self.phone).is_none() => {
                inv.push("phone", "enter a phone number, or choose another way to be contacted")
            }
            _ => {}
        }
        inv.finish(|| FamilyMemberDetails {
            name: name.expect("checked"),
            relationship: relationship.expect("checked"),
            parental_responsibility: self.parental_responsibility.unwrap_or(false),
            contact_by: contact_by.expect("checked"),
            email,
            phone,
        })
    }
}

/// A family member as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyMember {
    pub id: FamilyMemberId,
    pub area_id: AreaId,
    pub child_id: ChildId,
    pub details: FamilyMemberDetails,
    pub version: i64,
    pub updated_at: Timestamp,
    pub updated_by: Actor,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_method_needs_its_detail() {
        let f = FamilyMemberForm {
            name: Some("Grace Okafor".into()),
            relationship: Some("mother".into()),
            parental_responsibility: Some(true),
            contact_by: Some("email".into()),
            ..Default::default()
        };
        assert_eq!(f.parse().unwrap_err().0[0].field, "email");
        let ok = FamilyMemberForm { email: Some("grace@example.com".into()), ..f.clone() }.parse().unwrap();
        assert!(ok.parental_responsibility);
        let bad = FamilyMemberForm { email: Some("grace@".into()), ..f }.parse().unwrap_err();
        assert_eq!(bad.0.len(), 1, "{bad}");
    }

    #[test]
    fn emails_and_phones_catch_slips() {
        assert!(parse_email("a@b.co").is_ok());
        for bad in ["a@b", "@b.co", "a b@c.co", "a@@b.co", "a@.co", "a@b.co."] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
        assert!(parse_phone("01632 960 001").is_ok());
        assert!(parse_phone("+44 7700 900123").is_ok());
        assert!(parse_phone("12345").is_err());
        assert!(parse_phone("0163-296-0001").is_err());
    }
}
