//! Worked examples checked by hand, the policy checks, and properties.

use super::ChildAnswers;
use super::calc::{evaluate, explain, indicative_amount, protection_floor};
use super::policy::{Factor, Policy};
use crate::money::Pence;
use jiff::civil::{Date, date};
use proptest::prelude::*;

const EXAMPLE: &str = include_str!("../../../../policies/example-children.toml");

/// A small policy whose numbers are easy to check by hand.
const SMALL: &str = r#"
[policy]
id = "small"
version = "1"
title = "Small test policy"
effective_from = "2026-04-01"

[[stream]]
id = "social_care"
name = "Social care"
agency = "council"
eligibility_min_points = 10
contingency_percent = "5"
max_reduction_percent = "10"

  [[stream.band]]
  name = "Some support"
  min_points = 10
  max_points = 19
  amount = "10.00"

  [[stream.band]]
  name = "Lots of support"
  min_points = 20
  amount = "20.00"

  [[stream.age_factor]]
  min_age = 0
  max_age = 4
  factor = "0.5"

  [[stream.age_factor]]
  min_age = 5
  max_age = 25
  factor = "1"

[[question]]
id = "care"
domain = "Being healthy"
text = "How much help?"
optional = false

  [[question.option]]
  id = "none"
  label = "None"
  points = {}

  [[question.option]]
  id = "some"
  label = "Some"
  points = { social_care = 10 }

  [[question.option]]
  id = "lots"
  label = "Lots"
  points = { social_care = 20 }

[[question]]
id = "sibling"
domain = "The family's situation"
text = "Is a brother or sister also disabled?"
optional = true

  [[question.option]]
  id = "yes"
  label = "Yes"
  points = { social_care = 5 }
"#;

fn child(dob: Date, choices: Vec<Option<usize>>) -> ChildAnswers {
    ChildAnswers { child_id: "C1".into(), date_of_birth: dob, choices }
}

#[test]
fn the_example_policy_is_valid_and_reaches_every_band() {
    let policy = Policy::parse(EXAMPLE).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        policy.streams.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["social_care", "education", "health"]
    );
    for (stream, (_, max)) in policy.streams.iter().zip(policy.points_range()) {
        assert_eq!(stream.band_for(max), Some(stream.bands.len() - 1), "{} can reach its top band", stream.id);
    }
    assert_eq!(policy.content_hash.len(), 64);
}

#[test]
fn a_half_pound_rounds_up_and_less_rounds_down() {
    // £10.00 × 1 × 105% = £10.50 exactly: half a pound rounds up to £11.
    assert_eq!(indicative_amount(Pence::from_pounds(10), Factor::ONE, 500), Pence::from_pounds(11));
    // £1.10 × 105% = £1.155: rounds down to £1.
    assert_eq!(indicative_amount(Pence::new(110), Factor::ONE, 500), Pence::from_pounds(1));
    // £10.00 × 0.5 × 105% = £5.25: £5.
    assert_eq!(indicative_amount(Pence::from_pounds(10), Factor::parse("0.5").unwrap(), 500), Pence::from_pounds(5));
    // The example's worked case: £11,500 × 1.15 × 105% = £13,886.25 → £13,886.
    assert_eq!(
        indicative_amount(Pence::from_pounds(11_500), Factor::parse("1.15").unwrap(), 500),
        Pence::from_pounds(13_886)
    );
    // £999.99 × 1.0001 × 100% = £1,000.0899… → £1,000.
    assert_eq!(indicative_amount(Pence::new(99_999), Factor::parse("1.0001").unwrap(), 0), Pence::from_pounds(1000));
}

#[test]
fn the_age_factor_changes_on_the_birthday_itself() {
    let policy = Policy::parse(SMALL).unwrap();
    let dob = date(2021, 11, 22);
    let on_birthday = evaluate(&policy, &child(dob, vec![Some(1), None]), date(2026, 11, 22), &[None]).unwrap();
    let day_before = evaluate(&policy, &child(dob, vec![Some(1), None]), date(2026, 11, 21), &[None]).unwrap();
    assert_eq!((on_birthday.age, on_birthday.streams[0].indicative), (5, Pence::from_pounds(11)));
    assert_eq!((day_before.age, day_before.streams[0].indicative), (4, Pence::from_pounds(5)));
}

#[test]
fn points_below_the_threshold_give_nothing_and_optional_questions_score_zero() {
    let policy = Policy::parse(SMALL).unwrap();
    let a = evaluate(&policy, &child(date(2015, 1, 1), vec![Some(0), None]), date(2026, 11, 22), &[None]).unwrap();
    assert_eq!((a.streams[0].eligible, a.streams[0].points, a.streams[0].indicative), (false, 0, Pence::ZERO));
    let with_sibling =
        evaluate(&policy, &child(date(2015, 1, 1), vec![Some(1), Some(0)]), date(2026, 11, 22), &[None]).unwrap();
    assert_eq!((with_sibling.streams[0].points, with_sibling.streams[0].band), (15, Some(0)));
    let missing = evaluate(&policy, &child(date(2015, 1, 1), vec![None, None]), date(2026, 11, 22), &[None]);
    assert_eq!(missing.unwrap_err().to_string(), "child C1: question \"care\" must be answered");
    let too_old = evaluate(&policy, &child(date(2000, 1, 1), vec![Some(1), None]), date(2026, 11, 22), &[None]);
    assert!(too_old.unwrap_err().to_string().contains("is 26"));
    // Also when no stream has age factors.
    let ageless = Policy::parse(&SMALL.replace("  [[stream.age_factor]]\n  min_age = 0\n  max_age = 4\n  factor = \"0.5\"\n\n  [[stream.age_factor]]\n  min_age = 5\n  max_age = 25\n  factor = \"1\"\n", "")).unwrap();
    assert!(ageless.streams[0].age_factors.is_empty());
    assert!(evaluate(&ageless, &child(date(2000, 11, 23), vec![Some(1), None]), date(2026, 11, 22), &[None]).is_ok());
    let err =
        evaluate(&ageless, &child(date(2000, 11, 22), vec![Some(1), None]), date(2026, 11, 22), &[None]).unwrap_err();
    assert!(err.to_string().contains("is 26"), "{err}");
}

#[test]
fn protection_keeps_a_reduction_to_the_published_maximum() {
    // Current £8,000, new £6,000, at most 10% less: £7,200.
    assert_eq!(protection_floor(Pence::from_pounds(8000), 1000), Pence::from_pounds(7200));
    // £1,234.55 × 90% = £1,111.095 → £1,111.
    assert_eq!(protection_floor(Pence::new(123_455), 1000), Pence::from_pounds(1111));
    // With no reduction allowed the floor is the current amount, never above it:
    // £100.60 would round to £101, which is capped at £100.60.
    assert_eq!(protection_floor(Pence::new(10_060), 0), Pence::new(10_060));
    let policy = Policy::parse(SMALL).unwrap();
    let on = date(2026, 11, 22);
    // No longer eligible, current £20: protected at £18.
    let a =
        evaluate(&policy, &child(date(2015, 1, 1), vec![Some(0), None]), on, &[Some(Pence::from_pounds(20))]).unwrap();
    assert_eq!((a.streams[0].indicative, a.streams[0].protected), (Pence::ZERO, Pence::from_pounds(18)));
    // Current below the new amount: no protection needed.
    let b =
        evaluate(&policy, &child(date(2015, 1, 1), vec![Some(1), None]), on, &[Some(Pence::from_pounds(3))]).unwrap();
    assert_eq!((b.streams[0].floor, b.streams[0].protected), (None, Pence::from_pounds(11)));
    assert_eq!(b.integrated, Pence::from_pounds(11));
}

#[test]
fn the_explanation_walks_through_every_step() {
    let policy = Policy::parse(SMALL).unwrap();
    let answers = child(date(2015, 1, 1), vec![Some(0), None]);
    let on = date(2026, 11, 22);
    let a = evaluate(&policy, &answers, on, &[Some(Pence::from_pounds(20))]).unwrap();
    let text = explain(&policy, &answers, &a, on);
    for expected in [
        "You answered \"None\": no points.",
        "Not answered (an optional question): no points.",
        "Total points: 0. You need 10 points for a social care budget.",
        "You get £20.00 now. So that no budget falls by more than 10% at once, it will not go below £18.00: your amount is £18.00.",
        "Indicative integrated budget (all streams): £18.00.",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn a_broken_policy_names_every_problem_with_its_line() {
    let broken = SMALL
        .replace("min_points = 20\n  amount = \"20.00\"", "min_points = 21\n  max_points = 30\n  amount = \"1.105\"")
        .replace("points = { social_care = 20 }", "points = { social_care = -1, transport = 3 }")
        .replace("max_age = 4\n  factor = \"0.5\"", "max_age = 3\n  factor = \"0.12345\"")
        .replace("id = \"sibling\"", "id = \"care\"");
    let errors = Policy::parse(&broken).unwrap_err();
    let text: Vec<String> = errors.iter().map(|e| e.in_file("p.toml")).collect();
    let expect = [
        "min_points is 21 but each band must start at the previous band's max_points + 1",
        "the last band has no max_points",
        "amount: an amount can have at most 2 decimal places",
        "factor can have at most 4 decimal places",
        "age factors must run from 0 to 25 with no gap or overlap (this one should start at 4)",
        "gives points to \"transport\", which is not a stream",
        "points cannot be negative",
        "question id \"care\" is used twice",
    ];
    for e in expect {
        assert!(text.iter().any(|t| t.contains(e)), "missing {e:?} in {text:#?}");
    }
    assert!(text.iter().all(|t| t.starts_with("p.toml:") && !t.starts_with("p.toml:0:")), "{text:#?}");
    let band_line = broken.lines().position(|l| l.contains("min_points = 21")).unwrap() + 1;
    assert!(
        text.iter().any(|t| t.starts_with(&format!("p.toml:{}:", band_line - 2))
            || t.starts_with(&format!("p.toml:{}:", band_line - 1))),
        "band errors point at the band: {text:#?}"
    );
}

#[test]
fn more_need_never_means_less_money_is_refused_at_load() {
    let bad = SMALL.replace("amount = \"20.00\"", "amount = \"9.99\"");
    let errors = Policy::parse(&bad).unwrap_err();
    assert!(errors[0].message.contains("more need must never mean less money"), "{errors:?}");
    let typo = SMALL.replace("optional = false", "optinal = false");
    assert!(Policy::parse(&typo).unwrap_err()[0].message.contains("unknown field `optinal`"));
}

proptest! {
    #[test]
    fn more_points_never_give_less_money(a in 0u32..200, b in 0u32..200, age in 0u32..=25) {
        let policy = Policy::parse(EXAMPLE).unwrap();
        let (lo, hi) = (a.min(b), a.max(b));
        for stream in &policy.streams {
            let amount = |p: u32| {
                let base = stream.band_for(p).map_or(Pence::ZERO, |i| stream.bands[i].amount);
                indicative_amount(base, stream.factor_for(age).unwrap(), stream.contingency.basis_points())
            };
            prop_assert!(amount(lo) <= amount(hi), "{}: {lo} → {}, {hi} → {}", stream.id, amount(lo), amount(hi));
        }
    }

    #[test]
    fn protection_stays_between_its_floor_and_the_current_amount(current in 0i64..5_000_000, indicative in 0i64..5_000_000, reduction in 0u32..=10_000) {
        let (current, indicative) = (Pence::new(current), Pence::new(indicative).round_half_up_to_pounds());
        let floor = protection_floor(current, reduction);
        prop_assert!(floor <= current);
        if current > indicative {
            let protected = floor.max(indicative);
            prop_assert!(protected >= floor && protected <= current);
            // The floor is within half a pound of the exact reduced amount.
            let exact = i128::from(current.pence()) * i128::from(10_000 - reduction);
            prop_assert!((i128::from(floor.pence()) * 10_000 - exact).abs() <= 50 * 10_000 || floor == current);
        }
    }

    #[test]
    fn evaluation_is_deterministic_and_whole_pounds(choices in proptest::collection::vec(0usize..5, 18), days in 0i32..9000) {
        let policy = Policy::parse(EXAMPLE).unwrap();
        let choices: Vec<Option<usize>> = policy.questions.iter().zip(&choices).map(|(q, c)| Some(c % q.options.len())).collect();
        let on = date(2026, 11, 22);
        let dob = on.checked_sub(jiff::Span::new().days(days)).unwrap();
        let answers = child(dob, choices);
        let one = evaluate(&policy, &answers, on, &[None, None, None]).unwrap();
        let two = evaluate(&policy, &answers, on, &[None, None, None]).unwrap();
        prop_assert_eq!(&one, &two);
        for s in &one.streams {
            prop_assert_eq!(s.indicative.pence() % 100, 0);
        }
    }
}

#[test]
fn a_policy_written_back_out_parses_to_the_same_policy() {
    let policy = Policy::parse(EXAMPLE).unwrap();
    let again = Policy::parse(&policy.to_toml()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(Policy { content_hash: String::new(), ..again }, Policy { content_hash: String::new(), ..policy });
}

/// Children at every points level of the example's questions, aged 3 to 20.
fn population(policy: &Policy) -> Vec<ChildAnswers> {
    (0..600)
        .map(|i| ChildAnswers {
            child_id: format!("C{i}"),
            date_of_birth: date(2006 + (i % 18) as i16, 1 + (i % 12) as i8, 1 + (i % 28) as i8),
            choices: policy
                .questions
                .iter()
                .enumerate()
                .map(|(q, question)| Some((i / (q + 1) + q) % question.options.len()))
                .collect(),
        })
        .collect()
}

#[test]
fn calibrating_to_costs_the_policy_would_give_returns_the_same_amounts() {
    use super::calibrate::calibrate;
    let policy = Policy::parse(EXAMPLE).unwrap();
    let on = date(2026, 11, 22);
    let children = population(&policy);
    let none = vec![None; policy.streams.len()];
    let costs: Vec<Vec<Option<Pence>>> = children
        .iter()
        .map(|c| {
            evaluate(&policy, c, on, &none)
                .unwrap()
                .streams
                .iter()
                .map(|s| s.eligible.then_some(s.indicative))
                .collect()
        })
        .collect();
    let result = calibrate(&policy, &children, &costs, on).unwrap();
    for (stream, calibration) in policy.streams.iter().zip(&result.streams) {
        for (band, (name, old, new, n)) in stream.bands.iter().zip(&calibration.bands) {
            assert_eq!(name, &band.name);
            if *n > 0 {
                // Within a pound per band: costs were rounded to pounds after
                // the age factor and contingency.
                assert!((new.pence() - old.pence()).abs() <= 100, "{} {name}: {old} → {new}", stream.id);
            }
        }
        assert!(calibration.after.r_squared > 0.999, "{}: {:?}", stream.id, calibration.after);
    }
    assert_eq!(result.proposed.version, "2026.1-calibrated");
    assert!(Policy::parse(&result.proposed.to_toml()).is_ok());
}

#[test]
fn calibrated_amounts_never_fall_as_points_rise() {
    use super::calibrate::calibrate;
    let policy = Policy::parse(SMALL).unwrap();
    let on = date(2026, 11, 22);
    // Children in the higher band cost less than those in the lower one.
    let kids: Vec<ChildAnswers> =
        (0..4).map(|i| child(date(2015, 1, 1), vec![Some(if i < 2 { 1 } else { 2 }), None])).collect();
    let costs = vec![
        vec![Some(Pence::from_pounds(105))],
        vec![Some(Pence::from_pounds(105))],
        vec![Some(Pence::from_pounds(63))],
        vec![Some(Pence::from_pounds(63))],
    ];
    let result = calibrate(&policy, &kids, &costs, on).unwrap();
    let amounts: Vec<Pence> = result.proposed.streams[0].bands.iter().map(|b| b.amount).collect();
    // £105 and £63 back out of a 5% contingency are £100 and £60; pooled: £80 each.
    assert_eq!(amounts, [Pence::from_pounds(80), Pence::from_pounds(80)]);
    assert!(result.streams[0].after.mean_absolute_error_pence > 0);
}

#[test]
fn simulation_totals_match_evaluating_every_child_one_by_one() {
    use super::calc::CurrentAmounts;
    use super::simulate::simulate;
    let from = Policy::parse(EXAMPLE).unwrap();
    let to = Policy::parse(
        &EXAMPLE
            .replace("amount = \"11000.00\"", "amount = \"11600.00\"")
            .replace("amount = \"11500.00\"", "amount = \"10000.00\""),
    )
    .unwrap();
    let on = date(2026, 11, 22);
    // More children than one block of work, so several threads share them.
    let children: Vec<ChildAnswers> = (0..20_000)
        .map(|i| ChildAnswers {
            child_id: format!("C{i:05}"),
            date_of_birth: date(2002 + (i % 23) as i16, 1 + (i % 12) as i8, 1 + (i % 28) as i8),
            choices: from
                .questions
                .iter()
                .enumerate()
                .map(|(q, question)| Some((i * 7 + q * 3 + i / 13) % question.options.len()))
                .collect(),
        })
        .collect();
    let mut current = CurrentAmounts::new(vec!["social_care".into()], children.len());
    for i in (0..children.len()).step_by(3) {
        current.set(i, 0, Pence::new((i as i64 % 900) * 1000));
    }
    let result = simulate(&from, &to, &children, &current, on).unwrap();
    let (mut old, mut new, mut gain, mut lose) = (0i64, 0i64, 0u64, 0u64);
    let mut changes = Vec::new();
    for (i, child) in children.iter().enumerate() {
        let a = evaluate(&from, child, on, &current.for_child(i, &current.columns_for(&from))).unwrap();
        let b = evaluate(&to, child, on, &current.for_child(i, &current.columns_for(&to))).unwrap();
        old += a.integrated.pence();
        new += b.integrated.pence();
        gain += u64::from(b.integrated > a.integrated);
        lose += u64::from(b.integrated < a.integrated);
        changes.push(((b.integrated.pence() - a.integrated.pence()).abs(), child.child_id.clone()));
    }
    assert_eq!((result.total.old_protected_pence, result.total.new_protected_pence), (old, new));
    assert_eq!((result.total.gain, result.total.lose), (gain, lose));
    assert!(gain > 0 && lose > 0, "the test policy moves children both ways: {gain} up, {lose} down, {old} → {new}");
    assert_eq!(result.histogram.iter().map(|b| b.children).sum::<u64>(), 20_000);
    changes.sort_by(|x, y| y.0.cmp(&x.0).then_with(|| x.1.cmp(&y.1)));
    let expected: Vec<&str> = changes.iter().take(10).map(|(_, id)| id.as_str()).collect();
    assert_eq!(result.largest.iter().map(|c| c.child_id.as_str()).collect::<Vec<_>>(), expected);
}
