//! Small text values with rules: names, references, codes, actors.

use std::fmt;

/// Refuses control characters (they break letters, CSV files and logs).
fn no_control(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_type!(
    /// A person's name (or part of one): trimmed, 1–100 characters.
    Name
);

/// A stored name is parsed again on the way back in.
impl<'de> serde::Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Name::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Name {
    /// The longest name accepted.
    pub const MAX_CHARS: usize = 100;

    /// Parses a name.
    pub fn parse(input: &str) -> Result<Name, &'static str> {
        let s = input.trim();
        if s.is_empty() {
            return Err("enter a name");
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err("a name can be at most 100 characters");
        }
        if !no_control(s) {
            return Err("a name cannot contain control characters");
        }
        Ok(Name(s.to_owned()))
    }
}

text_type!(
    /// The area's own reference for a child (the case number in its case
    /// management system). Unique within an area; imports match on it.
    ChildReference
);

impl ChildReference {
    /// Parses a reference: 1–40 letters, digits, `-`, `/`, `_` or `.`.
    pub fn parse(input: &str) -> Result<ChildReference, &'static str> {
        let s = input.trim();
        let ok_char = |c: char| c.is_ascii_alphanumeric() || "-/_.".contains(c);
        if s.is_empty() || s.len() > 40 || !s.chars().all(ok_char) {
            return Err("a reference is 1 to 40 letters, digits, '-', '/', '_' or '.'");
        }
        Ok(ChildReference(s.to_owned()))
    }
}

text_type!(
    /// A local area's code, such as the ONS code `E06000023`.
    AreaCode
);

impl AreaCode {
    /// Parses a code: 2–20 upper-case letters, digits or `-`.
    pub fn parse(input: &str) -> Result<AreaCode, &'static str> {
        let s = input.trim().to_ascii_uppercase();
        let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '-';
        if !(2..=20).contains(&s.len()) || !s.chars().all(ok_char) {
            return Err("an area code is 2 to 20 letters, digits or '-', like E06000023");
        }
        Ok(AreaCode(s))
    }
}

text_type!(
    /// Who made a change, as recorded beside it: a user, or a named process
    /// such as `cli:import` or `demo`.
    Actor
);

impl Actor {
    /// Parses an actor label.
    pub fn parse(input: &str) -> Result<Actor, &'static str> {
        let s = input.trim();
        if s.is_empty() || s.len() > 200 || !no_control(s) {
            return Err("an actor is 1 to 200 printable characters");
        }
        Ok(Actor(s.to_owned()))
    }
}

/// Who made a change, in which role, and when: kept beside every change
/// Allot stores and in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub by: Actor,
    /// The role a signed-in person acted in; `None` for a process such as
    /// the command line or the demo loader.
    pub role: Option<crate::access::Role>,
    pub at: jiff::Timestamp,
}

impl Stamp {
    /// A process, `by`, now.
    pub fn now(by: Actor) -> Stamp {
        Stamp { by, role: None, at: jiff::Timestamp::now() }
    }

    /// The role as the audit trail records it.
    pub fn role_code(&self) -> &'static str {
        self.role.map_or("system", crate::access::Role::code)
    }
}

/// Parses optional free text: trimmed; blank means none; at most `max` characters.
pub fn optional_text(input: Option<&str>, max: usize) -> Result<Option<String>, String> {
    match input.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.chars().count() > max => Err(format!("can be at most {max} characters")),
        // Line breaks are fine in notes; other control characters are not.
        Some(s) if s.chars().any(|c| c.is_control() && c != '\n') => {
            Err("cannot contain control characters".to_owned())
        }
        Some(s) => Ok(Some(s.to_owned())),
    }
}

/// Parses required free text into `inv`: trimmed, not blank, at most
/// `max` characters. On a problem the text is empty and `inv` says why.
pub fn required_text(
    inv: &mut crate::invalid::Invalid,
    field: &str,
    input: Option<&str>,
    max: usize,
    missing: &str,
) -> String {
    match optional_text(input, max) {
        Ok(Some(s)) => s,
        Ok(None) => {
            inv.push(field, missing);
            String::new()
        }
        Err(e) => {
            inv.push(field, e);
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(Name::parse("  Amara Okafor ").unwrap().as_str(), "Amara Okafor");
        assert!(Name::parse("   ").is_err());
        assert!(Name::parse(&"x".repeat(101)).is_err());
        assert!(Name::parse(&"é".repeat(100)).is_ok());
        assert!(Name::parse("Bob\u{7}").is_err());
    }

    #[test]
    fn references_and_codes_have_a_safe_alphabet() {
        assert!(ChildReference::parse("WV-000123").is_ok());
        assert!(ChildReference::parse("a b").is_err());
        assert!(ChildReference::parse("").is_err());
        assert_eq!(AreaCode::parse("e06000023").unwrap().as_str(), "E06000023");
        assert!(AreaCode::parse("E").is_err());
    }

    #[test]
    fn optional_text_treats_blank_as_none() {
        assert_eq!(optional_text(Some("  "), 10), Ok(None));
        assert_eq!(optional_text(None, 10), Ok(None));
        assert_eq!(optional_text(Some(" hi "), 10), Ok(Some("hi".to_owned())));
        assert!(optional_text(Some("hello world"), 5).is_err());
        assert!(optional_text(Some("a\u{0}b"), 5).is_err());
        assert_eq!(optional_text(Some("line\nline"), 20), Ok(Some("line\nline".to_owned())));
    }
}
