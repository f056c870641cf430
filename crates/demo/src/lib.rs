//! A synthetic demo area shaped like a real English council.
//!
//! Everything is made up, but realistic enough to try Allot at full size:
//! children's ages, sex and primary needs match the national EHC plan
//! figures, identifiers pass their check digits (in ranges never issued to
//! real people), and every record is consistent with the others (one open
//! lead professional per child, consent given by someone entitled to give
//! it, and so on).
//!
//! The crate is pure: no I/O, no clock, no operating-system randomness. The
//! same seed and options always give the same records, so a demo can be
//! rebuilt exactly and tests can rely on it.

#![forbid(unsafe_code)]

mod allocations;
mod calibration;
mod children;
mod clock;
mod consents;
mod family;
mod leads;
mod lists;
mod organisations;
mod rng;
#[cfg(test)]
mod tests;

use allot_domain::AreaId;
use allot_domain::records::AreaRecords;
use allot_domain::text::Actor;

/// The demo area's code: shaped like an ONS unitary-authority code, but
/// not a real one.
pub const DEMO_AREA_CODE: &str = "E06099001";

/// The demo area's (fictional) council.
pub const DEMO_AREA_NAME: &str = "Wyvern Vale Council";

/// The number of children with EHC plans in a real mid-sized English
/// council: the median of England's 153 councils in January 2025 is
/// Kingston upon Hull (E06000010) with 3,245 (DfE "Education, health and
/// care plans" 2025).
pub const DEFAULT_CHILDREN: u32 = 3245;

/// Who the demo's records say made them (`created_by`, `recorded_by`…).
pub const DEMO_ACTOR: &str = "demo";

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// How many children and young people.
    pub children: u32,
    /// The same seed always gives the same area.
    pub seed: u64,
    /// The day the demo is built for: ages are counted on it and every
    /// event happens before it.
    pub today: jiff::civil::Date,
}

/// The demo area's allocation policy: the example children's policy.
pub const DEMO_POLICY: &str = include_str!("../../../policies/example-children.toml");

/// Completed questionnaires for the demo's children under `published` (the
/// demo policy, once published), with the amounts some children get now.
/// Deterministic for the same records, policy and options.
pub fn allocations(
    records: &AreaRecords,
    published: &allot_domain::ras::PublishedPolicy,
    options: &DemoOptions,
) -> Vec<allot_domain::ras::StoredAllocation> {
    let clock = clock::Clock::new(options.today);
    let mut rng = rng::Rng::new(options.seed ^ 6u64.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let actor = Actor::parse(DEMO_ACTOR).expect("DEMO_ACTOR is a valid actor");
    allocations::generate(&mut rng, &clock, &actor, &records.children, published)
}

/// What every part of the generator shares.
#[derive(Debug)]
struct Context {
    area: AreaId,
    clock: clock::Clock,
    actor: Actor,
}

/// Generates every record of the demo area (all with area_id = area).
///
/// # Panics
///
/// If `options.today` is within 30 years of the ends of `jiff`'s calendar
/// (years −9999 and 9999).
pub fn generate(area: AreaId, options: &DemoOptions) -> AreaRecords {
    let context = Context {
        area,
        clock: clock::Clock::new(options.today),
        actor: Actor::parse(DEMO_ACTOR).expect("DEMO_ACTOR is a valid actor"),
    };
    // One generator per kind of record, so that changing how one kind is
    // made does not reshuffle all the others.
    let stream = |n: u64| rng::Rng::new(options.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let organisations = organisations::generate(&mut stream(1), area, options.children);
    let (children, kids) = children::generate(&mut stream(2), &context, options.children, &organisations);
    let leads = leads::generate(&mut stream(3), &context, organisations.council, &kids);

    let mut family_members = Vec::with_capacity(kids.len() * 2);
    let mut consents = Vec::with_capacity(kids.len() * 8 / 5);
    let (mut family_rng, mut consent_rng) = (stream(4), stream(5));
    for kid in &kids {
        let parent = family::generate(&mut family_rng, &context, kid, &mut family_members);
        consents::generate(&mut consent_rng, &context, kid, parent, &organisations, &mut consents);
    }

    AreaRecords {
        organisations: organisations.records,
        professionals: leads.professionals,
        children,
        family_members,
        consents,
        lead_assignments: leads.assignments,
        // Made by `allocations`, once the demo policy is published.
        allocations: Vec::new(),
    }
}
