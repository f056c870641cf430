//! UK bank details: sort code, account number and the name on the account.
//! Parsed once, at the edge, so a payment file can only ever be built from
//! details that have the shape Bacs needs.

use std::fmt;

use super::bacs::{NAME_WIDTH, bacs_characters};
use crate::invalid::Invalid;

/// A sort code: the six digits that name a bank branch. People type it as
/// `12-34-56`, `12 34 56` or `123456`; it is shown as `12-34-56`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SortCode([u8; 6]);

impl SortCode {
    /// Parses a sort code: six digits, optionally grouped by hyphens or spaces.
    pub fn parse(input: &str) -> Result<SortCode, &'static str> {
        let digits: Vec<u8> = input.trim().bytes().filter(|b| !matches!(b, b'-' | b' ')).collect();
        match <[u8; 6]>::try_from(digits.as_slice()) {
            Ok(d) if d.iter().all(u8::is_ascii_digit) => Ok(SortCode(d)),
            _ => Err("enter a sort code like 309430 — 6 digits"),
        }
    }

    /// The six digits with no separators, as a Bacs record carries them.
    pub fn digits(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII digits")
    }
}

impl fmt::Display for SortCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.digits();
        write!(f, "{}-{}-{}", &d[..2], &d[2..4], &d[4..])
    }
}

impl serde::Serialize for SortCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.digits())
    }
}

/// A stored sort code is parsed again on the way back in.
impl<'de> serde::Deserialize<'de> for SortCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        SortCode::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A UK account number: eight digits. Banks that issue shorter or longer
/// numbers tell their customers the eight-digit form to give for Bacs, so
/// Allot does not guess at padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountNumber([u8; 8]);

impl AccountNumber {
    /// Parses an account number: eight digits, spaces ignored.
    pub fn parse(input: &str) -> Result<AccountNumber, &'static str> {
        let digits: Vec<u8> = input.bytes().filter(|b| *b != b' ').collect();
        match <[u8; 8]>::try_from(digits.as_slice()) {
            Ok(d) if d.iter().all(u8::is_ascii_digit) => Ok(AccountNumber(d)),
            _ => Err("enter an account number like 00733445 — 8 digits"),
        }
    }

    /// The eight digits.
    pub fn digits(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII digits")
    }

    /// The last two digits only (`******45`), for people who need to
    /// recognise an account but must not be able to pay into it.
    pub fn masked(&self) -> String {
        format!("******{}", &self.digits()[6..])
    }
}

impl fmt::Display for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.digits())
    }
}

impl serde::Serialize for AccountNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.digits())
    }
}

/// A stored account number is parsed again on the way back in.
impl<'de> serde::Deserialize<'de> for AccountNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        AccountNumber::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// The name on a bank account, as the bank knows it. Keeps what the person
/// typed (`Siân O'Brien`, shown back to them) and the form Bacs carries
/// (`SIAN OBRIEN`: upper case, Bacs characters only, at most 18), which
/// must fit whole: a name cut short in a payment file is how a payment
/// reaches the wrong person unnoticed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountName {
    typed: String,
    bacs: String,
}

impl AccountName {
    /// The longest name accepted as typed (the Bacs form is at most 18).
    pub const MAX_TYPED_CHARS: usize = 100;

    /// Parses a name on an account.
    pub fn parse(input: &str) -> Result<AccountName, String> {
        let typed = input.trim();
        if typed.is_empty() {
            return Err("enter the name on the account".to_owned());
        }
        if typed.chars().count() > Self::MAX_TYPED_CHARS {
            return Err("the name on the account can be at most 100 characters".to_owned());
        }
        if typed.chars().any(char::is_control) {
            return Err("the name on the account cannot contain control characters".to_owned());
        }
        let bacs = bacs_characters(typed);
        if bacs.is_empty() {
            return Err("enter the name on the account in the letters A to Z".to_owned());
        }
        if bacs.len() > NAME_WIDTH {
            return Err(format!(
                "the name on the account can be at most {NAME_WIDTH} characters, as the bank shortens it \
                 for Bacs (\"{bacs}\" is {})",
                bacs.len()
            ));
        }
        Ok(AccountName { typed: typed.to_owned(), bacs })
    }

    /// The name as the person typed it (trimmed).
    pub fn as_typed(&self) -> &str {
        &self.typed
    }

    /// The name as a Bacs record carries it: 1–18 characters from the Bacs
    /// character set, upper case.
    pub fn bacs(&self) -> &str {
        &self.bacs
    }
}

/// Shows the name as typed.
impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.typed)
    }
}

impl serde::Serialize for AccountName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.typed)
    }
}

/// A stored name is parsed again on the way back in.
impl<'de> serde::Deserialize<'de> for AccountName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        AccountName::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// Bank details as a person or a file supplies them: raw text, not yet
/// checked. The field names are the API's JSON keys and the CSV columns.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct BankDetailsForm {
    pub sort_code: Option<String>,
    pub account_number: Option<String>,
    pub account_name: Option<String>,
}

/// Bank details, checked: everything a Bacs credit needs to reach an
/// account. Stored as JSON of the plain strings; reading it back goes
/// through [`BankDetailsForm::parse`], so corrupt data cannot become a value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(try_from = "BankDetailsForm")]
pub struct BankDetails {
    pub sort_code: SortCode,
    pub account_number: AccountNumber,
    pub account_name: AccountName,
}

/// Bank details for people who may recognise an account but not use it:
/// the account number shows only its last two digits.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MaskedBankDetails {
    /// `12-34-56`.
    pub sort_code: String,
    /// `******45`.
    pub account_number: String,
    /// The name as typed.
    pub account_name: String,
}

impl BankDetailsForm {
    /// Checks every field, reporting all that are wrong.
    pub fn parse(&self) -> Result<BankDetails, Invalid> {
        let mut inv = Invalid::default();
        let text = |value: &Option<String>| value.as_deref().unwrap_or("").to_owned();
        let sort_code = inv.check("sort_code", SortCode::parse(&text(&self.sort_code)));
        let account_number = inv.check("account_number", AccountNumber::parse(&text(&self.account_number)));
        let account_name = inv.check("account_name", AccountName::parse(&text(&self.account_name)));
        inv.finish(|| BankDetails {
            sort_code: sort_code.expect("checked"),
            account_number: account_number.expect("checked"),
            account_name: account_name.expect("checked"),
        })
    }
}

impl TryFrom<BankDetailsForm> for BankDetails {
    type Error = Invalid;
    fn try_from(form: BankDetailsForm) -> Result<Self, Invalid> {
        form.parse()
    }
}

impl BankDetails {
    /// The details as a form again (for edits, and for storing).
    pub fn to_form(&self) -> BankDetailsForm {
        BankDetailsForm {
            sort_code: Some(self.sort_code.digits().to_owned()),
            account_number: Some(self.account_number.digits().to_owned()),
            account_name: Some(self.account_name.as_typed().to_owned()),
        }
    }

    /// The view for people outside finance: sort code and name shown,
    /// account number masked.
    pub fn masked(&self) -> MaskedBankDetails {
        MaskedBankDetails {
            sort_code: self.sort_code.to_string(),
            account_number: self.account_number.masked(),
            account_name: self.account_name.as_typed().to_owned(),
        }
    }
}

/// Stored as the plain strings, never the Bacs forms, so a stored value
/// reads back exactly as it was typed.
impl serde::Serialize for BankDetails {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("BankDetails", 3)?;
        st.serialize_field("sort_code", self.sort_code.digits())?;
        st.serialize_field("account_number", self.account_number.digits())?;
        st.serialize_field("account_name", self.account_name.as_typed())?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(sort_code: &str, account_number: &str, account_name: &str) -> BankDetailsForm {
        BankDetailsForm {
            sort_code: Some(sort_code.to_owned()),
            account_number: Some(account_number.to_owned()),
            account_name: Some(account_name.to_owned()),
        }
    }

    #[test]
    fn a_sort_code_is_accepted_the_three_ways_people_type_it() {
        for text in ["12-34-56", "12 34 56", "123456", " 123456 "] {
            let code = SortCode::parse(text).unwrap();
            assert_eq!(code.to_string(), "12-34-56", "{text:?}");
            assert_eq!(code.digits(), "123456", "{text:?}");
        }
        assert_eq!(SortCode::parse("00-00-01").unwrap().to_string(), "00-00-01");
    }

    #[test]
    fn a_sort_code_must_be_exactly_six_digits() {
        for text in ["", "12345", "1234567", "12-34-5", "12-34-567", "12.34.56", "AB-CD-EF", "１２３４５６", "12_34_56"]
        {
            assert_eq!(SortCode::parse(text), Err("enter a sort code like 309430 — 6 digits"), "{text:?}");
        }
    }

    #[test]
    fn an_account_number_is_eight_digits_with_spaces_ignored() {
        assert_eq!(AccountNumber::parse("00733445").unwrap().to_string(), "00733445");
        assert_eq!(AccountNumber::parse("0073 3445").unwrap().digits(), "00733445");
        assert_eq!(AccountNumber::parse(" 00 73 34 45 ").unwrap().digits(), "00733445");
        for text in ["", "733445", "0733445", "007334451", "0073-3445", "0073344X", "00733445.0"] {
            assert_eq!(AccountNumber::parse(text), Err("enter an account number like 00733445 — 8 digits"), "{text:?}");
        }
    }

    #[test]
    fn a_masked_account_number_shows_only_its_last_two_digits() {
        assert_eq!(AccountNumber::parse("12345678").unwrap().masked(), "******78");
        assert_eq!(AccountNumber::parse("00000000").unwrap().masked(), "******00");
    }

    #[test]
    fn an_account_name_keeps_what_was_typed_and_the_bacs_form() {
        let name = AccountName::parse("  Siân O'Brien-Jones ").unwrap();
        assert_eq!(name.as_typed(), "Siân O'Brien-Jones");
        assert_eq!(name.to_string(), "Siân O'Brien-Jones");
        assert_eq!(name.bacs(), "SIAN OBRIEN-JONES");
        assert_eq!(AccountName::parse("Zoë Ångström").unwrap().bacs(), "ZOE ANGSTROM");
        assert_eq!(AccountName::parse("Mr & Mrs J. Smith").unwrap().bacs(), "MR & MRS J. SMITH");
        assert_eq!(AccountName::parse("Smith, J (Mum)").unwrap().bacs(), "SMITH J MUM");
    }

    #[test]
    fn an_account_name_must_fit_in_eighteen_bacs_characters() {
        assert_eq!(AccountName::parse("Abcdefghijklmnopqr").unwrap().bacs(), "ABCDEFGHIJKLMNOPQR");
        // Dropped apostrophes do not count against the limit.
        assert_eq!(AccountName::parse("O'Abcdefghijklmnop").unwrap().bacs(), "OABCDEFGHIJKLMNOP");
        assert_eq!(
            AccountName::parse("Jennifer Williams-Smith"),
            Err("the name on the account can be at most 18 characters, as the bank shortens it for Bacs \
                 (\"JENNIFER WILLIAMS-SMITH\" is 23)"
                .to_owned())
        );
    }

    #[test]
    fn an_account_name_needs_something_bacs_can_carry() {
        assert_eq!(AccountName::parse("   "), Err("enter the name on the account".to_owned()));
        assert_eq!(AccountName::parse("李小龙"), Err("enter the name on the account in the letters A to Z".to_owned()));
        assert_eq!(AccountName::parse("''"), Err("enter the name on the account in the letters A to Z".to_owned()));
        assert_eq!(
            AccountName::parse("A\u{7}B"),
            Err("the name on the account cannot contain control characters".to_owned())
        );
        assert_eq!(
            AccountName::parse(&"'".repeat(101)),
            Err("the name on the account can be at most 100 characters".to_owned())
        );
    }

    #[test]
    fn the_form_parses_good_details() {
        let details = form("30-94-30", "0073 3445", "Ms A Khan").parse().unwrap();
        assert_eq!(details.sort_code.digits(), "309430");
        assert_eq!(details.account_number.digits(), "00733445");
        assert_eq!(details.account_name.bacs(), "MS A KHAN");
        assert_eq!(details.to_form().parse(), Ok(details));
    }

    #[test]
    fn the_form_reports_every_bad_field_at_once() {
        let err = form("30-94", "733445", "").parse().unwrap_err();
        assert_eq!(err.fields(), ["sort_code", "account_number", "account_name"]);
        assert_eq!(
            err.to_string(),
            "sort_code: enter a sort code like 309430 — 6 digits; \
             account_number: enter an account number like 00733445 — 8 digits; \
             account_name: enter the name on the account"
        );
        let missing = BankDetailsForm::default().parse().unwrap_err();
        assert_eq!(missing.fields(), ["sort_code", "account_number", "account_name"]);
    }

    #[test]
    fn details_are_stored_as_the_plain_strings_and_read_back_through_the_parse() {
        let details = form("30 94 30", "00733445", "Siân O'Brien").parse().unwrap();
        let json = serde_json::to_string(&details).unwrap();
        assert_eq!(json, r#"{"sort_code":"309430","account_number":"00733445","account_name":"Siân O'Brien"}"#);
        assert_eq!(serde_json::from_str::<BankDetails>(&json).unwrap(), details);
    }

    #[test]
    fn corrupt_stored_details_do_not_become_a_value() {
        for json in [
            r#"{"sort_code":"30943","account_number":"00733445","account_name":"A KHAN"}"#,
            r#"{"sort_code":"309430","account_number":"0073344","account_name":"A KHAN"}"#,
            r#"{"sort_code":"309430","account_number":"00733445","account_name":""}"#,
            r#"{"sort_code":"309430","account_number":"00733445"}"#,
            r#"{"sort_code":"309430","account_number":"00733445","account_name":"A KHAN","iban":"x"}"#,
        ] {
            assert!(serde_json::from_str::<BankDetails>(json).is_err(), "{json}");
        }
        let err = serde_json::from_str::<BankDetails>(r#"{"sort_code":"1","account_number":"2","account_name":"C"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("sort_code: enter a sort code like 309430 — 6 digits; account_number:"), "{err}");
    }

    #[test]
    fn the_masked_view_hides_the_account_number_only() {
        let details = form("309430", "00733445", "Ms A Khan").parse().unwrap();
        let masked = details.masked();
        assert_eq!(
            masked,
            MaskedBankDetails {
                sort_code: "30-94-30".to_owned(),
                account_number: "******45".to_owned(),
                account_name: "Ms A Khan".to_owned(),
            }
        );
        assert_eq!(
            serde_json::to_string(&masked).unwrap(),
            r#"{"sort_code":"30-94-30","account_number":"******45","account_name":"Ms A Khan"}"#
        );
    }

    #[test]
    fn sort_codes_and_account_numbers_read_back_through_their_parse() {
        let code: SortCode = serde_json::from_str(r#""309430""#).unwrap();
        assert_eq!(serde_json::to_string(&code).unwrap(), r#""309430""#);
        assert!(serde_json::from_str::<SortCode>(r#""30943""#).is_err());
        let number: AccountNumber = serde_json::from_str(r#""00733445""#).unwrap();
        assert_eq!(serde_json::to_string(&number).unwrap(), r#""00733445""#);
        assert!(serde_json::from_str::<AccountNumber>(r#""0073344""#).is_err());
    }
}

crate::code_list!(
    /// Where a change of bank details stands.
    BankChangeStatus, "bank details status" {
        /// Waiting for a second person to confirm it.
        Proposed = "proposed", "Waiting for confirmation";
        /// Confirmed: payments go here.
        Current = "current", "Current";
        /// Was current until a newer change was confirmed.
        Replaced = "replaced", "Replaced";
        Rejected = "rejected", "Rejected";
    }
);

/// One set of bank details for a payee, from proposal to decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankChange {
    /// 1, 2, 3… per payee account.
    pub seq: i64,
    pub status: BankChangeStatus,
    pub details: BankDetails,
    pub reason: String,
    pub proposed_by: crate::text::Actor,
    pub proposed_at: jiff::Timestamp,
    pub decided_by: Option<crate::text::Actor>,
    pub decided_at: Option<jiff::Timestamp>,
}

impl BankChange {
    /// Whether `by` may confirm or reject this change: only while it is
    /// proposed, and never the person who proposed it (a changed account
    /// number is how payment fraud happens).
    pub fn may_decide(&self, by: &crate::text::Actor) -> Result<(), &'static str> {
        if self.status != BankChangeStatus::Proposed {
            return Err("this change of bank details has already been decided");
        }
        if *by == self.proposed_by {
            return Err("a second person must confirm a change of bank details: you proposed this one");
        }
        Ok(())
    }
}

#[cfg(test)]
mod change_tests {
    use super::*;
    use crate::text::Actor;

    #[test]
    fn a_change_of_bank_details_needs_a_second_person_and_is_decided_once() {
        let details = BankDetailsForm {
            sort_code: Some("309430".into()),
            account_number: Some("00733445".into()),
            account_name: Some("A Parent".into()),
        }
        .parse()
        .unwrap();
        let mut change = BankChange {
            seq: 1,
            status: BankChangeStatus::Proposed,
            details,
            reason: "New account".into(),
            proposed_by: Actor::parse("caseworker1").unwrap(),
            proposed_at: jiff::Timestamp::UNIX_EPOCH,
            decided_by: None,
            decided_at: None,
        };
        assert!(change.may_decide(&Actor::parse("caseworker1").unwrap()).unwrap_err().contains("second person"));
        assert_eq!(change.may_decide(&Actor::parse("finance1").unwrap()), Ok(()));
        change.status = BankChangeStatus::Current;
        assert!(change.may_decide(&Actor::parse("finance1").unwrap()).unwrap_err().contains("already"));
    }
}
