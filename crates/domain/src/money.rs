//! Money. Every amount in Allot is a whole number of pence; there are no
//! floating-point amounts anywhere, and every rounding is named.

use std::fmt;
use std::str::FromStr;

/// An amount of money in pence. Negative amounts exist (refunds,
/// reversals); arithmetic is checked so an overflow is an error, never a
/// wrapped amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Pence(i64);

/// Why a string is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PenceError {
    #[error("enter an amount")]
    Empty,
    #[error("enter an amount in pounds and pence, like 1234.56 or £1,234.56")]
    NotAnAmount,
    #[error("an amount can have at most 2 decimal places (whole pence)")]
    TooManyDecimals,
    #[error("the amount is too large")]
    TooLarge,
}

impl Pence {
    /// Zero pence.
    pub const ZERO: Pence = Pence(0);
    /// The largest amount Allot accepts from a person: £10 million. A limit
    /// on everything: no single budget line in this field comes near it.
    pub const INPUT_MAX: Pence = Pence(1_000_000_000);

    /// An amount from a whole number of pence.
    pub const fn new(pence: i64) -> Self {
        Pence(pence)
    }

    /// An amount from whole pounds.
    pub const fn from_pounds(pounds: i64) -> Self {
        Pence(pounds * 100)
    }

    /// The number of pence.
    pub const fn pence(self) -> i64 {
        self.0
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Pence) -> Option<Pence> {
        self.0.checked_add(other.0).map(Pence)
    }

    /// `self - other`, or `None` on overflow.
    pub fn checked_sub(self, other: Pence) -> Option<Pence> {
        self.0.checked_sub(other.0).map(Pence)
    }

    /// `self × n`, or `None` on overflow.
    pub fn checked_mul(self, n: i64) -> Option<Pence> {
        self.0.checked_mul(n).map(Pence)
    }

    /// The sum of `amounts`, or `None` on overflow.
    pub fn checked_sum(amounts: impl IntoIterator<Item = Pence>) -> Option<Pence> {
        amounts.into_iter().try_fold(Pence::ZERO, Pence::checked_add)
    }

    /// Rounds to whole pounds, halves away from zero (£2.50 → £3.00,
    /// −£2.50 → −£3.00), the rule the RAS publishes.
    pub fn round_half_up_to_pounds(self) -> Pence {
        let r = self.0.rem_euclid(100);
        let down = self.0 - r;
        if self.0 >= 0 {
            Pence(if r >= 50 { down + 100 } else { down })
        } else {
            Pence(if r > 50 { down + 100 } else { down })
        }
    }

    /// Parses an amount typed by a person: `1234.56`, `£1,234.56`, `-12.5`,
    /// `£7`. Thousands separators must be in the right places; more than two
    /// decimal places, exponents and other float forms are refused.
    pub fn parse(input: &str) -> Result<Pence, PenceError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(PenceError::Empty);
        }
        let (negative, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let s = s.strip_prefix('£').unwrap_or(s);
        let (whole, fraction) = match s.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (s, None),
        };
        let digits = whole_pounds_digits(whole).ok_or(PenceError::NotAnAmount)?;
        let pence_part = match fraction {
            None => 0,
            Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(PenceError::NotAnAmount);
            }
            Some(f) if f.len() > 2 => return Err(PenceError::TooManyDecimals),
            Some(f) if f.len() == 1 => i64::from(f.as_bytes()[0] - b'0') * 10,
            Some(f) => f.parse::<i64>().map_err(|_| PenceError::NotAnAmount)?,
        };
        let pounds: i64 = digits.parse().map_err(|_| PenceError::TooLarge)?;
        let total = pounds.checked_mul(100).and_then(|p| p.checked_add(pence_part)).ok_or(PenceError::TooLarge)?;
        Ok(Pence(if negative { -total } else { total }))
    }

    /// Formats as plain pounds with two decimals and no symbol or commas
    /// (`1234.56`, `-0.05`), the form CSV files use.
    pub fn to_decimal_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// The digits of the whole-pounds part, with any thousands separators
/// checked and removed; `None` if malformed.
fn whole_pounds_digits(whole: &str) -> Option<String> {
    if whole.is_empty() {
        return None;
    }
    if !whole.contains(',') {
        return whole.bytes().all(|b| b.is_ascii_digit()).then(|| whole.to_owned());
    }
    let groups: Vec<&str> = whole.split(',').collect();
    let first_ok = (1..=3).contains(&groups[0].len());
    let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
    let all_digits = groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
    (first_ok && rest_ok && all_digits).then(|| groups.concat())
}

impl FromStr for Pence {
    type Err = PenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pence::parse(s)
    }
}

/// `£1,234.56`; negative amounts as `-£1,234.56`.
impl fmt::Display for Pence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let pounds = (abs / 100).to_string();
        let mut grouped = String::with_capacity(pounds.len() + pounds.len() / 3);
        for (i, c) in pounds.chars().enumerate() {
            if i > 0 && (pounds.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "{sign}£{grouped}.{:02}", abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn displays_with_pound_sign_and_thousands() {
        assert_eq!(Pence::new(123456).to_string(), "£1,234.56");
        assert_eq!(Pence::new(5).to_string(), "£0.05");
        assert_eq!(Pence::new(-100_000_000).to_string(), "-£1,000,000.00");
        assert_eq!(Pence::new(99_999).to_string(), "£999.99");
        assert_eq!(Pence::new(i64::MIN).to_string(), "-£92,233,720,368,547,758.08");
    }

    #[test]
    fn parses_the_forms_people_type() {
        for (text, pence) in [
            ("1234.56", 123456),
            ("£1,234.56", 123456),
            (" £7 ", 700),
            ("12.5", 1250),
            ("-0.05", -5),
            ("-£1,000,000", -100_000_000),
            ("0", 0),
            ("1,234,567.00", 123_456_700),
        ] {
            assert_eq!(Pence::parse(text), Ok(Pence::new(pence)), "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_money() {
        for (text, err) in [
            ("", PenceError::Empty),
            ("1.234", PenceError::TooManyDecimals),
            ("1e3", PenceError::NotAnAmount),
            ("1.5e2", PenceError::NotAnAmount),
            ("NaN", PenceError::NotAnAmount),
            ("inf", PenceError::NotAnAmount),
            ("12,34", PenceError::NotAnAmount),
            ("1,2345", PenceError::NotAnAmount),
            (",123", PenceError::NotAnAmount),
            ("1.", PenceError::NotAnAmount),
            (".5", PenceError::NotAnAmount),
            ("£-5", PenceError::NotAnAmount),
            ("+5", PenceError::NotAnAmount),
            ("5 000", PenceError::NotAnAmount),
            ("99999999999999999999", PenceError::TooLarge),
            ("92233720368547758.08", PenceError::TooLarge),
        ] {
            assert_eq!(Pence::parse(text), Err(err), "{text:?}");
        }
    }

    #[test]
    fn rounds_half_pounds_up_and_away_from_zero() {
        for (pence, rounded) in [
            (249, 200),
            (250, 300),
            (251, 300),
            (0, 0),
            (49, 0),
            (50, 100),
            (-249, -200),
            (-250, -300),
            (-251, -300),
            (123_449, 123_400),
            (123_450, 123_500),
        ] {
            assert_eq!(Pence::new(pence).round_half_up_to_pounds(), Pence::new(rounded), "{pence}");
        }
    }

    #[test]
    fn checked_arithmetic_reports_overflow() {
        assert_eq!(Pence::new(i64::MAX).checked_add(Pence::new(1)), None);
        assert_eq!(Pence::new(i64::MIN).checked_sub(Pence::new(1)), None);
        assert_eq!(Pence::new(i64::MAX / 2 + 1).checked_mul(2), None);
        assert_eq!(Pence::checked_sum([Pence::new(1), Pence::new(2)]), Some(Pence::new(3)));
        assert_eq!(Pence::checked_sum([Pence::new(i64::MAX), Pence::new(1)]), None);
    }

    proptest! {
        #[test]
        fn display_then_parse_is_identity(p in (i64::MIN + 1)..i64::MAX) {
            prop_assert_eq!(Pence::parse(&Pence::new(p).to_string()), Ok(Pence::new(p)));
            prop_assert_eq!(Pence::parse(&Pence::new(p).to_decimal_string()), Ok(Pence::new(p)));
        }

        #[test]
        fn pounds_and_two_decimals_parse_exactly(pounds in 0i64..10_000_000_000, pence in 0i64..100) {
            let text = format!("{pounds}.{pence:02}");
            prop_assert_eq!(Pence::parse(&text), Ok(Pence::new(pounds * 100 + pence)));
        }

        #[test]
        fn three_or_more_decimals_are_refused(pounds in 0i64..1_000_000, decimals in "[0-9]{3,8}") {
            prop_assert_eq!(Pence::parse(&format!("{pounds}.{decimals}")), Err(PenceError::TooManyDecimals));
        }

        #[test]
        fn any_float_rendering_with_exponent_is_refused(x in proptest::num::f64::NORMAL) {
            let text = format!("{x:e}");
            prop_assert!(Pence::parse(&text).is_err(), "{text}");
        }

        #[test]
        fn rounding_to_pounds_moves_less_than_a_pound_and_lands_on_pounds(p in -1_000_000_000_000i64..1_000_000_000_000) {
            let r = Pence::new(p).round_half_up_to_pounds().pence();
            prop_assert_eq!(r % 100, 0);
            prop_assert!((r - p).abs() <= 50);
            // Exactly half a pound always rounds away from zero.
            if p.rem_euclid(100) == 50 { prop_assert_eq!((r - p).abs(), 50); prop_assert!(r.abs() > p.abs()); }
        }

        #[test]
        fn checked_add_matches_wide_arithmetic(a in any::<i64>(), b in any::<i64>()) {
            let wide = i128::from(a) + i128::from(b);
            let expected = i64::try_from(wide).ok().map(Pence::new);
            prop_assert_eq!(Pence::new(a).checked_add(Pence::new(b)), expected);
        }
    }
}
