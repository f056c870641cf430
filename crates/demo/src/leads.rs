//! The council's caseholding professionals, and each child's lead
//! professional now and (for some) before.

use crate::Context;
use crate::children::Kid;
use crate::lists::{MEN, WOMEN, email_part};
use crate::rng::{Rng, deal};
use allot_domain::professional::{LeadAssignment, Professional, ProfessionalRole};
use allot_domain::text::Name;
use allot_domain::{AreaId, OrganisationId, ProfessionalId};
use std::collections::HashSet;

/// A typical SEN caseworker's caseload.
const CHILDREN_PER_CASEWORKER: u32 = 180;
/// The share of children with a social worker (as a percentage), and a
/// disabled children's social worker's typical caseload.
const PERCENT_WITH_SOCIAL_WORKER: u64 = 12;
const CHILDREN_PER_SOCIAL_WORKER: u32 = 18;
/// Keyworkers hold few cases; about 2% of children have one as lead.
const PERCENT_LED_BY_KEYWORKER: u64 = 2;
const CHILDREN_PER_KEYWORKER: u32 = 25;

/// Who leads each child's case: mostly the SEN caseworker, sometimes the
/// social worker or a keyworker.
const LEAD_ROLES: &[(ProfessionalRole, u64)] = &[
    (ProfessionalRole::SenCaseworker, 88),
    (ProfessionalRole::SocialWorker, 10),
    (ProfessionalRole::Keyworker, PERCENT_LED_BY_KEYWORKER),
];

const AREA_TEAMS: &[&str] = &["SEN North", "SEN South", "SEN East", "SEN West"];
const ADULTHOOD_TEAM: &str = "Preparing for Adulthood";
/// The age from which the Preparing for Adulthood team holds cases.
const ADULTHOOD_FROM_AGE: u32 = 14;

/// The professionals and every lead assignment.
#[derive(Debug)]
pub struct Leads {
    pub professionals: Vec<Professional>,
    pub assignments: Vec<LeadAssignment>,
}

/// Staffs the council for `kids` and allocates every child a lead.
pub fn generate(rng: &mut Rng, context: &Context, council: OrganisationId, kids: &[Kid]) -> Leads {
    let Context { area, clock, actor } = context;
    let area = *area;
    let n = kids.len() as u32;
    let roles = deal(rng, n, LEAD_ROLES);
    let mut lead = vec![0; kids.len()];
    let mut staff = Staff { rng, area, council, professionals: Vec::new(), emails: HashSet::new() };

    // SEN caseworkers: the children are dealt out in equal blocks, under-14s
    // first, so caseloads are equal and most caseworkers hold only younger
    // children (an area team) or only 14s and over (Preparing for Adulthood).
    let caseworkers = n.div_ceil(CHILDREN_PER_CASEWORKER).max(1) as usize;
    let mut sen: Vec<usize> = (0..kids.len()).filter(|&i| roles[i] == ProfessionalRole::SenCaseworker).collect();
    sen.sort_by_key(|&i| kids[i].age >= ADULTHOOD_FROM_AGE);
    let mut area_teams = AREA_TEAMS.iter().cycle();
    for k in 0..caseworkers {
        let block = &sen[k * sen.len() / caseworkers..(k + 1) * sen.len() / caseworkers];
        let older = block.iter().filter(|&&i| kids[i].age >= ADULTHOOD_FROM_AGE).count();
        let team = if older * 2 > block.len() {
            ADULTHOOD_TEAM
        } else {
            area_teams.next().expect("cycling a non-empty list never ends")
        };
        let index = staff.hire(ProfessionalRole::SenCaseworker, team);
        for &i in block {
            lead[i] = index;
        }
    }

    // Social workers and keyworkers: round-robin.
    let percent_of_children = |percent: u64| (u64::from(n) * percent / 100) as u32;
    let social_workers = percent_of_children(PERCENT_WITH_SOCIAL_WORKER).div_ceil(CHILDREN_PER_SOCIAL_WORKER).max(1);
    let keyworkers = percent_of_children(PERCENT_LED_BY_KEYWORKER).div_ceil(CHILDREN_PER_KEYWORKER).max(1);
    for (role, count, team) in [
        (ProfessionalRole::SocialWorker, social_workers, "Disabled Children's Team"),
        (ProfessionalRole::Keyworker, keyworkers, "Keyworking Service"),
    ] {
        let hired: Vec<usize> = (0..count).map(|_| staff.hire(role, team)).collect();
        for (j, i) in (0..kids.len()).filter(|&i| roles[i] == role).enumerate() {
            lead[i] = hired[j % hired.len()];
        }
    }

    let Staff { rng, professionals, .. } = staff;
    let everyone: Vec<usize> = (0..professionals.len()).collect();
    let colleagues =
        |role| -> Vec<usize> { everyone.iter().copied().filter(|&p| professionals[p].role == role).collect() };
    let (caseworkers, social_workers, keyworkers) = (
        colleagues(ProfessionalRole::SenCaseworker),
        colleagues(ProfessionalRole::SocialWorker),
        colleagues(ProfessionalRole::Keyworker),
    );
    let mut assignments = Vec::with_capacity(kids.len() * 6 / 5);
    for (kid, &current) in kids.iter().zip(&lead) {
        let assignment = |professional: usize, from, until, reason: String| LeadAssignment {
            area_id: area,
            child_id: kid.id,
            professional_id: professionals[professional].id,
            from,
            until,
            assigned_by: actor.clone(),
            reason,
        };
        let now = &professionals[current];
        if !kid.transferred {
            assignments.push(assignment(current, kid.created_at, None, first_reason(now.role).to_owned()));
            continue;
        }
        // An earlier lead, usually in the same role, handed over at least
        // a month after the case opened.
        let same_role = match now.role {
            ProfessionalRole::SenCaseworker => &caseworkers,
            ProfessionalRole::SocialWorker => &social_workers,
            ProfessionalRole::Keyworker => &keyworkers,
        };
        // There are always at least three professionals, one per role.
        let pool = if same_role.len() >= 2 { same_role } else { &everyone };
        let earlier = loop {
            let p = *rng.pick(pool);
            if p != current {
                break p;
            }
        };
        let handover_days_ago = rng.between(1, kid.created_days_ago - 30);
        let handover = clock.instant(rng, handover_days_ago);
        let before = &professionals[earlier];
        assignments.push(assignment(earlier, kid.created_at, Some(handover), first_reason(before.role).to_owned()));
        assignments.push(assignment(current, handover, None, transfer_reason(rng, before, now, kid)));
    }
    Leads { professionals, assignments }
}

/// Hires professionals with unique names and council email addresses.
struct Staff<'a> {
    rng: &'a mut Rng,
    area: AreaId,
    council: OrganisationId,
    professionals: Vec<Professional>,
    emails: HashSet<String>,
}

impl Staff<'_> {
    /// Adds a professional; returns their index.
    fn hire(&mut self, role: ProfessionalRole, team: &str) -> usize {
        // Most of the SEND workforce are women.
        let names = if self.rng.chance(0.75) { WOMEN } else { MEN };
        let given = *self.rng.pick(names);
        let family = *self.rng.pick(crate::lists::FAMILY_NAMES);
        let base = format!("{}.{}", email_part(given), email_part(family));
        let mut email = format!("{base}@wyvernvale.example");
        let mut n = 1;
        while !self.emails.insert(email.clone()) {
            n += 1;
            email = format!("{base}{n}@wyvernvale.example");
        }
        self.professionals.push(Professional {
            id: ProfessionalId::from_bytes(self.rng.id_bytes()),
            area_id: self.area,
            organisation_id: self.council,
            name: Name::parse(&format!("{given} {family}")).expect("the demo's names are short, printable text"),
            role,
            team: Name::parse(team).expect("team names are short, printable text"),
            email,
        });
        self.professionals.len() - 1
    }
}

/// Why the first lead professional was allocated.
fn first_reason(role: ProfessionalRole) -> &'static str {
    match role {
        ProfessionalRole::SenCaseworker => "Allocated when the EHC needs assessment was requested",
        ProfessionalRole::SocialWorker => "Allocated as lead professional at a child in need review",
        ProfessionalRole::Keyworker => "Allocated by the keyworking service",
    }
}

/// Why the case moved from `before` to `now`.
fn transfer_reason(rng: &mut Rng, before: &Professional, now: &Professional, kid: &Kid) -> String {
    let reason = match (before.role, now.role) {
        (ProfessionalRole::SenCaseworker, ProfessionalRole::SenCaseworker) => {
            if now.team.as_str() == ADULTHOOD_TEAM
                && before.team.as_str() != ADULTHOOD_TEAM
                && kid.age >= ADULTHOOD_FROM_AGE
            {
                "Case transferred: moved to the Preparing for Adulthood team"
            } else {
                *rng.pick(&[
                    "Case transferred: caseworker moved team",
                    "Case transferred: caseworker left the council",
                    "Case transferred: caseloads rebalanced",
                    "Case transferred: caseworker on long-term leave",
                ])
            }
        }
        (_, ProfessionalRole::SocialWorker) => "Case transferred: social worker became lead professional",
        (_, ProfessionalRole::Keyworker) => "Case transferred: keyworker became lead professional",
        (_, ProfessionalRole::SenCaseworker) => "Case transferred: back to the SEN team as lead",
    };
    reason.to_owned()
}
