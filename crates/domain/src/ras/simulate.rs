//! What-if modelling: how every child's amounts would change if a new policy
//! replaced the current one.

use super::calc::{Allocation, ChildAnswers, CurrentAmounts, EvaluationError, evaluate_into};
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
    fn merge(&mut self, other: &ChangeSummary) {
        self.old_indicative_pence += other.old_indicative_pence;
        self.old_protected_pence += other.old_protected_pence;
        self.new_indicative_pence += other.new_indicative_pence;
        self.new_protected_pence += other.new_protected_pence;
        self.gain += other.gain;
        self.lose += other.lose;
        self.same += other.same;
        self.become_eligible += other.become_eligible;
        self.stop_being_eligible += other.stop_being_eligible;
    }

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

/// A stored answer that no longer fits the current policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("child {reference}: the stored answers do not fit policy {policy}: {problem}")]
pub struct PopulationError {
    pub reference: String,
    pub policy: String,
    pub problem: crate::Invalid,
}

/// The population to model: each child's latest stored questionnaire as
/// answers to `from`, and what each gets now in the columns `streams`.
pub fn population(
    from: &Policy,
    streams: Vec<String>,
    latest: &[(crate::ChildReference, Date, super::record::StoredAllocation)],
) -> Result<(Vec<ChildAnswers>, CurrentAmounts), PopulationError> {
    let mut answers = Vec::with_capacity(latest.len());
    let mut current = CurrentAmounts::new(streams, latest.len());
    for (i, (reference, date_of_birth, stored)) in latest.iter().enumerate() {
        let child = from.answers_from_ids(reference.as_str(), *date_of_birth, &stored.answers).map_err(|problem| {
            PopulationError {
                reference: reference.to_string(),
                policy: format!("{} {}", from.id, from.version),
                problem,
            }
        })?;
        answers.push(child);
        for column in 0..current.streams.len() {
            if let Some(amount) = stored.current.get(&current.streams[column]) {
                current.set(i, column, *amount);
            }
        }
    }
    Ok((answers, current))
}

/// How many of the largest changes to list.
pub const LARGEST: usize = 10;

#[derive(Debug)]
/// Maps each of `from`'s answers to `to`'s questions and options by id.
/// Questions or options `to` lacks become unanswered.
pub struct AnswerMap {
    /// For each question of `to`: the question index in `from`, and for each
    /// option index in `from`, the option index in `to`.
    questions: Vec<Option<(usize, Vec<Option<usize>>)>>,
    /// The two questionnaires are the same (the usual what-if: only amounts
    /// change), so answers need no mapping at all.
    identity: bool,
}

impl AnswerMap {
    /// Builds the map once, so each child's answers map cheaply.
    pub fn new(from: &Policy, to: &Policy) -> AnswerMap {
        let questions = to
            .questions
            .iter()
            .map(|tq| {
                let fi = from.question_index(&tq.id)?;
                let options: Vec<Option<usize>> =
                    from.questions[fi].options.iter().map(|fo| tq.options.iter().position(|o| o.id == fo.id)).collect();
                Some((fi, options))
            })
            .collect::<Vec<_>>();
        let identity = from.questions.len() == to.questions.len()
            && questions.iter().enumerate().all(|(i, q)| {
                q.as_ref()
                    .is_some_and(|(fi, options)| *fi == i && options.iter().enumerate().all(|(o, to)| *to == Some(o)))
            });
        AnswerMap { questions, identity }
    }

    /// `answers` (for `from`) as choices for `to`: the answers themselves
    /// when the questionnaires are the same, else mapped into `into`.
    pub fn map<'a>(&self, answers: &'a ChildAnswers, into: &'a mut Vec<Option<usize>>) -> &'a [Option<usize>] {
        if self.identity {
            return &answers.choices;
        }
        into.clear();
        into.extend(
            self.questions
                .iter()
                .map(|q| q.as_ref().and_then(|(fi, options)| answers.choices[*fi].and_then(|c| options[c]))),
        );
        into
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
    Baseline::new(from, answers, current, on)?.compare(to)
}

/// What every child gets under the current policy, worked out once, so
/// that any number of what-if policies can be compared with it (as the
/// commissioner's what-if page does each time a band amount changes).
#[derive(Debug)]
pub struct Baseline<'a> {
    from: &'a Policy,
    answers: &'a [ChildAnswers],
    current: &'a CurrentAmounts,
    on: Date,
    /// Per child, per stream of `from`: (indicative, protected, eligible).
    results: Vec<(Pence, Pence, bool)>,
}

/// How many children a thread takes at a time.
const BLOCK: usize = 8192;

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8)
}

impl<'a> Baseline<'a> {
    /// Evaluates every child under `from`, on the machine's cores.
    pub fn new(
        from: &'a Policy,
        answers: &'a [ChildAnswers],
        current: &'a CurrentAmounts,
        on: Date,
    ) -> Result<Baseline<'a>, EvaluationError> {
        let width = from.streams.len();
        let mut results = vec![(Pence::ZERO, Pence::ZERO, false); answers.len() * width];
        let size = answers.len().div_ceil(threads()).max(1);
        let columns = current.columns_for(from);
        std::thread::scope(|scope| {
            let workers: Vec<_> = results
                .chunks_mut(size * width)
                .enumerate()
                .map(|(n, out)| {
                    let columns = &columns;
                    scope.spawn(move || -> Result<(), EvaluationError> {
                        let mut amounts = Vec::new();
                        let mut allocation = Allocation { age: 0, streams: Vec::new(), integrated: Pence::ZERO };
                        for (k, row) in out.chunks_mut(width.max(1)).enumerate() {
                            let i = n * size + k;
                            let child = &answers[i];
                            current.for_child_into(i, columns, &mut amounts);
                            evaluate_into(
                                from,
                                &child.child_id,
                                child.date_of_birth,
                                &child.choices,
                                on,
                                &amounts,
                                &mut allocation,
                            )?;
                            for (cell, s) in row.iter_mut().zip(&allocation.streams) {
                                *cell = (s.indicative, s.protected, s.eligible);
                            }
                        }
                        Ok(())
                    })
                })
                .collect();
            workers.into_iter().try_for_each(|w| w.join().expect("baseline thread"))
        })?;
        Ok(Baseline { from, answers, current, on, results })
    }

    /// What would change under `to`. Threads take blocks of children in
    /// turn until none are left, so a thread slowed by the machine's other
    /// work does not hold up the rest; the result does not depend on how.
    pub fn compare(&self, to: &Policy) -> Result<Simulation, EvaluationError> {
        let (from, answers, on) = (self.from, self.answers, self.on);
        let next = std::sync::atomic::AtomicUsize::new(0);
        let parts = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads())
                .map(|_| {
                    scope.spawn(|| {
                        let mut part = Part::new(to);
                        loop {
                            let first = next.fetch_add(BLOCK, std::sync::atomic::Ordering::Relaxed);
                            if first >= answers.len() {
                                return Ok(part);
                            }
                            self.compare_block(to, first..(first + BLOCK).min(answers.len()), &mut part)?;
                        }
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().expect("simulation thread")).collect::<Result<Vec<_>, _>>()
        })?;
        let mut whole = Part::new(to);
        for part in parts {
            for ((_, a), (_, b)) in whole.streams.iter_mut().zip(&part.streams) {
                a.merge(b);
            }
            whole.total.merge(&part.total);
            for (a, b) in whole.histogram.iter_mut().zip(&part.histogram) {
                a.children += b.children;
            }
            whole.largest.extend(part.largest);
        }
        sort_largest(&mut whole.largest);
        Ok(Simulation {
            from: format!("{} {}", from.id, from.version),
            to: format!("{} {}", to.id, to.version),
            on: on.to_string(),
            children: answers.len() as u64,
            streams: whole.streams,
            total: whole.total,
            histogram: whole.histogram,
            largest: whole.largest,
        })
    }
}

/// The largest changes first (ties by child id, so the list is stable), at
/// most [`LARGEST`].
fn sort_largest(largest: &mut Vec<ChildChange>) {
    largest.sort_by(|a, b| b.change_pence.abs().cmp(&a.change_pence.abs()).then_with(|| a.child_id.cmp(&b.child_id)));
    largest.truncate(LARGEST);
}

/// One share of the children's results.
struct Part {
    streams: Vec<(String, ChangeSummary)>,
    total: ChangeSummary,
    histogram: Vec<HistogramBin>,
    largest: Vec<ChildChange>,
}

impl Part {
    fn new(to: &Policy) -> Part {
        Part {
            streams: to.streams.iter().map(|s| (s.id.clone(), ChangeSummary::default())).collect(),
            total: ChangeSummary::default(),
            histogram: BINS
                .iter()
                .map(|(label, from_pence, to_pence)| HistogramBin {
                    label,
                    from_pence: *from_pence,
                    to_pence: *to_pence,
                    children: 0,
                })
                .collect(),
            largest: Vec::with_capacity(LARGEST + 1),
        }
    }
}

impl Baseline<'_> {
    /// Compares the children in `range` under `to` with the baseline,
    /// adding to `part`.
    fn compare_block(
        &self,
        to: &Policy,
        range: std::ops::Range<usize>,
        part: &mut Part,
    ) -> Result<(), EvaluationError> {
        let map = AnswerMap::new(self.from, to);
        let to_columns = self.current.columns_for(to);
        let old_index: Vec<Option<usize>> = to.streams.iter().map(|s| self.from.stream_index(&s.id)).collect();
        let width = self.from.streams.len();
        // Buffers reused for every child.
        let mut mapped = Vec::with_capacity(to.questions.len());
        let mut new_current = Vec::new();
        let mut new = Allocation { age: 0, streams: Vec::new(), integrated: Pence::ZERO };
        for i in range {
            let child = &self.answers[i];
            let old = &self.results[i * width..(i + 1) * width];
            self.current.for_child_into(i, &to_columns, &mut new_current);
            let choices = map.map(child, &mut mapped);
            evaluate_into(to, &child.child_id, child.date_of_birth, choices, self.on, &new_current, &mut new)?;
            for (((_, summary), after), before) in part.streams.iter_mut().zip(&new.streams).zip(&old_index) {
                let (old_ind, old_prot, was_eligible) = before.map_or((Pence::ZERO, Pence::ZERO, false), |fi| old[fi]);
                summary.add(old_ind, old_prot, after.indicative, after.protected);
                match (was_eligible, after.eligible) {
                    (false, true) => summary.become_eligible += 1,
                    (true, false) => summary.stop_being_eligible += 1,
                    _ => {}
                }
            }
            let old_integrated: i64 = old.iter().map(|(_, p, _)| p.pence()).sum();
            let old_indicative: i64 = old.iter().map(|(ind, _, _)| ind.pence()).sum();
            let new_indicative: i64 = new.streams.iter().map(|s| s.indicative.pence()).sum();
            part.total.add(
                Pence::new(old_indicative),
                Pence::new(old_integrated),
                Pence::new(new_indicative),
                new.integrated,
            );
            match (old.iter().any(|(_, _, e)| *e), new.streams.iter().any(|s| s.eligible)) {
                (false, true) => part.total.become_eligible += 1,
                (true, false) => part.total.stop_being_eligible += 1,
                _ => {}
            }
            let change = new.integrated.pence() - old_integrated;
            if let Some(bin) = part
                .histogram
                .iter_mut()
                .find(|b| b.from_pence.is_none_or(|f| change >= f) && b.to_pence.is_none_or(|t| change < t))
            {
                bin.children += 1;
            }
            let smallest_kept = part.largest.last().map_or(0, |c| c.change_pence.abs());
            if change != 0 && (part.largest.len() < LARGEST || change.abs() >= smallest_kept) {
                part.largest.push(ChildChange {
                    child_id: child.child_id.clone(),
                    old_pence: old_integrated,
                    new_pence: new.integrated.pence(),
                    change_pence: change,
                });
                sort_largest(&mut part.largest);
            }
        }
        Ok(())
    }
}
