//! What-if modelling: how every child's amounts would change if a new policy
//! replaced the current one.

use super::calc::{Allocation, ChildAnswers, CurrentAmounts, EvaluationError, evaluate};
use super::policy::Policy;
use crate::money::Pence;
use jiff::civil::Date;

/// Sums and counts for one stream, or for the integrated budget.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ChangeSummary {
    pub old_indicative_pence: i64,
    pub old_protected_pence: i64,
    pub new_indicative_pence: i64,
    pub new_protected_pence: i64,
    /// Children whose protected amount goes up, down, or stays the same.
    pub gain: u64,
    pub lose: u64,
    pub same: u64,
    pub become_eligible: u64,
    pub stop_being_eligible: u64,
}

impl ChangeSummary {
    fn add(&mut self, old_indicative: Pence, old: Pence, new_indicative: Pence, new: Pence) {
        self.old_indicative_pence += old_indicative.pence();
        self.old_protected_pence += old.pence();
        self.new_indicative_pence += new_indicative.pence();
        self.new_protected_pence += new.pence();
        match new.cmp(&old) {
            std::cmp::Ordering::Greater => self.gain += 1,
            std::cmp::Ordering::Less => self.lose += 1,
            std::cmp::Ordering::Equal => self.same += 1,
        }
    }
}

/// One child's change in integrated budget.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChildChange {
    pub child_id: String,
    pub old_pence: i64,
    pub new_pence: i64,
    pub change_pence: i64,
}

/// How many children's integrated budgets change by how much.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistogramBin {
    pub label: &'static str,
    /// Lower bound of the change in pence (inclusive), if any.
    pub from_pence: Option<i64>,
    /// Upper bound of the change in pence (exclusive), if any.
    pub to_pence: Option<i64>,
    pub children: u64,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Simulation {
    pub from: String,
    pub to: String,
    pub on: String,
    pub children: u64,
    /// Per stream of the new policy, by stream id.
    pub streams: Vec<(String, ChangeSummary)>,
    /// The integrated budget (sum of streams).
    pub total: ChangeSummary,
    pub histogram: Vec<HistogramBin>,
    /// The largest changes either way, largest first.
    pub largest: Vec<ChildChange>,
}

const BINS: [(&str, Option<i64>, Option<i64>); 7] = [
    ("down by £5,000 or more", None, Some(-500_000 + 1)),
    ("down by £1,000 to £4,999", Some(-500_000 + 1), Some(-100_000 + 1)),
    ("down by less than £1,000", Some(-100_000 + 1), Some(0)),
    ("no change", Some(0), Some(1)),
    ("up by less than £1,000", Some(1), Some(100_000)),
    ("up by £1,000 to £4,999", Some(100_000), Some(500_000)),
    ("up by £5,000 or more", Some(500_000), None),
];

/// How many of the largest changes to list.
pub const LARGEST: usize = 10;

#[derive(Debug)]
/// Maps each of `from`'s answers to `to`'s questions and options by id.
/// Questions or options `to` lacks become unanswered.
pub struct AnswerMap {
    /// For each question of `to`: the question index in `from`, and for each
    /// option index in `from`, the option index in `to`.
    questions: Vec<Option<(usize, Vec<Option<usize>>)>>,
}

impl AnswerMap {
    /// Builds the map once, so each child's answers map cheaply.
    pub fn new(from: &Policy, to: &Policy) -> AnswerMap {
        let questions = to
            .questions
            .iter()
            .map(|tq| {
                let fi = from.question_index(&tq.id)?;
                let options =
                    from.questions[fi].options.iter().map(|fo| tq.options.iter().position(|o| o.id == fo.id)).collect();
                Some((fi, options))
            })
            .collect();
        AnswerMap { questions }
    }

    /// `answers` (for `from`) as answers for `to`.
    pub fn map(&self, answers: &ChildAnswers) -> ChildAnswers {
        let choices = self
            .questions
            .iter()
            .map(|q| q.as_ref().and_then(|(fi, options)| answers.choices[*fi].and_then(|c| options[c])))
            .collect();
        ChildAnswers { child_id: answers.child_id.clone(), date_of_birth: answers.date_of_birth, choices }
    }
}

/// Compares `from` and `to` over every child. `answers` are for `from`;
/// `current` holds each child's current amounts (the same for both, so
/// protection is measured from what children get now).
pub fn simulate(
    from: &Policy,
    to: &Policy,
    answers: &[ChildAnswers],
    current: &CurrentAmounts,
    on: Date,
) -> Result<Simulation, EvaluationError> {
    let map = AnswerMap::new(from, to);
    let mut streams: Vec<(String, ChangeSummary)> =
        to.streams.iter().map(|s| (s.id.clone(), ChangeSummary::default())).collect();
    let mut total = ChangeSummary::default();
    let mut histogram: Vec<HistogramBin> = BINS
        .iter()
        .map(|(label, from_pence, to_pence)| HistogramBin {
            label,
            from_pence: *from_pence,
            to_pence: *to_pence,
            children: 0,
        })
        .collect();
    let mut largest: Vec<ChildChange> = Vec::with_capacity(LARGEST + 1);
    let (from_columns, to_columns) = (current.columns_for(from), current.columns_for(to));
    let old_index: Vec<Option<usize>> = to.streams.iter().map(|s| from.stream_index(&s.id)).collect();
    for (i, child) in answers.iter().enumerate() {
        let old_current = current.for_child(i, &from_columns);
        let new_current = current.for_child(i, &to_columns);
        let old = evaluate(from, child, on, &old_current)?;
        let new = evaluate(to, &map.map(child), on, &new_current)?;
        for (((_, summary), after), before) in streams.iter_mut().zip(&new.streams).zip(&old_index) {
            let before = before.map(|fi| &old.streams[fi]);
            let (old_ind, old_prot, was_eligible) =
                before.map_or((Pence::ZERO, Pence::ZERO, false), |b| (b.indicative, b.protected, b.eligible));
            summary.add(old_ind, old_prot, after.indicative, after.protected);
            match (was_eligible, after.eligible) {
                (false, true) => summary.become_eligible += 1,
                (true, false) => summary.stop_being_eligible += 1,
                _ => {}
            }
        }
        let sum_indicative = |a: &Allocation| Pence::new(a.streams.iter().map(|s| s.indicative.pence()).sum());
        total.add(sum_indicative(&old), old.integrated, sum_indicative(&new), new.integrated);
        let was = old.streams.iter().any(|s| s.eligible);
        let is = new.streams.iter().any(|s| s.eligible);
        match (was, is) {
            (false, true) => total.become_eligible += 1,
            (true, false) => total.stop_being_eligible += 1,
            _ => {}
        }
        let change = new.integrated.pence() - old.integrated.pence();
        if let Some(bin) = histogram
            .iter_mut()
            .find(|b| b.from_pence.is_none_or(|f| change >= f) && b.to_pence.is_none_or(|t| change < t))
        {
            bin.children += 1;
        }
        if change != 0 && (largest.len() < LARGEST || change.abs() > largest.last().map_or(0, |c| c.change_pence.abs()))
        {
            largest.push(ChildChange {
                child_id: child.child_id.clone(),
                old_pence: old.integrated.pence(),
                new_pence: new.integrated.pence(),
                change_pence: change,
            });
            largest.sort_by(|a, b| {
                b.change_pence.abs().cmp(&a.change_pence.abs()).then_with(|| a.child_id.cmp(&b.child_id))
            });
            largest.truncate(LARGEST);
        }
    }
    Ok(Simulation {
        from: format!("{} {}", from.id, from.version),
        to: format!("{} {}", to.id, to.version),
        on: on.to_string(),
        children: answers.len() as u64,
        streams,
        total,
        histogram,
        largest,
    })
}
