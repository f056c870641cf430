//! Listing children: filters, sort orders and opaque cursors for keyset
//! paging (stable under inserts, no OFFSET scans).

use crate::child::{EhcPlanStatus, PrimaryNeed};
use crate::code_list;
use crate::ids::{ChildId, ProfessionalId};

code_list!(
    /// The orders a list of children can be sorted in.
    ChildSort, "sort" {
        Reference = "reference", "Reference";
        Name = "name", "Family name, then given names";
        DateOfBirth = "date_of_birth", "Date of birth (oldest first)";
    }
);

/// The most rows one page can hold: a limit on everything.
pub const PAGE_SIZE_MAX: u32 = 500;
/// The page size when none is asked for.
pub const PAGE_SIZE_DEFAULT: u32 = 50;

/// Which children to list, in what order, from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildQuery {
    pub primary_need: Option<PrimaryNeed>,
    pub ehc_plan_status: Option<EhcPlanStatus>,
    pub lead_professional: Option<ProfessionalId>,
    /// Part of a name or reference, matched without regard to case.
    pub search: Option<String>,
    pub sort: ChildSort,
    pub limit: u32,
    pub after: Option<Cursor>,
}

impl Default for ChildQuery {
    fn default() -> Self {
        ChildQuery {
            primary_need: None,
            ehc_plan_status: None,
            lead_professional: None,
            search: None,
            sort: ChildSort::Reference,
            limit: PAGE_SIZE_DEFAULT,
            after: None,
        }
    }
}

/// Checks a requested page size.
pub fn parse_limit(input: &str) -> Result<u32, String> {
    match input.trim().parse::<u32>() {
        Ok(n) if (1..=PAGE_SIZE_MAX).contains(&n) => Ok(n),
        _ => Err(format!("limit must be a whole number from 1 to {PAGE_SIZE_MAX}")),
    }
}

/// Where the previous page ended: the sort key and id of its last row.
/// Shown to clients as opaque hex so they do not build their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub sort: ChildSort,
    pub key: String,
    pub id: ChildId,
}

impl Cursor {
    /// The cursor as an opaque token.
    pub fn encode(&self) -> String {
        let plain = format!("{}\u{1f}{}\u{1f}{}", self.sort.code(), self.id, self.key);
        plain.bytes().map(|b| format!("{b:02x}")).collect()
    }

    /// Reads a token made by `encode`; it must be for the same sort order.
    pub fn decode(token: &str, sort: ChildSort) -> Result<Cursor, &'static str> {
        const MSG: &str = "cursor is not one this service gave out for this sort order";
        if !token.len().is_multiple_of(2) || token.len() > 1024 {
            return Err(MSG);
        }
        let bytes: Option<Vec<u8>> =
            (0..token.len()).step_by(2).map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok()).collect();
        let plain = String::from_utf8(bytes.ok_or(MSG)?).map_err(|_| MSG)?;
        let mut parts = plain.splitn(3, '\u{1f}');
        let (Some(s), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(MSG);
        };
        if s != sort.code() {
            return Err(MSG);
        }
        Ok(Cursor { sort, key: key.to_owned(), id: id.parse().map_err(|_| MSG)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_tampering() {
        let c = Cursor { sort: ChildSort::Name, key: "o'brien\u{1f}siân".into(), id: ChildId::new() };
        assert_eq!(Cursor::decode(&c.encode(), ChildSort::Name), Ok(c.clone()));
        assert!(Cursor::decode(&c.encode(), ChildSort::Reference).is_err());
        assert!(Cursor::decode("zz", ChildSort::Name).is_err());
        assert!(Cursor::decode("abc", ChildSort::Name).is_err());
        assert!(Cursor::decode("", ChildSort::Name).is_err());
    }

    #[test]
    fn page_sizes_are_limited() {
        assert_eq!(parse_limit("500"), Ok(500));
        assert!(parse_limit("501").is_err());
        assert!(parse_limit("0").is_err());
        assert!(parse_limit("-1").is_err());
    }
}
