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
/// protection is measured from what children get now). The children are
/// shared between the machine's cores; the result does not depend on how.
pub fn simulate(
    from: &Policy,
    to: &Policy,
    answers: &[ChildAnswers],
    current: &CurrentAmounts,
    on: Date,
) -> Result<Simulation, EvaluationError> {
    // Threads take blocks of children in turn until none are left, so a
    // thread slowed by the machine's other work does not hold up the rest.
    const BLOCK: usize = 8192;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let parts = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut part = Part::new(to);
                    loop {
                        let first = next.fetch_add(BLOCK, std::sync::atomic::Ordering::Relaxed);
                        if first >= answers.len() {
                            return Ok(part);
                        }
                        let block = &answers[first..(first + BLOCK).min(answers.len())];
                        compare(from, to, block, first, current, on, &mut part)?;
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

/// Compares the policies over `answers` (which start at child `first`),
/// adding to `part`.
fn compare(
    from: &Policy,
    to: &Policy,
    answers: &[ChildAnswers],
    first: usize,
    current: &CurrentAmounts,
    on: Date,
    part: &mut Part,
) -> Result<(), EvaluationError> {
    let map = AnswerMap::new(from, to);
    let (from_columns, to_columns) = (current.columns_for(from), current.columns_for(to));
    let old_index: Vec<Option<usize>> = to.streams.iter().map(|s| from.stream_index(&s.id)).collect();
    // Buffers reused for every child.
    let mut mapped = Vec::with_capacity(to.questions.len());
    let (mut old_current, mut new_current) = (Vec::new(), Vec::new());
    let mut old = Allocation { age: 0, streams: Vec::new(), integrated: Pence::ZERO };
    let mut new = old.clone();
    for (j, child) in answers.iter().enumerate() {
        let i = first + j;
        current.for_child_into(i, &from_columns, &mut old_current);
        current.for_child_into(i, &to_columns, &mut new_current);
        evaluate_into(from, &child.child_id, child.date_of_birth, &child.choices, on, &old_current, &mut old)?;
        let choices = map.map(child, &mut mapped);
        evaluate_into(to, &child.child_id, child.date_of_birth, choices, on, &new_current, &mut new)?;
        for (((_, summary), after), before) in part.streams.iter_mut().zip(&new.streams).zip(&old_index) {
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
        part.total.add(sum_indicative(&old), old.integrated, sum_indicative(&new), new.integrated);
        match (old.streams.iter().any(|s| s.eligible), new.streams.iter().any(|s| s.eligible)) {
            (false, true) => part.total.become_eligible += 1,
            (true, false) => part.total.stop_being_eligible += 1,
            _ => {}
        }
        let change = new.integrated.pence() - old.integrated.pence();
        if let Some(bin) = part
            .histogram
            .iter_mut()
            .find(|b| b.from_pence.is_none_or(|f| change >= f) && b.to_pence.is_none_or(|t| change < t))
        {
            bin.children += 1;
        }
        let smallest_kept = part.largest.last().map_or(0, |c| c.change_pence.abs());
        if change != 0 && (part.largest.len() < LARGEST || change.abs() > smallest_kept) {
            part.largest.push(ChildChange {
                child_id: child.child_id.clone(),
                old_pence: old.integrated.pence(),
                new_pence: new.integrated.pence(),
                change_pence: change,
            });
            sort_largest(&mut part.largest);
        }
    }
    Ok(())
}
