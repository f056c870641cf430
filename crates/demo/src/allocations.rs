//! Completed allocation questionnaires for the demo children, with the
//! amounts some of them get now, so that what-if modelling over the demo
//! area shows a believable picture.

use crate::clock::Clock;
use crate::rng::Rng;
use allot_domain::ids::AllocationId;
use allot_domain::ras::{PublishedPolicy, StoredAllocation, evaluate};
use allot_domain::text::Actor;
use allot_domain::{Child, Pence, PrimaryNeed};
use std::collections::BTreeMap;

/// How much help children with each primary need typically need, overall
/// and with their health, in hundredths (0 none, 100 the most). Rough, but
/// in the right order: profound and multiple learning difficulties first.
fn need_levels(need: Option<PrimaryNeed>) -> (i64, i64) {
    match need {
        Some(PrimaryNeed::Pmld) => (88, 80),
        Some(PrimaryNeed::Sld) => (72, 40),
        Some(PrimaryNeed::Msi) => (68, 45),
        Some(PrimaryNeed::Pd) => (58, 50),
        Some(PrimaryNeed::Ds) => (60, 35),
        Some(PrimaryNeed::Asd) => (48, 10),
        Some(PrimaryNeed::Semh) => (44, 8),
        Some(PrimaryNeed::Vi) => (38, 12),
        Some(PrimaryNeed::Hi) => (32, 8),
        Some(PrimaryNeed::Slcn | PrimaryNeed::Mld) => (34, 8),
        Some(PrimaryNeed::Spld) => (20, 4),
        Some(PrimaryNeed::Oth) | None => (36, 15),
    }
}

/// One allocation per child, calculated under `published` on a date in the
/// last eight months (and not before the policy came into force).
pub fn generate(
    rng: &mut Rng,
    clock: &Clock,
    actor: &Actor,
    children: &[Child],
    published: &PublishedPolicy,
) -> Vec<StoredAllocation> {
    let policy = &published.policy;
    // Questions scoring mostly health points follow the child's health.
    let health = policy.stream_index("health");
    let about_health: Vec<bool> = policy
        .questions
        .iter()
        .map(|q| {
            health.is_some_and(|h| {
                q.options.iter().map(|o| o.points[h]).sum::<u32>() * 2
                    > q.options.iter().map(|o| o.points.iter().sum::<u32>()).sum::<u32>()
            })
        })
        .collect();
    let earliest = clock.days_ago(policy.effective_from).clamp(0, 240);
    let mut out = Vec::with_capacity(children.len());
    for child in children {
        let (general, medical) = need_levels(child.details.primary_need);
        let general = (general + rng.between(-25, 25)).clamp(0, 100);
        let medical = (medical + rng.between(-15, 15)).clamp(0, 100);
        let choices: Vec<Option<usize>> = policy
            .questions
            .iter()
            .zip(&about_health)
            .map(|(q, health_question)| {
                if q.optional && !rng.chance(0.05) {
                    return None;
                }
                let level = if *health_question { medical } else { general };
                let last = q.options.len() as i64 - 1;
                Some((level * last + rng.between(-60, 60)).div_euclid(100).clamp(0, last) as usize)
            })
            .collect();
        let days_ago = rng.between(0, earliest).min(clock.days_ago(child.details.date_of_birth) - 1);
        if days_ago < 0 {
            continue;
        }
        let on = clock.date(days_ago);
        let answers = allot_domain::ras::ChildAnswers {
            child_id: child.id.to_string(),
            date_of_birth: child.details.date_of_birth,
            choices,
        };
        let Ok(first) = evaluate(policy, &answers, on, &vec![None; policy.streams.len()]) else { continue };
        // Some children already have a package: near what the policy gives,
        // sometimes well above it (so protection matters), and a few with
        // an older package though the policy now gives nothing.
        let current: BTreeMap<String, Pence> = policy
            .streams
            .iter()
            .zip(&first.streams)
            .filter_map(|(s, a)| {
                let share = match s.id.as_str() {
                    "social_care" => 0.6,
                    "education" => 0.4,
                    _ => 0.8,
                };
                let amount = if a.eligible && rng.chance(share) {
                    a.indicative.pence() * rng.between(75, 135) / 100 + rng.between(0, 99)
                } else if !a.eligible && s.id == "social_care" && rng.chance(0.04) {
                    rng.between(50_000, 300_000)
                } else {
                    return None;
                };
                Some((s.id.clone(), Pence::new(amount)))
            })
            .collect();
        let Ok(result) = evaluate(policy, &answers, on, &policy.current_by_stream(&current)) else { continue };
        out.push(StoredAllocation {
            id: AllocationId::from_bytes(rng.id_bytes()),
            area_id: child.area_id,
            child_id: child.id,
            policy: published.id,
            calculated_on: on,
            answers: policy.answer_ids(&answers),
            current,
            streams: policy.stream_results(&result),
            integrated: result.integrated,
            recorded_at: clock.instant(rng, days_ago),
            recorded_by: actor.clone(),
        });
    }
    out
}
