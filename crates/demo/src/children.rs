//! Children and young people: who they are and where they live.

use crate::Context;
use crate::calibration::Calibration;
use crate::lists::{BOYS, FAMILY_NAMES, GIRLS, INWARD_LETTERS, NICKNAMES, OUTWARD_CODES, STREET_SUFFIXES, STREETS};
use crate::organisations::Organisations;
use crate::rng::{Rng, deal, quotas};
use allot_domain::text::{ChildReference, Name};
use allot_domain::{Child, ChildDetails, ChildId, EhcPlanStatus, NhsNumber, Postcode, Sex, Upn};
use jiff::Timestamp;
use jiff::civil::Date;
use std::collections::HashSet;

/// What later steps (lead professionals, family, consent) need to know
/// about a child, without digging through the record.
#[derive(Debug, Clone)]
pub struct Kid {
    pub id: ChildId,
    pub date_of_birth: Date,
    pub age: u32,
    pub family_name: &'static str,
    /// When the case record was opened (and the first lead professional
    /// allocated).
    pub created_days_ago: i64,
    pub created_at: Timestamp,
    /// Whether the case has changed hands once already.
    pub transferred: bool,
}

/// EHC process stages: most children in a council's caseload have a final
/// plan; the rest are somewhere in the 20-week process.
const STATUSES: &[(EhcPlanStatus, u64)] = &[
    (EhcPlanStatus::Final, 92),
    (EhcPlanStatus::Requested, 3),
    (EhcPlanStatus::Assessing, 3),
    (EhcPlanStatus::Draft, 2),
];

/// Builds `n` children with age, sex, primary need and plan status laid out
/// by quota, so the area matches the national mix however small it is.
pub fn generate(rng: &mut Rng, context: &Context, n: u32, organisations: &Organisations) -> (Vec<Child>, Vec<Kid>) {
    let Context { area, clock, actor } = context;
    let calibration = Calibration::embedded();
    let ages = deal_ages(rng, n, &calibration);
    let sexes = deal(rng, n, &calibration.sexes);
    let needs = deal(rng, n, &calibration.needs);
    let statuses = deal(rng, n, STATUSES);
    let mut identifiers = Identifiers::default();
    let mut children = Vec::with_capacity(n as usize);
    let mut kids = Vec::with_capacity(n as usize);
    for i in 0..n as usize {
        let (age, sex, status) = (ages[i], sexes[i], statuses[i]);
        let (date_of_birth, born_days_ago) = clock.birth_date(rng, age);
        let (given, family_name, preferred) = names(rng, sex);
        let upn = if (4..=19).contains(&age) && rng.chance(0.97) {
            identifiers.upn(rng, date_of_birth, clock.today(), organisations)
        } else {
            None
        };
        let nhs_number = if rng.chance(0.96) { identifiers.nhs_number(rng) } else { None };
        let details = ChildDetails {
            reference: ChildReference::parse(&format!("WV-{:07}", i + 1)).expect("WV- and digits is a valid reference"),
            legal_given_names: valid_name(&given),
            legal_family_name: valid_name(family_name),
            preferred_name: preferred.as_deref().map(valid_name),
            date_of_birth,
            sex,
            upn,
            nhs_number,
            address: Some(address(rng)),
            postcode: Some(postcode(rng)),
            address_protected: rng.chance(0.005),
            primary_need: needs[i],
            ehc_plan_status: status,
        };

        // A transferred case was opened one to three years ago; others were
        // opened at the stage of the EHC process they have reached.
        let transferred =
            matches!(status, EhcPlanStatus::Final | EhcPlanStatus::Draft) && born_days_ago > 365 && rng.chance(0.21);
        let (earliest, latest) = if transferred {
            (365, 3 * 365)
        } else {
            match status {
                EhcPlanStatus::Requested => (1, 42),
                EhcPlanStatus::Assessing => (43, 140),
                EhcPlanStatus::Draft => (98, 140),
                _ => (141, 8 * 365),
            }
        };
        // Nobody's case opens before they are born.
        let created_days_ago = rng.between(earliest.min(born_days_ago), latest.min(born_days_ago));
        let created_at = clock.instant(rng, created_days_ago);
        let updated_days_ago = rng.between(1, created_days_ago);
        let updated_at = clock.instant(rng, updated_days_ago).max(created_at);
        let id = ChildId::from_bytes(rng.id_bytes());
        children.push(Child {
            id,
            area_id: *area,
            details,
            version: 1,
            created_at,
            created_by: actor.clone(),
            updated_at,
            updated_by: actor.clone(),
        });
        kids.push(Kid { id, date_of_birth, age, family_name, created_days_ago, created_at, transferred });
    }
    (children, kids)
}

/// Names from the embedded lists are valid `Name`s (a test checks them all).
fn valid_name(name: &str) -> Name {
    Name::parse(name).expect("the demo's names are short, printable text")
}

/// Ages laid out by quota over the DfE's age groups, then shuffled. The
/// "under 3" group's count is shared evenly between ages 0, 1 and 2.
fn deal_ages(rng: &mut Rng, n: u32, calibration: &Calibration) -> Vec<u32> {
    let weights: Vec<u64> = calibration.ages.iter().map(|(_, count)| *count).collect();
    let mut ages = Vec::with_capacity(n as usize);
    for ((group, _), count) in calibration.ages.iter().zip(quotas(n, &weights)) {
        let years: Vec<u32> = (group.youngest..=group.oldest).collect();
        for (age, share) in years.iter().zip(quotas(count, &vec![1; years.len()])) {
            ages.extend(std::iter::repeat_n(*age, share as usize));
        }
    }
    rng.shuffle(&mut ages);
    ages
}

/// Given names (one, or two for about a third), family name, and sometimes
/// a name the child prefers.
fn names(rng: &mut Rng, sex: Sex) -> (String, &'static str, Option<String>) {
    let list = match sex {
        Sex::Female => GIRLS,
        Sex::Male => BOYS,
        Sex::Unknown => *rng.pick(&[GIRLS, BOYS]),
    };
    let first = *rng.pick(list);
    let second = rng.chance(0.35).then(|| *rng.pick(list)).filter(|&s| s != first);
    let family = *rng.pick(FAMILY_NAMES);
    let preferred = rng.chance(0.08).then(|| {
        // Known by their middle name, by a short form, or by another name.
        match (second, NICKNAMES.iter().find(|(full, _)| *full == first)) {
            (Some(middle), _) if rng.chance(0.5) => middle.to_owned(),
            (_, Some((_, short))) => (*short).to_owned(),
            _ => (*rng.pick(list)).to_owned(),
        }
    });
    let given = match second {
        Some(second) => format!("{first} {second}"),
        None => first.to_owned(),
    };
    (given, family, preferred)
}

/// A house or flat on a street of the area.
fn address(rng: &mut Rng) -> String {
    let street = format!("{} {}", rng.pick(STREETS), rng.pick(STREET_SUFFIXES));
    let number = rng.between(1, 160);
    if rng.chance(0.08) {
        format!("Flat {}, {number} {street}", rng.between(1, 24))
    } else {
        format!("{number} {street}")
    }
}

/// A postcode in one of the area's districts.
fn postcode(rng: &mut Rng) -> Postcode {
    let outward = rng.pick(OUTWARD_CODES);
    let digit = rng.below(10);
    let a = char::from(*rng.pick(INWARD_LETTERS));
    let b = char::from(*rng.pick(INWARD_LETTERS));
    Postcode::parse(&format!("{outward} {digit}{a}{b}"))
        .expect("a listed district and a valid inward code make a postcode")
}

/// Hands out UPNs and NHS numbers, each at most once.
#[derive(Debug, Default)]
struct Identifiers {
    /// Establishment number, year and serial of each UPN issued.
    upns: HashSet<(u16, i16, u16)>,
    nhs_numbers: HashSet<u32>,
}

impl Identifiers {
    /// A UPN as a school in the area would have issued it when the child
    /// started school: fictional LA number 990, the school's establishment
    /// number, the two-digit year, and a serial. `None` in the (practically
    /// impossible) case that no free number turns up.
    fn upn(&mut self, rng: &mut Rng, dob: Date, today: Date, organisations: &Organisations) -> Option<Upn> {
        // Children start reception in the September after they turn four.
        let started = if dob.month() <= 8 { dob.year() + 4 } else { dob.year() + 5 };
        let year = started.min(today.year()).rem_euclid(100);
        for attempt in 0..100 {
            // Mostly the area's primary schools; if their numbers for that
            // year run short, any establishment number.
            let establishment = if organisations.primary.is_empty() || attempt >= 20 {
                rng.between(1000, 9999) as u16
            } else {
                rng.pick(&organisations.primary).establishment
            };
            let serial = rng.below(1000);
            if self.upns.insert((establishment, year, serial as u16)) {
                let body = format!("990{establishment:04}{year:02}{serial:03}");
                return Some(Upn::from_body(&body).expect("twelve digits make a UPN body"));
            }
        }
        None
    }

    /// An NHS number in the 999 range, which the NHS never issues, so a
    /// demo number can never be a real person's. `None` once the range is
    /// nearly used up (it holds about 909,000 valid numbers).
    fn nhs_number(&mut self, rng: &mut Rng) -> Option<NhsNumber> {
        for _ in 0..100 {
            let middle = rng.below(1_000_000) as u32;
            let first_nine = format!("999{middle:06}");
            let Some(check) = NhsNumber::check_digit(first_nine.as_bytes()) else { continue };
            if self.nhs_numbers.insert(middle) {
                return Some(
                    NhsNumber::parse(&format!("{first_nine}{check}")).expect("a number with its check digit parses"),
                );
            }
        }
        None
    }
}
