//! The calculation for one child on one date, and its explanation.

use super::policy::{Factor, Policy};
use crate::dates::age_on;
use crate::money::Pence;
use jiff::civil::Date;
use std::fmt::Write;

/// A child's answers, by question index: the chosen option's index, or
/// `None` when unanswered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildAnswers {
    pub child_id: String,
    pub date_of_birth: Date,
    pub choices: Vec<Option<usize>>,
}

/// Children's current annual amounts, by stream id: one row per child of
/// the answers it goes with, one column per stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CurrentAmounts {
    pub streams: Vec<String>,
    amounts: Vec<Vec<Option<Pence>>>,
}

impl CurrentAmounts {
    /// For each of `policy`'s streams, the column holding its amounts.
    pub fn columns_for(&self, policy: &Policy) -> Vec<Option<usize>> {
        policy.streams.iter().map(|s| self.streams.iter().position(|id| *id == s.id)).collect()
    }

    /// The `child`th child's amounts in `policy`'s stream order, given
    /// `columns` from [`CurrentAmounts::columns_for`].
    pub fn for_child(&self, child: usize, columns: &[Option<usize>]) -> Vec<Option<Pence>> {
        let mut into = Vec::with_capacity(columns.len());
        self.for_child_into(child, columns, &mut into);
        into
    }

    /// [`CurrentAmounts::for_child`] into a buffer the caller reuses.
    pub fn for_child_into(&self, child: usize, columns: &[Option<usize>], into: &mut Vec<Option<Pence>>) {
        let row = self.amounts.get(child);
        into.clear();
        into.extend(columns.iter().map(|c| c.and_then(|c| row.and_then(|r| r[c]))));
    }

    /// No amounts yet for `children` children in `streams`.
    pub fn new(streams: Vec<String>, children: usize) -> CurrentAmounts {
        CurrentAmounts { amounts: vec![vec![None; streams.len()]; children], streams }
    }

    /// Sets a child's amount for the stream in `column`; returns the amount
    /// it replaces.
    pub fn set(&mut self, child: usize, column: usize, amount: Pence) -> Option<Pence> {
        self.amounts[child][column].replace(amount)
    }
}

/// Why a child's allocation cannot be calculated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluationError {
    #[error("child {child_id}: question {question_id:?} must be answered")]
    MissingAnswer { child_id: String, question_id: String },
    #[error("child {child_id}: is {age} on {on}, and the policy covers ages 0 to 25")]
    OutsideAgeRange { child_id: String, age: u32, on: Date },
    #[error("child {child_id}: the date of birth is after the calculation date {on}")]
    NotYetBorn { child_id: String, on: Date },
    #[error("child {child_id}: the answers do not match the policy's questions")]
    WrongShape { child_id: String },
}

/// One stream's result, with every figure the explanation shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamAllocation {
    pub points: u32,
    pub eligible: bool,
    /// The band's index, when eligible.
    pub band: Option<usize>,
    /// The band's amount (zero when not eligible).
    pub base: Pence,
    pub factor: Factor,
    /// `base × factor × (100 + contingency) / 100`, rounded half-up to whole
    /// pounds; zero when not eligible.
    pub indicative: Pence,
    /// What the child gets now for this stream, when known.
    pub current: Option<Pence>,
    /// The transitional floor, when protection applied.
    pub floor: Option<Pence>,
    /// The amount after transitional protection.
    pub protected: Pence,
}

impl StreamAllocation {
    /// No points, nothing to pay: where a calculation starts.
    const EMPTY: StreamAllocation = StreamAllocation {
        points: 0,
        eligible: false,
        band: None,
        base: Pence::ZERO,
        factor: Factor::ONE,
        indicative: Pence::ZERO,
        current: None,
        floor: None,
        protected: Pence::ZERO,
    };
}

/// A child's result: one entry per stream (in the policy's order) and the
/// integrated budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub age: u32,
    pub streams: Vec<StreamAllocation>,
    /// The sum of the protected amounts.
    pub integrated: Pence,
}

/// Rounds `numerator / denominator` pence (both non-negative) half-up to
/// whole pounds.
fn round_to_pounds(numerator: i128, denominator: i128) -> Pence {
    let per_pound = denominator * 100;
    // In 64 bits when it fits: 128-bit division is several times slower,
    // and what-if modelling does millions of these.
    let pounds = match (i64::try_from(numerator), i64::try_from(per_pound)) {
        (Ok(n), Ok(d)) if n <= i64::MAX - d / 2 => i128::from((n + d / 2) / d),
        _ => (numerator + per_pound / 2) / per_pound,
    };
    Pence::new(i64::try_from(pounds * 100).unwrap_or(i64::MAX))
}

/// `base × factor × (100 + contingency) / 100`, exactly, then rounded
/// half-up to whole pounds.
pub fn indicative_amount(base: Pence, factor: Factor, contingency_basis_points: u32) -> Pence {
    // Factor is in ten-thousandths and (100 + c)% in basis points: divide by
    // 10^8. Every amount a policy allows fits in 64 bits; 128 only if not.
    let (f, c) = (i64::from(factor.ten_thousandths()), 10_000 + i64::from(contingency_basis_points));
    match base.pence().checked_mul(f).and_then(|n| n.checked_mul(c)) {
        Some(n) if (0..=i64::MAX - 5_000_000_000).contains(&n) => {
            Pence::new((n + 5_000_000_000) / 10_000_000_000 * 100)
        }
        _ => round_to_pounds(i128::from(base.pence()) * i128::from(f) * i128::from(c), 100_000_000),
    }
}

/// The transitional floor: `current × (100 − max_reduction) / 100` rounded
/// half-up to whole pounds, but never more than `current`.
pub fn protection_floor(current: Pence, max_reduction_basis_points: u32) -> Pence {
    let numerator = i128::from(current.pence()) * (10_000 - i128::from(max_reduction_basis_points.min(10_000)));
    round_to_pounds(numerator, 10_000).min(current)
}

/// Calculates a child's allocation on `on`. `current` holds the child's
/// current annual amount per stream (indexed like the policy's streams).
pub fn evaluate(
    policy: &Policy,
    answers: &ChildAnswers,
    on: Date,
    current: &[Option<Pence>],
) -> Result<Allocation, EvaluationError> {
    evaluate_choices(policy, &answers.child_id, answers.date_of_birth, &answers.choices, on, current)
}

/// [`evaluate`] with the answers in parts, so a caller mapping answers
/// between policies need not build a `ChildAnswers` for each child.
pub fn evaluate_choices(
    policy: &Policy,
    child_id: &str,
    date_of_birth: Date,
    choices: &[Option<usize>],
    on: Date,
    current: &[Option<Pence>],
) -> Result<Allocation, EvaluationError> {
    let mut out = Allocation { age: 0, streams: Vec::with_capacity(policy.streams.len()), integrated: Pence::ZERO };
    evaluate_into(policy, child_id, date_of_birth, choices, on, current, &mut out)?;
    Ok(out)
}

/// [`evaluate_choices`] into an allocation the caller reuses: what-if
/// modelling evaluates hundreds of thousands of children in a loop, and not
/// allocating per child is most of its speed.
pub fn evaluate_into(
    policy: &Policy,
    child_id: &str,
    date_of_birth: Date,
    choices: &[Option<usize>],
    on: Date,
    current: &[Option<Pence>],
    out: &mut Allocation,
) -> Result<(), EvaluationError> {
    let child_id = || child_id.to_owned();
    if choices.len() != policy.questions.len() {
        return Err(EvaluationError::WrongShape { child_id: child_id() });
    }
    let age = age_on(date_of_birth, on).ok_or_else(|| EvaluationError::NotYetBorn { child_id: child_id(), on })?;
    // Whatever its age factors, a policy is for children and young people up to 25.
    if age > super::policy::MAX_AGE {
        return Err(EvaluationError::OutsideAgeRange { child_id: child_id(), age, on });
    }
    out.age = age;
    out.streams.clear();
    out.streams.resize(policy.streams.len(), StreamAllocation::EMPTY);
    // A policy has at most MAX_STREAMS streams, so the totals fit on the stack.
    let mut points = [0u32; super::policy::MAX_STREAMS];
    for (q, choice) in policy.questions.iter().zip(choices) {
        match choice {
            Some(i) => {
                let option = q.options.get(*i).ok_or_else(|| EvaluationError::WrongShape { child_id: child_id() })?;
                for (total, p) in points.iter_mut().zip(&option.points) {
                    *total = total.saturating_add(*p);
                }
            }
            None if q.optional => {}
            None => return Err(EvaluationError::MissingAnswer { child_id: child_id(), question_id: q.id.clone() }),
        }
    }
    let mut integrated = 0i64;
    for (((result, stream), current), points) in
        out.streams.iter_mut().zip(&policy.streams).zip(current.iter().chain(std::iter::repeat(&None))).zip(points)
    {
        let factor =
            stream.factor_for(age).ok_or_else(|| EvaluationError::OutsideAgeRange { child_id: child_id(), age, on })?;
        let band = stream.band_for(points);
        let base = band.map_or(Pence::ZERO, |b| stream.bands[b].amount);
        let indicative = indicative_amount(base, factor, stream.contingency.basis_points());
        let floor =
            current.filter(|c| *c > indicative).map(|c| protection_floor(c, stream.max_reduction.basis_points()));
        let protected = floor.map_or(indicative, |f| f.max(indicative));
        *result = StreamAllocation {
            points,
            eligible: band.is_some(),
            band,
            base,
            factor,
            indicative,
            current: *current,
            floor,
            protected,
        };
        integrated = integrated.saturating_add(protected.pence());
    }
    out.integrated = Pence::new(integrated);
    Ok(())
}

/// The allocation in plain English, step by step, as a family would read it.
pub fn explain(policy: &Policy, answers: &ChildAnswers, allocation: &Allocation, on: Date) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "How the indicative budget for {} was worked out", answers.child_id);
    let _ = writeln!(out, "Policy: {} (version {}), calculated on {on}.", policy.title, policy.version);
    let _ = writeln!(out, "Age on that date: {}.", allocation.age);
    let _ = writeln!(out);
    let _ = writeln!(out, "Your answers");
    for (q, choice) in policy.questions.iter().zip(&answers.choices) {
        match choice.and_then(|i| q.options.get(i)) {
            Some(o) => {
                let scored: Vec<String> = policy
                    .streams
                    .iter()
                    .zip(&o.points)
                    .filter(|(_, p)| **p > 0)
                    .map(|(s, p)| format!("{p} for {}", s.name.to_lowercase()))
                    .collect();
                let scored = if scored.is_empty() { "no points".to_owned() } else { scored.join(", ") };
                let _ = writeln!(out, "- {} You answered \"{}\": {scored}.", q.text, o.label);
            }
            None => {
                let _ = writeln!(out, "- {} Not answered (an optional question): no points.", q.text);
            }
        }
    }
    for (stream, a) in policy.streams.iter().zip(&allocation.streams) {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", stream.name);
        let _ = writeln!(
            out,
            "Total points: {}. You need {} points for a {} budget.",
            a.points,
            stream.eligibility_min_points,
            stream.name.to_lowercase()
        );
        match a.band {
            None => {
                let _ = writeln!(
                    out,
                    "{} points is below that, so there is no {} budget from this policy: £0.",
                    a.points,
                    stream.name.to_lowercase()
                );
            }
            Some(b) => {
                let band = &stream.bands[b];
                let range = match band.max_points {
                    Some(max) => format!("{} to {} points", band.min_points, max),
                    None => format!("{} points or more", band.min_points),
                };
                let _ = writeln!(
                    out,
                    "{} points is in the band \"{}\" ({range}), which gives {} a year.",
                    a.points, band.name, band.amount
                );
                if a.factor != Factor::ONE {
                    let _ = writeln!(
                        out,
                        "For a child aged {}, that amount is multiplied by {}.",
                        allocation.age, a.factor
                    );
                }
                let _ = writeln!(
                    out,
                    "A contingency of {}% is added for the unexpected. The result is rounded to the nearest pound (halves round up): {}.",
                    stream.contingency, a.indicative
                );
            }
        }
        if let (Some(current), Some(floor)) = (a.current, a.floor) {
            if a.protected > a.indicative {
                let _ = writeln!(
                    out,
                    "You get {current} now. So that no budget falls by more than {}% at once, it will not go below {floor}: your amount is {}.",
                    stream.max_reduction, a.protected
                );
            } else {
                let _ = writeln!(
                    out,
                    "You get {current} now; the new amount {} is above the protected minimum of {floor}.",
                    a.protected
                );
            }
        }
        let _ = writeln!(out, "Indicative {} budget: {}.", stream.name.to_lowercase(), a.protected);
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Indicative integrated budget (all streams): {}.", allocation.integrated);
    let _ = writeln!(
        out,
        "This is an indicative amount: it becomes your agreed budget only when your support plan is signed off."
    );
    out
}
