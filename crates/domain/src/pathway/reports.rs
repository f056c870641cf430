//! Area reports worked out from the pathway: how long children wait at
//! each step.

use crate::pathway::record::PathwayStep;
use jiff::civil::Date;
use std::collections::BTreeMap;

/// How long children wait at one step.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct StepWait {
    /// Stays at this step that have ended.
    pub finished: u64,
    /// The median length of those stays in days (for an even count, the
    /// lower of the two middle values, so it is always a real stay).
    pub median_days: Option<i64>,
    /// Children at this step now.
    pub waiting_now: u64,
    /// The longest any of them has been there, in days.
    pub longest_now_days: Option<i64>,
}

/// Each step's waits, from every child's step history (the days each
/// step was entered, in order) as of `today`.
pub fn step_waits(histories: &[Vec<(PathwayStep, Date)>], today: Date) -> BTreeMap<PathwayStep, StepWait> {
    let mut stays: BTreeMap<PathwayStep, Vec<i64>> = BTreeMap::new();
    let mut waits: BTreeMap<PathwayStep, StepWait> =
        PathwayStep::ALL.iter().map(|s| (*s, StepWait::default())).collect();
    for history in histories {
        for pair in history.windows(2) {
            let ((step, from), (_, to)) = (pair[0], pair[1]);
            stays.entry(step).or_default().push((to - from).get_days().into());
        }
        if let Some((step, from)) = history.last() {
            let w = waits.get_mut(step).expect("every step");
            let days = i64::from((today - *from).get_days());
            w.waiting_now += 1;
            w.longest_now_days = Some(w.longest_now_days.map_or(days, |d| d.max(days)));
        }
    }
    for (step, mut days) in stays {
        days.sort_unstable();
        let w = waits.get_mut(&step).expect("every step");
        w.finished = days.len() as u64;
        w.median_days = days.get((days.len() - 1) / 2).copied();
    }
    waits
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn stays_are_measured_in_calendar_days_and_the_current_wait_counts_to_today() {
        use PathwayStep::*;
        let histories = vec![
            vec![
                (NeedIdentified, date(2026, 1, 1)),
                (IndicativeBudget, date(2026, 1, 11)),
                (SupportPlan, date(2026, 3, 1)),
            ],
            vec![(NeedIdentified, date(2026, 2, 28)), (IndicativeBudget, date(2026, 3, 2))],
            vec![(NeedIdentified, date(2024, 2, 28)), (IndicativeBudget, date(2024, 3, 2))],
            vec![(NeedIdentified, date(2026, 11, 1))],
        ];
        let w = step_waits(&histories, date(2026, 11, 22));
        assert_eq!(w[&NeedIdentified].finished, 3);
        assert_eq!(w[&NeedIdentified].median_days, Some(3), "stays of 10, 2 and 3 days (2024 is a leap year)");
        assert_eq!(w[&NeedIdentified].waiting_now, 1);
        assert_eq!(w[&NeedIdentified].longest_now_days, Some(21));
        assert_eq!(w[&IndicativeBudget].median_days, Some(49), "1 Jan–1 Mar 2026 less the first ten days");
        assert_eq!(w[&IndicativeBudget].waiting_now, 2);
        assert_eq!(w[&SupportPlan].longest_now_days, Some(266));
        assert_eq!(w[&Review], StepWait::default());
    }
}
