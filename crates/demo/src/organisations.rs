//! The council, its NHS partner, schools and providers.

use crate::lists::{PLACES, PROVIDERS, SAINTS};
use crate::rng::Rng;
use crate::{DEMO_AREA_CODE, DEMO_AREA_NAME};
use allot_domain::organisation::{Organisation, OrganisationKind};
use allot_domain::{AreaId, Name, OrganisationId};
use std::collections::HashSet;

/// The NHS body's name and (fictional) ODS code.
pub const NHS_NAME: &str = "NHS Wyvern Vale Integrated Care Board";
pub const NHS_CODE: &str = "QWV";

/// Synthetic URNs are `99` and four digits (real URNs are six digits and
/// none start 99), so there can be at most this many schools.
const MAX_SCHOOLS: u32 = 9_999;

/// A school, with the DfE establishment number used in the UPNs it issues.
#[derive(Debug, Clone, Copy)]
pub struct School {
    pub id: OrganisationId,
    pub establishment: u16,
}

/// The area's organisations, and which is which.
#[derive(Debug, Clone)]
pub struct Organisations {
    pub records: Vec<Organisation>,
    pub council: OrganisationId,
    pub nhs: OrganisationId,
    pub primary: Vec<School>,
    pub secondary: Vec<School>,
    pub special: Vec<School>,
    pub colleges: Vec<School>,
}

/// Builds the organisations for an area of `children` children: about one
/// school per 30 children, at least five, covering every phase.
pub fn generate(rng: &mut Rng, area: AreaId, children: u32) -> Organisations {
    let mut records = Vec::new();
    let mut add = |rng: &mut Rng, kind: OrganisationKind, name: &str, code: Option<String>| {
        let id = OrganisationId::from_bytes(rng.id_bytes());
        let name = Name::parse(name).expect("organisation names are short, printable text");
        records.push(Organisation { id, area_id: area, kind, name, code });
        id
    };
    let council = add(rng, OrganisationKind::Council, DEMO_AREA_NAME, Some(DEMO_AREA_CODE.to_owned()));
    let nhs = add(rng, OrganisationKind::Nhs, NHS_NAME, Some(NHS_CODE.to_owned()));

    // Roughly England's mix of schools: 1% FE colleges, 5% special,
    // 16% secondary, the rest primary.
    let total = (children / 30).clamp(5, MAX_SCHOOLS);
    let colleges = (total / 100).max(1);
    let special = (total * 5 / 100).max(1);
    let secondary = (total * 16 / 100).max(1);
    let primary = total - colleges - special - secondary;

    let mut names = HashSet::new();
    let mut urn = 990_000;
    let mut schools = |rng: &mut Rng, phase: Phase, count: u32, first_establishment: u16| {
        (0..count)
            .map(|i| {
                urn += 1;
                let name = unique_school_name(rng, phase, i, urn, &mut names);
                let id = add(rng, OrganisationKind::School, &name, Some(urn.to_string()));
                School { id, establishment: first_establishment + (i % 1000) as u16 }
            })
            .collect::<Vec<_>>()
    };
    // DfE establishment numbers: 2xxx primary, 4xxx secondary, 7xxx special.
    let primary = schools(rng, Phase::Primary, primary, 2000);
    let secondary = schools(rng, Phase::Secondary, secondary, 4000);
    let special = schools(rng, Phase::Special, special, 7000);
    let colleges = schools(rng, Phase::College, colleges, 8000);

    for name in PROVIDERS {
        add(rng, OrganisationKind::Provider, name, None);
    }
    Organisations { records, council, nhs, primary, secondary, special, colleges }
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    Primary,
    Secondary,
    Special,
    College,
}

/// A school name not used before in the area (after a few tries, the URN
/// is added to keep it distinct).
fn unique_school_name(rng: &mut Rng, phase: Phase, index: u32, urn: u32, used: &mut HashSet<String>) -> String {
    if let (Phase::College, 0) = (phase, index) {
        used.insert("Wyvern Vale College".to_owned());
        return "Wyvern Vale College".to_owned();
    }
    for _ in 0..20 {
        let name = school_name(rng, phase);
        if used.insert(name.clone()) {
            return name;
        }
    }
    format!("{} ({urn})", school_name(rng, phase))
}

/// A plausible school name for its phase.
fn school_name(rng: &mut Rng, phase: Phase) -> String {
    let place = rng.pick(PLACES);
    let saint = rng.pick(SAINTS);
    let roll = rng.below(100);
    match phase {
        Phase::Primary => match roll {
            0..35 => format!("{place} Primary School"),
            35..45 => format!("{place} Community Primary School"),
            45..65 => format!("{place} Primary Academy"),
            65..80 => format!("St {saint}'s Church of England Primary School"),
            80..90 => format!("St {saint}'s Catholic Primary School"),
            _ => format!("{place} Church of England Primary School"),
        },
        Phase::Secondary => match roll {
            0..35 => format!("{place} Academy"),
            35..55 => format!("{place} School"),
            55..70 => format!("{place} High School"),
            70..80 => format!("{place} Community College"),
            80..90 => format!("St {saint}'s Catholic High School"),
            _ => format!("{place} Church of England Academy"),
        },
        Phase::Special => match roll {
            0..60 => format!("{place} Special School"),
            _ => format!("{place} Specialist Academy"),
        },
        Phase::College => match roll {
            0..60 => format!("{place} College"),
            _ => format!("{place} Sixth Form College"),
        },
    }
}
