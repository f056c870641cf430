//! Statutory clocks and review dates.
//!
//! Every date here is a calendar date in England; the arithmetic never
//! touches time zones. "Within N weeks" of a request means on or before the
//! date N × 7 days after it (SEND Regulations 2014). Where adding months
//! lands on a day the month lacks (29 February in a common year, 31 April),
//! the date moves back to the month's last day: a deadline is never later
//! than the rule allows.

use crate::dates::{birthday, plus_days};
use jiff::Span;
use jiff::civil::Date;

/// The local authority decides whether to assess within 6 weeks of the
/// request (regulation 5).
pub const DECISION_TO_ASSESS_WEEKS: i64 = 6;
/// The final EHC plan is issued within 20 weeks of the request
/// (regulation 13).
pub const FINAL_PLAN_WEEKS: i64 = 20;
/// The family has at least 15 calendar days to comment on a draft plan
/// (regulation 13).
pub const DRAFT_COMMENT_DAYS: i64 = 15;
/// An EHC plan is reviewed at least every 12 months (regulation 18).
pub const ANNUAL_REVIEW_MONTHS: i64 = 12;
/// A direct payment is first reviewed within 3 months of the first payment.
pub const FIRST_DP_REVIEW_MONTHS: i64 = 3;

fn plus_months(d: Date, months: i64) -> Date {
    // jiff clamps to the last day of the month, which is what we want.
    d.checked_add(Span::new().months(months)).expect("dates in range")
}

/// The statutory deadlines that run from a request for an EHC needs
/// assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct EhcClock {
    pub request_received: Date,
    /// The decision whether to assess is due on or before this date.
    pub decision_due: Date,
    /// The final plan is due on or before this date.
    pub final_plan_due: Date,
}

impl EhcClock {
    pub fn from_request(request_received: Date) -> EhcClock {
        EhcClock {
            request_received,
            decision_due: plus_days(request_received, DECISION_TO_ASSESS_WEEKS * 7),
            final_plan_due: plus_days(request_received, FINAL_PLAN_WEEKS * 7),
        }
    }

    /// Whether a final plan issued on `issued` met the 20-week limit.
    pub fn issued_in_time(&self, issued: Date) -> bool {
        issued <= self.final_plan_due
    }
}

/// The earliest date the final plan may be issued after a draft sent on
/// `draft_sent`: the family has 15 whole days to comment, so not before the
/// 16th day.
pub fn earliest_final_after_draft(draft_sent: Date) -> Date {
    plus_days(draft_sent, DRAFT_COMMENT_DAYS + 1)
}

/// The last day of the family's comment period on a draft sent on
/// `draft_sent`.
pub fn comments_close(draft_sent: Date) -> Date {
    plus_days(draft_sent, DRAFT_COMMENT_DAYS)
}

/// The annual review is due 12 months after the plan was finalised or last
/// reviewed.
pub fn annual_review_due(finalised_or_last_reviewed: Date) -> Date {
    plus_months(finalised_or_last_reviewed, ANNUAL_REVIEW_MONTHS)
}

/// A direct payment's first review is due within 3 months of the first
/// payment.
pub fn first_dp_review_due(first_payment: Date) -> Date {
    plus_months(first_payment, FIRST_DP_REVIEW_MONTHS)
}

/// The first day of the school year (1 September to 31 August) that holds
/// `day`.
pub fn school_year_start(day: Date) -> Date {
    let year = if day.month() >= 9 { day.year() } else { day.year() - 1 };
    jiff::civil::date(year, 9, 1)
}

/// Planning for adulthood starts with the school year in which the young
/// person turns 14 (the Year 9 review).
pub fn preparing_for_adulthood_from(date_of_birth: Date) -> Date {
    school_year_start(birthday(date_of_birth, 14))
}

/// How long ahead the move to adult services (at 18) and the end of the EHC
/// plan (at 25) are flagged, so that planning starts in time.
pub const TRANSITION_NOTICE_MONTHS: i64 = 12;

/// The transitions the worklists flag, each from a year before it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Transitions {
    pub preparing_for_adulthood_from: Date,
    /// The 18th birthday: the move to adult services.
    pub adult_services_on: Date,
    pub adult_services_flag_from: Date,
    /// The 25th birthday: EHC plans end (at the end of that school year at
    /// the latest).
    pub plan_ends_on: Date,
    pub plan_end_flag_from: Date,
}

impl Transitions {
    pub fn for_birth(date_of_birth: Date) -> Transitions {
        let adult = birthday(date_of_birth, 18);
        let end = birthday(date_of_birth, 25);
        Transitions {
            preparing_for_adulthood_from: preparing_for_adulthood_from(date_of_birth),
            adult_services_on: adult,
            adult_services_flag_from: plus_months(adult, -TRANSITION_NOTICE_MONTHS),
            plan_ends_on: end,
            plan_end_flag_from: plus_months(end, -TRANSITION_NOTICE_MONTHS),
        }
    }
}

/// Where a deadline stands on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Past its date and not done.
    Overdue,
    /// Due today or in the next six days.
    DueThisWeek,
    /// Later.
    Later,
}

/// How many days "due this week" looks ahead, today included.
pub const THIS_WEEK_DAYS: i64 = 7;

/// Where a deadline on `due` stands on `today`.
pub fn urgency(due: Date, today: Date) -> Urgency {
    if due < today {
        Urgency::Overdue
    } else if due < plus_days(today, THIS_WEEK_DAYS) {
        Urgency::DueThisWeek
    } else {
        Urgency::Later
    }
}

/// The share of final plans issued within 20 weeks, as the DfE publishes it:
/// `(in time, issued)`, both with and without the plans whose lateness was
/// an allowed exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct TwentyWeekFigures {
    pub issued: u64,
    pub in_time: u64,
    /// Plans issued, leaving out those with a recorded exception.
    pub issued_excluding_exceptions: u64,
    pub in_time_excluding_exceptions: u64,
}

impl TwentyWeekFigures {
    /// Counts one issued plan.
    pub fn add(&mut self, clock: &EhcClock, issued: Date, exception: bool) {
        let on_time = clock.issued_in_time(issued);
        self.issued += 1;
        self.in_time += u64::from(on_time);
        if !exception {
            self.issued_excluding_exceptions += 1;
            self.in_time_excluding_exceptions += u64::from(on_time);
        }
    }

    /// The percentage in time, in tenths of a percent, rounded half up (the
    /// DfE publishes one decimal place); `None` when nothing was issued.
    pub fn per_mille(in_time: u64, issued: u64) -> Option<u64> {
        (issued > 0).then(|| (in_time * 1000 * 2 + issued) / (issued * 2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_ehc_clock_counts_whole_weeks_from_the_request() {
        let c = EhcClock::from_request(date(2026, 1, 5));
        assert_eq!(c.decision_due, date(2026, 2, 16));
        assert_eq!(c.final_plan_due, date(2026, 5, 25));
        assert!(c.issued_in_time(date(2026, 5, 25)), "on the day is within 20 weeks");
        assert!(!c.issued_in_time(date(2026, 5, 26)));
    }

    #[test]
    fn the_clock_crosses_month_year_and_leap_days_by_calendar_days() {
        // Over 29 February 2028.
        let c = EhcClock::from_request(date(2028, 2, 1));
        assert_eq!(c.decision_due, date(2028, 3, 14));
        assert_eq!(c.final_plan_due, date(2028, 6, 20));
        // Over the new year.
        let c = EhcClock::from_request(date(2026, 12, 31));
        assert_eq!(c.decision_due, date(2027, 2, 11));
        assert_eq!(c.final_plan_due, date(2027, 5, 20));
        // Every request: the deadlines are exactly 42 and 140 days on.
        let mut d = date(2024, 1, 1);
        while d < date(2029, 1, 1) {
            let c = EhcClock::from_request(d);
            assert_eq!(d.until(c.decision_due).unwrap().get_days(), 42);
            assert_eq!(d.until(c.final_plan_due).unwrap().get_days(), 140);
            d = plus_days(d, 1);
        }
    }

    #[test]
    fn the_family_has_15_whole_days_on_a_draft() {
        assert_eq!(comments_close(date(2026, 2, 20)), date(2026, 3, 7));
        assert_eq!(earliest_final_after_draft(date(2026, 2, 20)), date(2026, 3, 8));
        assert_eq!(comments_close(date(2028, 2, 20)), date(2028, 3, 6), "29 February counts as a day");
    }

    #[test]
    fn reviews_fall_due_by_calendar_months_never_late() {
        assert_eq!(annual_review_due(date(2026, 3, 15)), date(2027, 3, 15));
        assert_eq!(annual_review_due(date(2028, 2, 29)), date(2029, 2, 28), "no 29 February: the 28th");
        assert_eq!(first_dp_review_due(date(2026, 11, 30)), date(2027, 2, 28));
        assert_eq!(first_dp_review_due(date(2027, 11, 30)), date(2028, 2, 29));
        assert_eq!(first_dp_review_due(date(2026, 10, 31)), date(2027, 1, 31));
        assert_eq!(first_dp_review_due(date(2026, 12, 31)), date(2027, 3, 31));
    }

    #[test]
    fn planning_for_adulthood_starts_in_the_school_year_of_the_14th_birthday() {
        // Born 10 March 2013: turns 14 on 10 March 2027, in the school year
        // that began on 1 September 2026 (Year 9).
        assert_eq!(preparing_for_adulthood_from(date(2013, 3, 10)), date(2026, 9, 1));
        // Born 1 September 2012: 14 on 1 September 2026, the first day of
        // that school year.
        assert_eq!(preparing_for_adulthood_from(date(2012, 9, 1)), date(2026, 9, 1));
        // Born 31 August 2013: 14 on 31 August 2027, the last day of it.
        assert_eq!(preparing_for_adulthood_from(date(2013, 8, 31)), date(2026, 9, 1));
        // Born 29 February 2012: 14 on 1 March 2026 (a common year).
        assert_eq!(preparing_for_adulthood_from(date(2012, 2, 29)), date(2025, 9, 1));
    }

    #[test]
    fn adult_services_and_the_end_of_the_plan_are_flagged_a_year_ahead() {
        let t = Transitions::for_birth(date(2009, 2, 28));
        assert_eq!(t.adult_services_on, date(2027, 2, 28));
        assert_eq!(t.adult_services_flag_from, date(2026, 2, 28));
        assert_eq!(t.plan_ends_on, date(2034, 2, 28));
        assert_eq!(t.plan_end_flag_from, date(2033, 2, 28));
        let leap = Transitions::for_birth(date(2008, 2, 29));
        assert_eq!(leap.adult_services_on, date(2026, 3, 1), "a 29 February birthday falls on 1 March");
    }

    #[test]
    fn due_this_week_means_today_and_the_next_six_days() {
        let today = date(2026, 11, 22);
        assert_eq!(urgency(date(2026, 11, 21), today), Urgency::Overdue);
        assert_eq!(urgency(today, today), Urgency::DueThisWeek);
        assert_eq!(urgency(date(2026, 11, 28), today), Urgency::DueThisWeek);
        assert_eq!(urgency(date(2026, 11, 29), today), Urgency::Later);
        // Across the year end.
        assert_eq!(urgency(date(2027, 1, 2), date(2026, 12, 30)), Urgency::DueThisWeek);
    }

    #[test]
    fn the_twenty_week_figure_is_published_with_and_without_exceptions() {
        let mut f = TwentyWeekFigures::default();
        let clock = EhcClock::from_request(date(2026, 1, 5));
        f.add(&clock, date(2026, 5, 25), false);
        f.add(&clock, date(2026, 5, 26), false);
        f.add(&clock, date(2026, 6, 30), true);
        assert_eq!((f.issued, f.in_time), (3, 1));
        assert_eq!((f.issued_excluding_exceptions, f.in_time_excluding_exceptions), (2, 1));
        assert_eq!(TwentyWeekFigures::per_mille(1, 3), Some(333), "33.3%");
        assert_eq!(TwentyWeekFigures::per_mille(2, 3), Some(667), "66.7%, half up");
        assert_eq!(TwentyWeekFigures::per_mille(1, 8), Some(125));
        assert_eq!(TwentyWeekFigures::per_mille(1, 16), Some(63), "6.25% → 6.3%");
        assert_eq!(TwentyWeekFigures::per_mille(0, 0), None);
    }
}
