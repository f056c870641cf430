//! Calibration: fitting band amounts to what children's current packages
//! actually cost — the first step councils take when building a RAS.

use super::calc::{ChildAnswers, evaluate};
use super::policy::Policy;
use crate::money::Pence;
use jiff::civil::Date;
use std::fmt::Write;

/// How well a policy's amounts match the costs, for one stream.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Fit {
    /// Children with a known cost for the stream.
    pub children: u64,
    /// 1 − (residual sum of squares / total sum of squares); 1 is a
    /// perfect fit, 0 no better than everyone getting the average.
    pub r_squared: f64,
    /// Mean absolute error, in pence.
    pub mean_absolute_error_pence: i64,
    /// Mean absolute percentage error over children whose cost is above 0.
    pub mean_absolute_percentage_error: f64,
}

/// One stream's calibration.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StreamCalibration {
    pub stream_id: String,
    pub before: Fit,
    pub after: Fit,
    /// `(band name, old amount, new amount, children whose cost set it)`.
    pub bands: Vec<(String, Pence, Pence, u64)>,
}

/// The proposal: a policy with fitted amounts, and how well each fits.
#[derive(Debug, Clone)]
pub struct Calibration {
    pub proposed: Policy,
    pub streams: Vec<StreamCalibration>,
}

/// `costs[i][s]`: the `i`th child's cost for stream `s` (policy order).
pub fn calibrate(
    policy: &Policy,
    answers: &[ChildAnswers],
    costs: &[Vec<Option<Pence>>],
    on: Date,
) -> Result<Calibration, super::EvaluationError> {
    let none = vec![None; policy.streams.len()];
    let results = answers.iter().map(|a| evaluate(policy, a, on, &none)).collect::<Result<Vec<_>, _>>()?;
    let mut proposed = policy.clone();
    proposed.version = format!("{}-calibrated", policy.version);
    for (s, stream) in proposed.streams.iter_mut().enumerate() {
        // Each eligible child's cost, taken back to a band amount: divided
        // by its age factor and contingency, to the nearest penny.
        let mut sums = vec![(0i128, 0u64); stream.bands.len()];
        for (result, cost) in results.iter().zip(costs) {
            let (Some(band), Some(cost)) = (result.streams[s].band, cost.get(s).copied().flatten()) else { continue };
            let divisor = i128::from(result.streams[s].factor.ten_thousandths())
                * (10_000 + i128::from(stream.contingency.basis_points()));
            let numerator = i128::from(cost.pence()) * 100_000_000;
            sums[band].0 += (numerator + divisor / 2) / divisor;
            sums[band].1 += 1;
        }
        // Pool adjacent violators: merge a band with the one below while its
        // mean is smaller, so amounts never fall as points rise.
        let mut blocks: Vec<(i128, u64, usize)> = Vec::new(); // (sum, count, bands in block)
        for (b, (sum, count)) in sums.iter().enumerate() {
            let (sum, count) =
                if *count == 0 { (i128::from(stream.bands[b].amount.pence()), 1) } else { (*sum, *count) };
            blocks.push((sum, count, 1));
            while blocks.len() > 1 {
                let (s2, c2, n2) = blocks[blocks.len() - 1];
                let (s1, c1, n1) = blocks[blocks.len() - 2];
                if s2 * i128::from(c1) >= s1 * i128::from(c2) {
                    break;
                }
                blocks.truncate(blocks.len() - 2);
                blocks.push((s1 + s2, c1 + c2, n1 + n2));
            }
        }
        let mut b = 0;
        for (sum, count, n) in blocks {
            // The mean, rounded half-up to whole pounds (published amounts are in pounds).
            let mean = Pence::new(i64::try_from((sum + i128::from(count) / 2) / i128::from(count)).unwrap_or(i64::MAX))
                .round_half_up_to_pounds();
            for band in &mut stream.bands[b..b + n] {
                band.amount = mean;
            }
            b += n;
        }
    }
    let text = proposed.to_toml();
    proposed.content_hash = super::policy::content_hash(&text);
    let after = answers.iter().map(|a| evaluate(&proposed, a, on, &none)).collect::<Result<Vec<_>, _>>()?;
    let streams = policy
        .streams
        .iter()
        .enumerate()
        .map(|(s, stream)| {
            let fit = |predicted: &dyn Fn(usize) -> Pence| {
                fit(costs
                    .iter()
                    .enumerate()
                    .filter_map(|(i, c)| c.get(s).copied().flatten().map(|c| (c, predicted(i)))))
            };
            let counts: Vec<u64> = (0..stream.bands.len())
                .map(|b| {
                    results
                        .iter()
                        .zip(costs)
                        .filter(|(r, c)| r.streams[s].band == Some(b) && c.get(s).copied().flatten().is_some())
                        .count() as u64
                })
                .collect();
            StreamCalibration {
                stream_id: stream.id.clone(),
                before: fit(&|i| results[i].streams[s].indicative),
                after: fit(&|i| after[i].streams[s].indicative),
                bands: stream
                    .bands
                    .iter()
                    .zip(&proposed.streams[s].bands)
                    .zip(counts)
                    .map(|((old, new), n)| (old.name.clone(), old.amount, new.amount, n))
                    .collect(),
            }
        })
        .collect();
    Ok(Calibration { proposed, streams })
}

/// R², mean absolute error and mean absolute percentage error of
/// `(actual, predicted)` pairs. Ratios are reported as floating point: they
/// describe the fit and are never money.
fn fit(pairs: impl Iterator<Item = (Pence, Pence)>) -> Fit {
    let pairs: Vec<(i128, i128)> = pairs.map(|(a, p)| (i128::from(a.pence()), i128::from(p.pence()))).collect();
    let n = pairs.len() as i128;
    if n == 0 {
        return Fit { children: 0, r_squared: 0.0, mean_absolute_error_pence: 0, mean_absolute_percentage_error: 0.0 };
    }
    let mean = pairs.iter().map(|(a, _)| a).sum::<i128>() as f64 / n as f64;
    let ss_res: f64 = pairs.iter().map(|(a, p)| ((a - p) as f64).powi(2)).sum();
    let ss_tot: f64 = pairs.iter().map(|(a, _)| (*a as f64 - mean).powi(2)).sum();
    let mae = pairs.iter().map(|(a, p)| (a - p).abs()).sum::<i128>() / n;
    let positive: Vec<&(i128, i128)> = pairs.iter().filter(|(a, _)| *a > 0).collect();
    let mape = if positive.is_empty() {
        0.0
    } else {
        positive.iter().map(|(a, p)| (a - p).abs() as f64 / *a as f64).sum::<f64>() * 100.0 / positive.len() as f64
    };
    Fit {
        children: n as u64,
        r_squared: if ss_tot == 0.0 { if ss_res == 0.0 { 1.0 } else { 0.0 } } else { 1.0 - ss_res / ss_tot },
        mean_absolute_error_pence: i64::try_from(mae).unwrap_or(i64::MAX),
        mean_absolute_percentage_error: mape,
    }
}

/// A TOML string.
fn quote(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

impl Policy {
    /// The policy as a policy file, in the documented format. Parsing the
    /// result gives this policy again (comments in the original are lost).
    pub fn to_toml(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "[policy]\nid = {}\nversion = {}\ntitle = {}\neffective_from = {}",
            quote(&self.id),
            quote(&self.version),
            quote(&self.title),
            quote(&self.effective_from.to_string())
        );
        for s in &self.streams {
            let _ = writeln!(
                t,
                "\n[[stream]]\nid = {}\nname = {}\nagency = {}\neligibility_min_points = {}\ncontingency_percent = {}\nmax_reduction_percent = {}",
                quote(&s.id),
                quote(&s.name),
                quote(s.agency.code()),
                s.eligibility_min_points,
                quote(&s.contingency.to_string()),
                quote(&s.max_reduction.to_string())
            );
            for b in &s.bands {
                let _ =
                    writeln!(t, "\n  [[stream.band]]\n  name = {}\n  min_points = {}", quote(&b.name), b.min_points);
                if let Some(max) = b.max_points {
                    let _ = writeln!(t, "  max_points = {max}");
                }
                let _ = writeln!(t, "  amount = {}", quote(&b.amount.to_decimal_string()));
            }
            for a in &s.age_factors {
                let _ = writeln!(
                    t,
                    "\n  [[stream.age_factor]]\n  min_age = {}\n  max_age = {}\n  factor = {}",
                    a.min_age,
                    a.max_age,
                    quote(&a.factor.to_string())
                );
            }
        }
        for q in &self.questions {
            let _ = writeln!(
                t,
                "\n[[question]]\nid = {}\ndomain = {}\ntext = {}",
                quote(&q.id),
                quote(&q.domain),
                quote(&q.text)
            );
            if let Some(help) = &q.help {
                let _ = writeln!(t, "help = {}", quote(help));
            }
            let _ = writeln!(t, "optional = {}", q.optional);
            for o in &q.options {
                let points: Vec<String> = self
                    .streams
                    .iter()
                    .zip(&o.points)
                    .filter(|(_, p)| **p > 0)
                    .map(|(s, p)| format!("{} = {p}", s.id))
                    .collect();
                let _ = writeln!(
                    t,
                    "\n  [[question.option]]\n  id = {}\n  label = {}\n  points = {{ {} }}",
                    quote(&o.id),
                    quote(&o.label),
                    points.join(", ")
                );
            }
        }
        t.replace("{  }", "{}")
    }
}
