//! Calendar dates in England. Allot's date rules work on civil dates with no
//! time zone: "within 6 weeks" and "the 18th birthday" are about the
//! calendar, not instants.

use jiff::civil::{Date, date};
use std::fmt;
use std::str::FromStr;

/// The calendar date in England at instant `at` (UK civil time, so the
/// day turns over at midnight in London, summer time included).
pub fn date_in_england(at: jiff::Timestamp) -> Date {
    time_in_england(at).date()
}

/// The clock time in England at instant `at`, summer time included.
pub fn time_in_england(at: jiff::Timestamp) -> jiff::civil::DateTime {
    static LONDON: std::sync::LazyLock<jiff::tz::TimeZone> =
        std::sync::LazyLock::new(|| jiff::tz::TimeZone::get("Europe/London").expect("bundled time zone database"));
    at.to_zoned(LONDON.clone()).datetime()
}

/// Parses an ISO date (`2026-04-01`).
pub fn parse_date(input: &str) -> Result<Date, &'static str> {
    let s = input.trim();
    if s.len() != 10 {
        return Err("enter a date as YYYY-MM-DD, like 2014-09-23");
    }
    s.parse::<Date>().map_err(|_| "enter a real date as YYYY-MM-DD, like 2014-09-23")
}

/// `days` days after `d` (before, if negative); the last or first date
/// there is if that runs off the calendar.
pub fn plus_days(d: Date, days: i64) -> Date {
    let end = if days < 0 { Date::MIN } else { Date::MAX };
    jiff::Span::new().try_days(days).ok().and_then(|s| d.checked_add(s).ok()).unwrap_or(end)
}

/// Age in whole years on `on`. Someone born on 29 February has their
/// birthday on 1 March in years that are not leap years, as English law
/// reads it. `None` if `on` is before the date of birth.
pub fn age_on(date_of_birth: Date, on: Date) -> Option<u32> {
    if on < date_of_birth {
        return None;
    }
    let mut years = on.year() - date_of_birth.year();
    if (on.month(), on.day()) < birthday_in(date_of_birth, on.year()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// The (month, day) of the birthday in `year`.
fn birthday_in(date_of_birth: Date, year: i16) -> (i8, i8) {
    let (m, d) = (date_of_birth.month(), date_of_birth.day());
    if (m, d) == (2, 29) && date(year, 2, 1).days_in_month() == 28 { (3, 1) } else { (m, d) }
}

/// The latest date of birth of someone who is at least `age` on `on`
/// (so "aged 16 or over" is "born on or before this date", which a
/// database can index).
pub fn born_on_or_before(on: Date, age: i16) -> Date {
    // jiff clamps 29 February to the 28th in a common year, which is what
    // `age_on`'s 1 March birthdays need (tested exhaustively around leap days).
    on.checked_sub(jiff::Span::new().years(age)).expect("in range")
}

/// The date on which someone reaches `age` (their `age`th birthday).
pub fn birthday(date_of_birth: Date, age: i16) -> Date {
    let year = date_of_birth.year() + age;
    let (m, d) = birthday_in(date_of_birth, year);
    date(year, m, d)
}

/// A UK public-sector financial year: 1 April to 31 March. Named by the
/// calendar year it starts in; shown as `2026-27`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FinancialYear(i16);

impl FinancialYear {
    /// The financial year starting on 1 April of `start_year`.
    pub fn starting(start_year: i16) -> Self {
        FinancialYear(start_year)
    }

    /// The financial year that `day` falls in.
    pub fn containing(day: Date) -> Self {
        if day.month() >= 4 { FinancialYear(day.year()) } else { FinancialYear(day.year() - 1) }
    }

    /// 1 April.
    pub fn first_day(self) -> Date {
        date(self.0, 4, 1)
    }

    /// 31 March of the next calendar year.
    pub fn last_day(self) -> Date {
        date(self.0 + 1, 3, 31)
    }

    /// 365, or 366 when the year includes a 29 February.
    pub fn days(self) -> i32 {
        if date(self.0 + 1, 2, 1).days_in_month() == 29 { 366 } else { 365 }
    }

    /// Whether `day` falls within this year.
    pub fn contains(self, day: Date) -> bool {
        self.first_day() <= day && day <= self.last_day()
    }

    /// The next financial year.
    pub fn next(self) -> Self {
        FinancialYear(self.0 + 1)
    }
}

/// As its name, `2026-27`.
impl serde::Serialize for FinancialYear {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl fmt::Display for FinancialYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.0, (self.0 + 1).rem_euclid(100))
    }
}

impl FromStr for FinancialYear {
    type Err = &'static str;
    /// Accepts `2026-27` or `2026/27`; the second year must follow the first.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const MSG: &str = "enter a financial year like 2026-27";
        let s = s.trim();
        let (a, b) = s.split_once(['-', '/']).ok_or(MSG)?;
        let start: i16 = a.parse().map_err(|_| MSG)?;
        let end: i16 = b.parse().map_err(|_| MSG)?;
        if a.len() != 4 || b.len() != 2 || !(1900..=2999).contains(&start) || end != (start + 1) % 100 {
            return Err(MSG);
        }
        Ok(FinancialYear(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_days_crosses_months_and_leap_days_and_stops_at_the_calendar_s_ends() {
        let d = |y, m, day| Date::new(y, m, day).unwrap();
        assert_eq!(plus_days(d(2028, 2, 28), 1), d(2028, 2, 29));
        assert_eq!(plus_days(d(2027, 2, 28), 1), d(2027, 3, 1));
        assert_eq!(plus_days(d(2026, 11, 22), 28), d(2026, 12, 20));
        assert_eq!(plus_days(d(2026, 1, 1), -1), d(2025, 12, 31));
        assert_eq!(plus_days(Date::MAX, 1), Date::MAX);
        assert_eq!(plus_days(Date::MIN, -1), Date::MIN);
    }
    use proptest::prelude::*;

    #[test]
    fn financial_years_run_april_to_march() {
        assert_eq!(FinancialYear::containing(date(2026, 4, 1)), FinancialYear::starting(2026));
        assert_eq!(FinancialYear::containing(date(2026, 3, 31)), FinancialYear::starting(2025));
        assert_eq!(FinancialYear::containing(date(2026, 12, 31)), FinancialYear::starting(2026));
        assert_eq!(FinancialYear::starting(2026).to_string(), "2026-27");
        assert_eq!(FinancialYear::starting(1999).to_string(), "1999-00");
        assert_eq!(FinancialYear::starting(2026).last_day(), date(2027, 3, 31));
    }

    #[test]
    fn a_financial_year_has_366_days_when_it_holds_29_february() {
        assert_eq!(FinancialYear::starting(2027).days(), 366); // includes 29 Feb 2028
        assert_eq!(FinancialYear::starting(2028).days(), 365); // 29 Feb 2028 is in 2027-28
        assert_eq!(FinancialYear::starting(2026).days(), 365);
        assert_eq!(FinancialYear::starting(2099).days(), 365); // 2100 is not a leap year
    }

    #[test]
    fn financial_years_parse_both_spellings() {
        assert_eq!("2026-27".parse(), Ok(FinancialYear::starting(2026)));
        assert_eq!("2026/27".parse(), Ok(FinancialYear::starting(2026)));
        assert_eq!("1999-00".parse(), Ok(FinancialYear::starting(1999)));
        for bad in ["2026-28", "2026", "26-27", "2026-2027", "abcd-ef", ""] {
            assert!(bad.parse::<FinancialYear>().is_err(), "{bad}");
        }
    }

    #[test]
    fn age_turns_over_on_the_birthday() {
        let dob = date(2010, 6, 15);
        assert_eq!(age_on(dob, date(2026, 6, 14)), Some(15));
        assert_eq!(age_on(dob, date(2026, 6, 15)), Some(16));
        assert_eq!(age_on(dob, dob), Some(0));
        assert_eq!(age_on(dob, date(2010, 6, 14)), None);
    }

    #[test]
    fn a_leap_day_birthday_falls_on_1_march_in_other_years() {
        let dob = date(2008, 2, 29);
        assert_eq!(age_on(dob, date(2026, 2, 28)), Some(17));
        assert_eq!(age_on(dob, date(2026, 3, 1)), Some(18));
        assert_eq!(age_on(dob, date(2028, 2, 29)), Some(20));
        assert_eq!(birthday(dob, 18), date(2026, 3, 1));
        assert_eq!(birthday(dob, 20), date(2028, 2, 29));
    }

    #[test]
    fn the_day_turns_over_at_midnight_in_london() {
        // 23:30 UTC on 1 July is 00:30 on 2 July in British Summer Time.
        let summer: jiff::Timestamp = "2026-07-01T23:30:00Z".parse().unwrap();
        assert_eq!(date_in_england(summer), date(2026, 7, 2));
        let winter: jiff::Timestamp = "2026-12-01T23:30:00Z".parse().unwrap();
        assert_eq!(date_in_england(winter), date(2026, 12, 1));
        assert_eq!(time_in_england(summer).time(), jiff::civil::time(0, 30, 0, 0));
        assert_eq!(time_in_england(winter).time(), jiff::civil::time(23, 30, 0, 0));
    }

    #[test]
    fn dates_must_be_real_and_iso() {
        assert_eq!(parse_date("2024-02-29"), Ok(date(2024, 2, 29)));
        for bad in ["2023-02-29", "2024-13-01", "29/02/2024", "2024-2-9", "", "2024-02-29T00:00"] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn born_on_or_before_agrees_with_age_on_around_every_leap_day() {
        let days = |from: Date, n: i32| (0..n).map(move |i| from.checked_add(jiff::Span::new().days(i)).unwrap());
        for on in days(date(2024, 2, 20), 20).chain(days(date(2025, 2, 20), 20)).chain(days(date(2028, 2, 20), 20)) {
            for dob in days(date(2007, 2, 20), 20).chain(days(date(2008, 2, 20), 20)).chain(days(date(2012, 2, 20), 20))
            {
                for age in [15, 16, 17, 20] {
                    let old_enough = age_on(dob, on).is_some_and(|a| a >= age as u32);
                    assert_eq!(dob <= born_on_or_before(on, age), old_enough, "born {dob}, on {on}, age {age}");
                }
            }
        }
    }

    proptest! {
        #[test]
        fn born_on_or_before_agrees_with_age_on(on_days in 0i32..40_000, dob_days in 0i32..40_000, age in 0i16..26) {
            let on = date(1950, 1, 1).checked_add(jiff::Span::new().days(on_days)).unwrap();
            let dob = date(1950, 1, 1).checked_add(jiff::Span::new().days(dob_days)).unwrap();
            let old_enough = age_on(dob, on).is_some_and(|a| a >= age as u32);
            prop_assert_eq!(dob <= born_on_or_before(on, age), old_enough);
        }

        #[test]
        fn every_day_is_in_exactly_one_financial_year(days in 0i32..60_000) {
            let day = date(1950, 1, 1).checked_add(jiff::Span::new().days(days)).unwrap();
            let fy = FinancialYear::containing(day);
            prop_assert!(fy.contains(day));
            prop_assert!(!fy.next().contains(day));
            prop_assert_eq!(fy.first_day().until(fy.last_day()).unwrap().get_days() + 1, fy.days());
        }

        #[test]
        fn age_is_monotonic_and_counts_birthdays(dob_days in 0i32..20_000, later in 0i32..10_000) {
            let dob = date(1990, 1, 1).checked_add(jiff::Span::new().days(dob_days)).unwrap();
            let on = dob.checked_add(jiff::Span::new().days(later)).unwrap();
            let age = age_on(dob, on).unwrap();
            prop_assert!(birthday(dob, age as i16) <= on);
            prop_assert!(birthday(dob, age as i16 + 1) > on);
        }
    }
}
