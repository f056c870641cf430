//! Dates and instants counted back from the demo's "today".
//!
//! The demo never reads the clock: every date is `today` minus a whole
//! number of days, and every instant is in office hours (08:00–17:59 UTC)
//! on such a day. Events happen no later than yesterday, so nothing is
//! stamped later than "now" whenever on `today` the demo is loaded.

use crate::rng::Rng;
use allot_domain::age_on;
use allot_domain::child::MAX_AGE_YEARS;
use jiff::civil::Date;
use jiff::{Span, Timestamp};

const DAY_SECONDS: i64 = 86_400;
const OFFICE_OPENS: i64 = 8 * 3600;
const OFFICE_CLOSES: i64 = 18 * 3600 - 1;

/// `today`, and the ranges of birth dates for each age on it.
#[derive(Debug, Clone)]
pub struct Clock {
    today: Date,
    /// Unix seconds at 00:00 UTC on `today`.
    midnight: i64,
    /// For each age 0–25: the fewest and most days before today someone of
    /// that age can have been born.
    born_days_ago: Vec<(i64, i64)>,
}

impl Clock {
    /// A clock for `today`.
    ///
    /// # Panics
    ///
    /// If `today` is within 30 years of the limits of `jiff`'s calendar
    /// (years −9999 and 9999), where the demo's dates cannot be built.
    pub fn new(today: Date) -> Clock {
        let midnight = today
            .to_zoned(jiff::tz::TimeZone::UTC)
            .expect("today is a date jiff can place in time")
            .timestamp()
            .as_second();
        let mut clock =
            Clock { today, midnight, born_days_ago: vec![(i64::MAX, i64::MIN); MAX_AGE_YEARS as usize + 1] };
        // Ages only change on birthdays, so scanning day by day finds each
        // age's exact range, leap days included, with no calendar reasoning.
        // A child born today is left out: nobody has a case record yet then.
        for days_ago in 1..=(i64::from(MAX_AGE_YEARS) + 1) * 366 {
            if let Some(age) = age_on(clock.date(days_ago), today).filter(|&a| a <= MAX_AGE_YEARS) {
                let range = &mut clock.born_days_ago[age as usize];
                *range = (range.0.min(days_ago), range.1.max(days_ago));
            }
        }
        clock
    }

    /// The demo's today.
    pub fn today(&self) -> Date {
        self.today
    }

    /// The date `days_ago` days before today.
    pub fn date(&self, days_ago: i64) -> Date {
        self.today.checked_sub(Span::new().days(days_ago)).expect("demo dates stay within jiff's calendar")
    }

    /// How many days before today `date` is.
    pub fn days_ago(&self, date: Date) -> i64 {
        i64::from((self.today - date).get_days())
    }

    /// A random instant in office hours, `days_ago` days before today.
    pub fn instant(&self, rng: &mut Rng, days_ago: i64) -> Timestamp {
        self.at_second(self.midnight - days_ago * DAY_SECONDS + rng.between(OFFICE_OPENS, OFFICE_CLOSES))
    }

    /// A random date of birth for someone aged `age` today, with how many
    /// days ago it was.
    pub fn birth_date(&self, rng: &mut Rng, age: u32) -> (Date, i64) {
        let (fewest, most) = self.born_days_ago[age as usize];
        let days_ago = rng.between(fewest, most);
        (self.date(days_ago), days_ago)
    }

    fn at_second(&self, second: i64) -> Timestamp {
        Timestamp::from_second(second).expect("demo instants stay within jiff's range")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn birth_dates_give_exactly_the_age_asked_for_even_around_leap_days() {
        for today in [date(2026, 11, 22), date(2028, 2, 29), date(2026, 2, 28), date(2026, 3, 1)] {
            let clock = Clock::new(today);
            let mut rng = Rng::new(3);
            for age in 0..=MAX_AGE_YEARS {
                let (fewest, most) = clock.born_days_ago[age as usize];
                assert_eq!(age_on(clock.date(fewest), today), Some(age));
                assert_eq!(age_on(clock.date(most), today), Some(age));
                assert_ne!(age_on(clock.date(most + 1), today), Some(age), "the range is the whole year of age");
                for _ in 0..50 {
                    let (dob, days_ago) = clock.birth_date(&mut rng, age);
                    assert_eq!(age_on(dob, today), Some(age));
                    assert_eq!(clock.days_ago(dob), days_ago);
                }
            }
        }
    }

    #[test]
    fn instants_fall_in_office_hours_before_today() {
        let clock = Clock::new(date(2026, 11, 22));
        let mut rng = Rng::new(9);
        for _ in 0..100 {
            let t = clock.instant(&mut rng, 1);
            assert!(t.as_second() < clock.midnight);
            let utc = t.to_zoned(jiff::tz::TimeZone::UTC);
            assert_eq!(utc.date(), date(2026, 11, 21));
            assert!((8..18).contains(&utc.hour()));
        }
    }
}
