//! National identifiers, each checked by its published rule.

use std::fmt;

/// The check-letter alphabet of the UPN: A–Z without I, O and S.
const UPN_ALPHABET: &[u8; 23] = b"ABCDEFGHJKLMNPQRTUVWXYZ";

/// A Unique Pupil Number (DfE): 13 characters, a check letter then 12
/// characters. A permanent UPN has 12 digits after the check letter; a
/// temporary one has a letter from the check alphabet in position 13.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Upn(String);

impl Upn {
    /// Parses a UPN, ignoring case and surrounding space.
    pub fn parse(input: &str) -> Result<Upn, &'static str> {
        let s = input.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 13 {
            return Err("a UPN is 13 characters: a letter then 12 characters");
        }
        if !b[1..12].iter().all(u8::is_ascii_digit) || !(b[12].is_ascii_digit() || UPN_ALPHABET.contains(&b[12])) {
            return Err("characters 2 to 12 of a UPN are digits, and character 13 is a digit or a letter");
        }
        if b[0] != Upn::check_letter(&b[1..]) {
            return Err("the UPN's check letter does not match its digits: check it has been copied correctly");
        }
        Ok(Upn(s))
    }

    /// The check letter for characters 2–13: character `i` (1-based) is
    /// weighted by `i`; a letter in position 13 counts as its index in the
    /// check alphabet; the sum modulo 23 indexes that alphabet.
    pub fn check_letter(rest: &[u8]) -> u8 {
        debug_assert_eq!(rest.len(), 12);
        let sum: u32 = rest
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let value = if c.is_ascii_digit() {
                    u32::from(c - b'0')
                } else {
                    UPN_ALPHABET.iter().position(|&a| a == c).unwrap_or(0) as u32
                };
                value * (i as u32 + 2)
            })
            .sum();
        UPN_ALPHABET[(sum % 23) as usize]
    }

    /// Builds a valid UPN from its 12 characters after the check letter
    /// (used to make synthetic UPNs).
    pub fn from_body(body: &str) -> Result<Upn, &'static str> {
        if body.len() != 12 {
            return Err("a UPN body is 12 characters");
        }
        let letter = Upn::check_letter(body.as_bytes()) as char;
        Upn::parse(&format!("{letter}{body}"))
    }

    /// The UPN as 13 upper-case characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a temporary UPN (a letter in position 13).
    pub fn is_temporary(&self) -> bool {
        !self.0.as_bytes()[12].is_ascii_digit()
    }
}

impl fmt::Display for Upn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An NHS number: 10 digits, the last a modulus-11 check digit. Shown in
/// the NHS's own 3-3-4 grouping.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NhsNumber(String);

impl NhsNumber {
    /// Parses an NHS number, with or without the spaces of `943 476 5919`.
    pub fn parse(input: &str) -> Result<NhsNumber, &'static str> {
        let digits: String = input.chars().filter(|c| *c != ' ').collect();
        if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("an NHS number is 10 digits, like 943 476 5919");
        }
        let b = digits.as_bytes();
        match NhsNumber::check_digit(&b[..9]) {
            Some(check) if check == b[9] - b'0' => Ok(NhsNumber(digits)),
            _ => Err("this is not a valid NHS number: check it has been copied correctly"),
        }
    }

    /// The modulus-11 check digit for the first nine digits (weights 10
    /// down to 2), or `None` when the digits can have no valid check digit.
    pub fn check_digit(first_nine: &[u8]) -> Option<u8> {
        let sum: u32 = first_nine.iter().enumerate().map(|(i, &c)| u32::from(c - b'0') * (10 - i as u32)).sum();
        match 11 - sum % 11 {
            11 => Some(0),
            10 => None,
            d => Some(d as u8),
        }
    }

    /// The ten digits, without spaces.
    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", &self.0[..3], &self.0[3..6], &self.0[6..])
    }
}

impl serde::Serialize for NhsNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A UK postcode, normalised to upper case with one space before the
/// inward code (`BS1 4DJ`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Postcode(String);

impl Postcode {
    /// Parses a postcode in any case and spacing.
    pub fn parse(input: &str) -> Result<Postcode, &'static str> {
        const MSG: &str = "enter a real postcode, like BS1 4DJ";
        let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        if compact == "GIR0AA" {
            return Ok(Postcode("GIR 0AA".to_owned()));
        }
        if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
            return Err(MSG);
        }
        let (outward, inward) = compact.split_at(compact.len() - 3);
        let i = inward.as_bytes();
        let inward_ok = i[0].is_ascii_digit() && i[1..].iter().all(|c| b"ABDEFGHJLNPQRSTUWXYZ".contains(c));
        if !inward_ok || !outward_ok(outward.as_bytes()) {
            return Err(MSG);
        }
        Ok(Postcode(format!("{outward} {inward}")))
    }

    /// The postcode as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The outward code (`BS1`): the postcode district.
    pub fn outward(&self) -> &str {
        self.0.split(' ').next().unwrap_or_default()
    }
}

/// The outward code's shapes: A9, A99, AA9, AA99, A9A, AA9A.
fn outward_ok(o: &[u8]) -> bool {
    let letter = |c: &u8| c.is_ascii_uppercase();
    let digit = |c: &u8| c.is_ascii_digit();
    let first_ok = letter(&o[0]) && !b"QVX".contains(&o[0]);
    first_ok
        && match o {
            [_, b] => digit(b),
            [_, b, c] => (digit(b) && (digit(c) || letter(c))) || (letter(b) && !b"IJZ".contains(b) && digit(c)),
            [_, b, c, d] => letter(b) && !b"IJZ".contains(b) && digit(c) && (digit(d) || letter(d)),
            _ => false,
        }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn upn_check_letters_follow_the_dfe_rule() {
        // Worked by hand: digits 2–13 of "801200100101" weighted 2..13:
        // 8·2+0·3+1·4+2·5+0·6+0·7+1·8+0·9+0·10+1·11+0·12+1·13 = 62; 62 mod 23 = 16 → 'T'.
        assert_eq!(Upn::check_letter(b"801200100101"), b'T');
        assert_eq!(Upn::parse("T801200100101").unwrap().as_str(), "T801200100101");
        assert_eq!(Upn::parse(" t801200100101 ").unwrap().as_str(), "T801200100101");
        assert!(Upn::parse("A801200100101").is_err());
        // A temporary UPN: 'B' in position 13 counts as 1 (its index in the
        // alphabet), weighted 13: 62 - 13 + 13 = 62 → 'T' again.
        let temp = Upn::parse("T80120010010B").unwrap();
        assert!(temp.is_temporary());
        // Letters outside the check alphabet are not allowed in position 13.
        assert!(Upn::parse("T80120010010I").is_err());
        assert!(Upn::parse("T8012001001").is_err());
        assert!(Upn::parse("T8012001A0101").is_err());
    }

    #[test]
    fn nhs_numbers_use_modulus_11() {
        assert_eq!(NhsNumber::parse("943 476 5919").unwrap().digits(), "9434765919");
        assert_eq!(NhsNumber::parse("9434765919").unwrap().to_string(), "943 476 5919");
        assert!(NhsNumber::parse("9434765918").is_err());
        assert!(NhsNumber::parse("943-476-5919").is_err());
        assert!(NhsNumber::parse("94347659").is_err());
        // 999 000 001? : sum = 9·10+9·9+9·8+0+…+1·2 = 245, 245 mod 11 = 3, check = 8.
        assert_eq!(NhsNumber::check_digit(b"999000001"), Some(8));
        assert!(NhsNumber::parse("9990000018").is_ok());
        // Digits whose check would be 10 have no valid NHS number.
        assert_eq!(NhsNumber::check_digit(b"000000001"), Some(9));
        // 6·2 = 12, 12 mod 11 = 1, 11 − 1 = 10: no valid check digit.
        assert_eq!(NhsNumber::check_digit(b"000000006"), None);
    }

    #[test]
    fn postcodes_are_normalised() {
        for (input, normal) in [
            ("bs1 4dj", "BS1 4DJ"),
            ("SW1A1AA", "SW1A 1AA"),
            ("  m1   1ae ", "M1 1AE"),
            ("W1A 0AX", "W1A 0AX"),
            ("EC1A 1BB", "EC1A 1BB"),
            ("B33 8TH", "B33 8TH"),
            ("CR2 6XH", "CR2 6XH"),
            ("DN55 1PT", "DN55 1PT"),
            ("gir0aa", "GIR 0AA"),
        ] {
            assert_eq!(Postcode::parse(input).unwrap().as_str(), normal, "{input}");
        }
        assert_eq!(Postcode::parse("bs1 4dj").unwrap().outward(), "BS1");
        for bad in ["", "BS1", "BS1 4D", "1S1 4DJ", "QS1 4DJ", "BS1 4CJ", "BS1 DJ4", "BSSS 4DJ", "BS1 4DJX", "ÄS1 4DJ"]
        {
            assert!(Postcode::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn any_upn_built_from_a_body_parses_and_one_wrong_digit_is_caught(body in "[0-9]{11}[0-9ABCDEFGHJKLMNPQRTUVWXYZ]", pos in 0usize..11, delta in 1u8..10) {
            let upn = Upn::from_body(&body).unwrap();
            prop_assert_eq!(&upn.as_str()[1..], body.as_str());
            // Changing one digit changes the weighted sum by delta × weight,
            // which 23 (prime, larger than every weight) never divides.
            let mut changed = upn.as_str().as_bytes().to_vec();
            changed[pos + 1] = b'0' + (changed[pos + 1] - b'0' + delta) % 10;
            prop_assert!(Upn::parse(std::str::from_utf8(&changed).unwrap()).is_err());
        }

        #[test]
        fn nhs_numbers_with_a_check_digit_parse_in_both_forms(first in "[0-9]{9}") {
            if let Some(check) = NhsNumber::check_digit(first.as_bytes()) {
                let n = NhsNumber::parse(&format!("{}{}", first, check)).unwrap();
                prop_assert_eq!(NhsNumber::parse(&n.to_string()).unwrap(), n.clone());
                let wrong = (check + 1) % 10;
                let wrong_number = format!("{}{}", first, wrong);
                prop_assert!(NhsNumber::parse(&wrong_number).is_err());
            }
        }

        #[test]
        fn postcode_parsing_is_idempotent(p in "[A-PR-UWYZ][A-HK-Y]?[0-9][0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2}") {
            let once = Postcode::parse(&p).unwrap();
            prop_assert_eq!(Postcode::parse(once.as_str()).unwrap(), once.clone());
            prop_assert_eq!(Postcode::parse(&p.to_lowercase()).unwrap(), once);
        }
    }
}
