//! Consent to share: parents for health and education, and young people of
//! 16 and over for themselves.

use crate::Context;
use crate::children::Kid;
use crate::organisations::{Organisations, School};
use crate::rng::Rng;
use allot_domain::consent::{Consent, ConsentDetails, ConsentGiver, SharedInformation};
use allot_domain::dates::birthday;
use allot_domain::{ConsentId, FamilyMemberId, OrganisationId};

/// How far back consent is kept on record: three years.
const CONSENT_DAYS: i64 = 3 * 365;

/// Where a consent comes from, before its dates are chosen.
struct Agreement {
    given_by: ConsentGiver,
    organisation_id: OrganisationId,
    shares: SharedInformation,
    /// The earliest it can have been given, in days before today.
    earliest_days_ago: i64,
}

/// Adds the child's consents to `out`. `parent` is the family member with
/// parental responsibility who speaks for the child, if any.
pub fn generate(
    rng: &mut Rng,
    context: &Context,
    kid: &Kid,
    parent: Option<FamilyMemberId>,
    organisations: &Organisations,
    out: &mut Vec<Consent>,
) {
    let Context { area, clock, actor } = context;
    // Consent is given after the case opened and within the last three years.
    let earliest = kid.created_days_ago.min(CONSENT_DAYS);
    let mut agreements = Vec::new();
    if let Some(parent) = parent {
        let given_by = ConsentGiver::FamilyMember(parent);
        if rng.chance(0.80) {
            let (organisation_id, shares) = (organisations.nhs, SharedInformation::Health);
            agreements.push(Agreement { given_by, organisation_id, shares, earliest_days_ago: earliest });
        }
        if (4..=19).contains(&kid.age) && rng.chance(0.85) {
            let school = school_for(rng, kid.age, organisations);
            let (organisation_id, shares) = (school.id, SharedInformation::Education);
            agreements.push(Agreement { given_by, organisation_id, shares, earliest_days_ago: earliest });
        }
    }
    if kid.age >= 16 && rng.chance(0.5) {
        // A young person can only consent for themself from their 16th birthday.
        let since_sixteen = clock.days_ago(birthday(kid.date_of_birth, 16));
        if since_sixteen >= 1 {
            agreements.push(Agreement {
                given_by: ConsentGiver::YoungPerson,
                organisation_id: organisations.council,
                shares: SharedInformation::WholeRecord,
                earliest_days_ago: earliest.min(since_sixteen),
            });
        }
    }

    for agreement in agreements {
        let given_days_ago = rng.between(1, agreement.earliest_days_ago);
        // Recorded on the day or up to a fortnight later, never before the
        // case was opened.
        let recorded_days_ago = rng.between((given_days_ago - 14).max(1), given_days_ago);
        let recorded_at = clock.instant(rng, recorded_days_ago).max(kid.created_at);
        let withdrawn_at = rng.chance(0.02).then(|| {
            let days_ago = rng.between(1, recorded_days_ago);
            let at = clock.instant(rng, days_ago);
            // Recorded at the latest at 17:59 yesterday, so an hour later
            // is still before today.
            if at > recorded_at { at } else { recorded_at + jiff::SignedDuration::from_hours(1) }
        });
        out.push(Consent {
            id: ConsentId::from_bytes(rng.id_bytes()),
            area_id: *area,
            child_id: kid.id,
            details: ConsentDetails {
                given_by: agreement.given_by,
                organisation_id: agreement.organisation_id,
                shares: agreement.shares,
                given_on: clock.date(given_days_ago),
            },
            recorded_at,
            recorded_by: actor.clone(),
            withdrawn_at,
            withdrawn_by: withdrawn_at.map(|_| actor.clone()),
        });
    }
}

/// The school or college a child of `age` is likely to attend.
fn school_for(rng: &mut Rng, age: u32, organisations: &Organisations) -> School {
    let o = organisations;
    let roll = rng.below(100);
    let phase = match age {
        0..=10 if roll < 88 => &o.primary,
        11..=15 if roll < 82 => &o.secondary,
        16.. if roll < 50 => &o.colleges,
        16.. if roll < 80 => &o.secondary,
        _ => &o.special,
    };
    *rng.pick(phase)
}
