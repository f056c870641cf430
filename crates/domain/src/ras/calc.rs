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

/// Children's current annual amounts, by stream id: `amounts[i]` belongs to
/// the `i`th child of the answers it goes with, one column per stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CurrentAmounts {
    pub streams: Vec<String>,
    pub amounts: Vec<Vec<Option<Pence>>>,
}

impl CurrentAmounts {
    /// For each of `policy`'s streams, the column holding its amounts.
    pub fn columns_for(&self, policy: &Policy) -> Vec<Option<usize>> {
        policy.streams.iter().map(|s| self.streams.iter().position(|id| *id == s.id)).collect()
    }

    /// The `child`th child's amounts in `policy`'s stream order, given
    /// `columns` from [`CurrentAmounts::columns_for`].
    pub fn for_child(&self, child: usize, columns: &[Option<usize>]) -> Vec<Option<Pence>> {
        let row = self.amounts.get(child);
        columns.iter().map(|c| c.and_then(|c| row.and_then(|r| r[c]))).collect()
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
    let pounds = (numerator + per_pound / 2) / per_pound;
    Pence::new(i64::try_from(pounds * 100).unwrap_or(i64::MAX))
}

/// `base × factor × (100 + contingency) / 100`, exactly, then rounded
/// half-up to whole pounds.
pub fn indicative_amount(base: Pence, factor: Factor, contingency_basis_points: u32) -> Pence {
    // Factor is in ten-thousandths and (100 + c)% in basis points: divide by 10^8.
    let numerator = i128::from(base.pence())
        * i128::from(factor.ten_thousandths())
        * (10_000 + i128::from(contingency_basis_points));
    round_to_pounds(numerator, 100_000_000)
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
    let child_id = || answers.child_id.clone();
    if answers.choices.len() != policy.questions.len() {
        return Err(EvaluationError::WrongShape { child_id: child_id() });
    }
    let age =
        age_on(answers.date_of_birth, on).ok_or_else(|| EvaluationError::NotYetBorn { child_id: child_id(), on })?;
    let mut points = vec![0u32; policy.streams.len()];
    for (q, choice) in policy.questions.iter().zip(&answers.choices) {
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
    let mut streams = Vec::with_capacity(policy.streams.len());
    for (s, stream) in policy.streams.iter().enumerate() {
        let factor =
            stream.factor_for(age).ok_or_else(|| EvaluationError::OutsideAgeRange { child_id: child_id(), age, on })?;
        let band = stream.band_for(points[s]);
        let base = band.map_or(Pence::ZERO, |b| stream.bands[b].amount);
        let indicative = indicative_amount(base, factor, stream.contingency.basis_points());
        let current = current.get(s).copied().flatten();
        let floor =
            current.filter(|c| *c > indicative).map(|c| protection_floor(c, stream.max_reduction.basis_points()));
        let protected = floor.map_or(indicative, |f| f.max(indicative));
        streams.push(StreamAllocation {
            points: points[s],
            eligible: band.is_some(),
            band,
            base,
            factor,
            indicative,
            current,
            floor,
            protected,
        });
    }
    let integrated = Pence::checked_sum(streams.iter().map(|s| s.protected)).unwrap_or(Pence::new(i64::MAX));
    Ok(Allocation { age, streams, integrated })
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
