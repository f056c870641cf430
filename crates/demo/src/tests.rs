//! Checks on whole generated areas: proportions, identifiers, and the
//! rules that tie records together.

use crate::{DEFAULT_CHILDREN, DEMO_ACTOR, DEMO_AREA_NAME, DemoOptions, generate};
use allot_domain::consent::{ConsentGiver, SharedInformation};
use allot_domain::family::FamilyMemberForm;
use allot_domain::organisation::OrganisationKind;
use allot_domain::professional::{LeadAssignment, ProfessionalRole};
use allot_domain::records::AreaRecords;
use allot_domain::{AreaId, ChildId, NhsNumber, OrganisationId, ProfessionalId, Sex, Upn, age_on};
use jiff::Timestamp;
use jiff::civil::{Date, date};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const AREA: [u8; 16] = [7; 16];

fn area() -> AreaId {
    AreaId::from_bytes(AREA)
}

fn options(children: u32, seed: u64, today: Date) -> DemoOptions {
    DemoOptions { children, seed, today }
}

/// Areas of several sizes and awkward dates (a leap day, 1 March), each
/// generated once and shared by the tests.
fn sample_areas() -> &'static [(DemoOptions, AreaRecords)] {
    static AREAS: OnceLock<Vec<(DemoOptions, AreaRecords)>> = OnceLock::new();
    AREAS.get_or_init(|| {
        [
            options(DEFAULT_CHILDREN, 1, date(2026, 11, 22)),
            options(997, 7, date(2028, 2, 29)),
            options(31, 3, date(2026, 3, 1)),
            options(1, 4, date(2025, 6, 30)),
            options(0, 5, date(2025, 6, 30)),
        ]
        .into_iter()
        .map(|o| {
            let records = generate(area(), &o);
            (o, records)
        })
        .collect()
    })
}

fn default_area() -> &'static (DemoOptions, AreaRecords) {
    &sample_areas()[0]
}

/// 00:00 UTC on `today`: every demo instant is before it.
fn start_of(today: Date) -> Timestamp {
    today.to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp()
}

/// A national table from the embedded JSON, read independently of the
/// generator's own parsing.
fn national(table: &str) -> HashMap<String, f64> {
    let json: serde_json::Value = serde_json::from_str(include_str!("../data/calibration_england_2025.json")).unwrap();
    let counts: HashMap<String, f64> =
        json[table].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_f64().unwrap())).collect();
    let total: f64 = counts.values().sum();
    counts.into_iter().map(|(k, v)| (k, v / total)).collect()
}

/// Counts the area's children by the national table's keys.
fn tally(records: &AreaRecords, today: Date) -> [(&'static str, HashMap<String, usize>); 3] {
    let mut ages = HashMap::new();
    let mut sexes = HashMap::new();
    let mut needs = HashMap::new();
    for child in &records.children {
        let d = &child.details;
        let age = age_on(d.date_of_birth, today).unwrap();
        let age_key = if age < 3 { "under 3".to_owned() } else { format!("age {age}") };
        *ages.entry(age_key).or_default() += 1;
        let sex_key = match d.sex {
            Sex::Female => "Female",
            Sex::Male => "Male",
            Sex::Unknown => "Unknown",
        };
        *sexes.entry(sex_key.to_owned()).or_default() += 1;
        *needs.entry(d.primary_need.map_or("NEED_UNKNOWN".to_owned(), |n| n.code().to_owned())).or_default() += 1;
    }
    [("ehc_plans_by_age_jan2025", ages), ("ehc_plans_by_sex_jan2025", sexes), ("primary_need_all_plans_jan2025", needs)]
}

/// Checks every category's count against the national share: within
/// `points` percentage points, and (when `exact`) within rounding.
fn assert_national_mix(records: &AreaRecords, today: Date, points: f64, exact: bool) {
    let n = records.children.len() as f64;
    for (table, counts) in tally(records, today) {
        let shares = national(table);
        for key in counts.keys() {
            assert!(shares.contains_key(key), "{table}: {key} is not a national category");
        }
        for (key, share) in &shares {
            let count = counts.get(key).copied().unwrap_or(0) as f64;
            let diff_points = 100.0 * (count / n - share).abs();
            assert!(diff_points <= points, "{table} {key}: {count} of {n} is {diff_points:.2} points off {share:.4}");
            if exact {
                let expected = n * share;
                assert!(
                    (count - expected).abs() < 1.0,
                    "{table} {key}: {count}, expected {expected:.3} within rounding"
                );
            }
        }
    }
}

#[test]
fn ages_sexes_and_primary_needs_are_within_two_points_of_the_national_figures() {
    let (o, records) = default_area();
    assert_eq!(records.children.len(), DEFAULT_CHILDREN as usize);
    assert_national_mix(records, o.today, 2.0, true);
    let big = options(50_000, 11, date(2027, 1, 1));
    assert_national_mix(&generate(area(), &big), big.today, 2.0, true);
}

#[test]
fn a_small_odd_sized_area_matches_the_national_figures_within_rounding() {
    let (o, records) = &sample_areas()[1];
    assert_eq!(records.children.len(), 997);
    assert_national_mix(records, o.today, 100.0, true);
    for n in [1, 2, 13, 101] {
        let small = options(n, u64::from(n), date(2026, 9, 1));
        assert_national_mix(&generate(area(), &small), small.today, 100.0, true);
    }
}

#[test]
fn ehc_plan_statuses_follow_their_quotas() {
    let (_, records) = default_area();
    let n = records.children.len() as f64;
    let count =
        |code: &str| records.children.iter().filter(|c| c.details.ehc_plan_status.code() == code).count() as f64;
    for (code, share) in [("final", 0.92), ("requested", 0.03), ("assessing", 0.03), ("draft", 0.02)] {
        assert!((count(code) - n * share).abs() < 1.0, "{code}: {}", count(code));
    }
}

#[test]
fn every_upn_and_nhs_number_reparses_nhs_numbers_start_999_and_nothing_repeats() {
    for (o, records) in sample_areas() {
        let mut upns = HashSet::new();
        let mut nhs_numbers = HashSet::new();
        let mut references = HashSet::new();
        for (i, child) in records.children.iter().enumerate() {
            let d = &child.details;
            assert_eq!(d.reference.as_str(), format!("WV-{:07}", i + 1), "references run in order");
            assert!(references.insert(d.reference.clone()), "reference {} repeated", d.reference);
            if let Some(upn) = &d.upn {
                assert_eq!(Upn::parse(upn.as_str()).as_ref(), Ok(upn));
                assert!(!upn.is_temporary());
                assert_eq!(&upn.as_str()[1..4], "990", "the fictional LA number");
                let age = age_on(d.date_of_birth, o.today).unwrap();
                assert!((4..=19).contains(&age), "a UPN for a child aged {age}");
                assert!(upns.insert(upn.clone()), "UPN {upn} repeated");
            }
            if let Some(nhs) = &d.nhs_number {
                assert_eq!(NhsNumber::parse(nhs.digits()).as_ref(), Ok(nhs));
                assert_eq!(NhsNumber::parse(&nhs.to_string()).as_ref(), Ok(nhs));
                assert!(nhs.digits().starts_with("999"), "{nhs} is outside the never-issued range");
                assert!(nhs_numbers.insert(nhs.clone()), "NHS number {nhs} repeated");
            }
        }
    }
    // About 97% of school-age children have a UPN and 96% of all an NHS number.
    let (o, records) = default_area();
    let school_age: Vec<_> = records
        .children
        .iter()
        .filter(|c| (4..=19).contains(&age_on(c.details.date_of_birth, o.today).unwrap()))
        .collect();
    let with_upn = school_age.iter().filter(|c| c.details.upn.is_some()).count() as f64 / school_age.len() as f64;
    assert!((0.95..0.99).contains(&with_upn), "{with_upn}");
    let with_nhs = records.children.iter().filter(|c| c.details.nhs_number.is_some()).count() as f64
        / records.children.len() as f64;
    assert!((0.94..0.98).contains(&with_nhs), "{with_nhs}");
}

#[test]
fn every_child_is_aged_0_to_25_has_a_valid_postcode_and_round_trips_through_the_form() {
    for (o, records) in sample_areas() {
        for child in &records.children {
            let d = &child.details;
            let age = age_on(d.date_of_birth, o.today).expect("born by today");
            assert!(age <= 25, "aged {age}");
            let postcode = d.postcode.as_ref().expect("every demo child has a postcode");
            assert_eq!(allot_domain::Postcode::parse(postcode.as_str()).as_ref(), Ok(postcode));
            assert_eq!(d.to_form().parse(o.today).as_ref(), Ok(d), "{:?}", d.to_form());
        }
    }
    let (_, records) = default_area();
    let n = records.children.len() as f64;
    let share = |f: &dyn Fn(&allot_domain::ChildDetails) -> bool| {
        records.children.iter().filter(|c| f(&c.details)).count() as f64 / n
    };
    // ("Xin Yi" is one given name with a space in it.)
    let two_given = share(&|d| d.legal_given_names.as_str() != "Xin Yi" && d.legal_given_names.as_str().contains(' '));
    assert!((0.28..0.40).contains(&two_given), "second given names: {two_given}");
    assert!((0.05..0.11).contains(&share(&|d| d.preferred_name.is_some())));
    assert!(share(&|d| d.address_protected) < 0.02);
}

#[test]
fn the_same_seed_gives_identical_records_and_another_seed_different_ones() {
    let today = date(2026, 11, 22);
    let a = generate(area(), &options(300, 42, today));
    let b = generate(area(), &options(300, 42, today));
    let c = generate(area(), &options(300, 43, today));
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    assert_ne!(format!("{a:?}"), format!("{c:?}"));
    let names = |r: &AreaRecords| r.children.iter().map(|c| c.details.known_as()).collect::<Vec<_>>();
    let same = names(&a).iter().zip(names(&c)).filter(|(x, y)| **x == *y).count();
    assert!(same < 10, "another seed makes other children ({same} of 300 alike)");
}

/// Each child's lead spells, earliest first.
fn spells(records: &AreaRecords) -> HashMap<ChildId, Vec<&LeadAssignment>> {
    let mut by_child: HashMap<ChildId, Vec<&LeadAssignment>> = HashMap::new();
    for a in &records.lead_assignments {
        by_child.entry(a.child_id).or_default().push(a);
    }
    for list in by_child.values_mut() {
        list.sort_by_key(|a| a.from);
    }
    by_child
}

#[test]
fn every_child_has_exactly_one_open_lead_and_closed_spells_end_when_the_next_starts() {
    for (o, records) in sample_areas() {
        let professionals: HashSet<ProfessionalId> = records.professionals.iter().map(|p| p.id).collect();
        let by_child = spells(records);
        assert_eq!(by_child.len(), records.children.len());
        let mut transferred = 0;
        for child in &records.children {
            let list = &by_child[&child.id];
            assert_eq!(list.iter().filter(|a| a.until.is_none()).count(), 1, "one open spell");
            assert!(list.last().unwrap().until.is_none(), "the open spell is the latest");
            assert!(list[0].from >= child.created_at, "no lead before the case opened");
            for pair in list.windows(2) {
                assert_eq!(pair[0].until, Some(pair[1].from), "no gap and no overlap");
                assert!(pair[0].from < pair[1].from);
                assert_ne!(pair[0].professional_id, pair[1].professional_id);
            }
            for a in list {
                assert!(professionals.contains(&a.professional_id));
                assert_eq!(a.assigned_by.as_str(), DEMO_ACTOR);
                assert!(!a.reason.is_empty());
            }
            if list.len() > 1 {
                transferred += 1;
                let earliest = o.today.checked_sub(jiff::Span::new().days(3 * 365)).unwrap();
                let latest = o.today.checked_sub(jiff::Span::new().days(365)).unwrap();
                let from = list[0].from.to_zoned(jiff::tz::TimeZone::UTC).date();
                assert!((earliest..=latest).contains(&from), "an earlier spell began {from}");
            }
        }
        if records.children.len() == DEFAULT_CHILDREN as usize {
            let share = f64::from(transferred) / records.children.len() as f64;
            assert!((0.16..0.24).contains(&share), "{share} of cases transferred");
        }
    }
}

#[test]
fn caseloads_are_within_a_fifth_of_the_role_average_and_sen_caseworkers_hold_120_to_250() {
    for (o, records) in sample_areas().iter().filter(|(o, _)| o.children >= 997) {
        let mut open: HashMap<ProfessionalId, usize> = HashMap::new();
        for a in records.lead_assignments.iter().filter(|a| a.until.is_none()) {
            *open.entry(a.professional_id).or_default() += 1;
        }
        for role in ProfessionalRole::ALL {
            let loads: Vec<usize> = records
                .professionals
                .iter()
                .filter(|p| p.role == *role)
                .map(|p| open.get(&p.id).copied().unwrap_or(0))
                .collect();
            assert!(!loads.is_empty(), "no {role}");
            let mean = loads.iter().sum::<usize>() as f64 / loads.len() as f64;
            for load in &loads {
                assert!((*load as f64 - mean).abs() <= 0.2 * mean, "{role}: {load} against a mean of {mean:.1}");
            }
            if *role == ProfessionalRole::SenCaseworker && o.children == DEFAULT_CHILDREN {
                assert!(loads.iter().all(|l| (120..=250).contains(l)), "{loads:?}");
            }
        }
        let n = records.children.len() as f64;
        let led_by = |role| {
            let ids: HashSet<_> = records.professionals.iter().filter(|p| p.role == role).map(|p| p.id).collect();
            records.lead_assignments.iter().filter(|a| a.until.is_none() && ids.contains(&a.professional_id)).count()
                as f64
                / n
        };
        assert!((led_by(ProfessionalRole::SenCaseworker) - 0.88).abs() < 0.005);
        assert!((led_by(ProfessionalRole::SocialWorker) - 0.10).abs() < 0.005);
        assert!((led_by(ProfessionalRole::Keyworker) - 0.02).abs() < 0.005);
    }
}

#[test]
fn the_preparing_for_adulthood_team_holds_the_older_young_people() {
    let (o, records) = default_area();
    let teams: HashMap<ProfessionalId, &str> = records.professionals.iter().map(|p| (p.id, p.team.as_str())).collect();
    let ages: HashMap<ChildId, u32> =
        records.children.iter().map(|c| (c.id, age_on(c.details.date_of_birth, o.today).unwrap())).collect();
    let (mut adulthood, mut adulthood_14_plus, mut area_teams, mut area_under_14) = (0, 0, 0, 0);
    for a in records.lead_assignments.iter().filter(|a| a.until.is_none()) {
        let older = ages[&a.child_id] >= 14;
        match teams[&a.professional_id] {
            "Preparing for Adulthood" => {
                (adulthood, adulthood_14_plus) = (adulthood + 1, adulthood_14_plus + usize::from(older))
            }
            t if t.starts_with("SEN ") => {
                (area_teams, area_under_14) = (area_teams + 1, area_under_14 + usize::from(!older))
            }
            _ => {}
        }
    }
    assert!(adulthood > 0 && area_teams > 0);
    assert!(adulthood_14_plus as f64 / adulthood as f64 > 0.9, "{adulthood_14_plus} of {adulthood}");
    assert!(area_under_14 as f64 / area_teams as f64 > 0.9, "{area_under_14} of {area_teams}");
}

#[test]
fn every_consent_is_given_by_the_childs_parent_or_a_young_person_of_16_to_an_organisation_in_the_area() {
    for (o, records) in sample_areas() {
        let members: HashMap<_, _> = records.family_members.iter().map(|m| (m.id, m)).collect();
        let children: HashMap<_, _> = records.children.iter().map(|c| (c.id, c)).collect();
        let organisations: HashMap<OrganisationId, OrganisationKind> =
            records.organisations.iter().map(|org| (org.id, org.kind)).collect();
        let three_years_ago = o.today.checked_sub(jiff::Span::new().years(3)).unwrap();
        for consent in &records.consents {
            let d = &consent.details;
            let child = children[&consent.child_id];
            match d.given_by {
                ConsentGiver::FamilyMember(id) => {
                    let member = members[&id];
                    assert_eq!(member.child_id, consent.child_id, "a consent from another child's family");
                    assert!(
                        member.details.parental_responsibility,
                        "consent from someone without parental responsibility"
                    );
                }
                ConsentGiver::YoungPerson => {
                    let age = age_on(child.details.date_of_birth, d.given_on).unwrap();
                    assert!(age >= 16, "a young person consented aged {age}");
                }
            }
            let kind = organisations.get(&d.organisation_id).expect("the organisation is in the area");
            let expected = match d.shares {
                SharedInformation::Health => OrganisationKind::Nhs,
                SharedInformation::Education => OrganisationKind::School,
                _ => OrganisationKind::Council,
            };
            assert_eq!(*kind, expected);
            assert!(three_years_ago <= d.given_on && d.given_on <= o.today, "given on {}", d.given_on);
            assert!(d.given_on >= child.details.date_of_birth);
            assert!(consent.recorded_at >= child.created_at && consent.recorded_at < start_of(o.today));
            assert_eq!(consent.recorded_by.as_str(), DEMO_ACTOR);
            match (consent.withdrawn_at, &consent.withdrawn_by) {
                (None, None) => {}
                (Some(at), Some(by)) => {
                    assert!(consent.recorded_at < at && at < start_of(o.today));
                    assert_eq!(by.as_str(), DEMO_ACTOR);
                }
                _ => panic!("withdrawn_at and withdrawn_by go together"),
            }
        }
    }
    let (_, records) = default_area();
    let count =
        |f: &dyn Fn(&allot_domain::consent::Consent) -> bool| records.consents.iter().filter(|c| f(c)).count() as f64;
    let with_parent = records
        .children
        .iter()
        .filter(|c| records.family_members.iter().any(|m| m.child_id == c.id && m.details.parental_responsibility))
        .count() as f64;
    let health = count(&|c| c.details.shares == SharedInformation::Health) / with_parent;
    assert!((0.75..0.85).contains(&health), "health consent for {health} of children with a parent");
    let withdrawn = count(&|c| c.withdrawn_at.is_some()) / records.consents.len() as f64;
    assert!((0.005..0.04).contains(&withdrawn), "{withdrawn} withdrawn");
    assert!(count(&|c| c.details.given_by == ConsentGiver::YoungPerson) > 0.0);
}

#[test]
fn every_child_under_18_has_a_family_member_with_parental_responsibility() {
    for (o, records) in sample_areas() {
        let mut families: HashMap<ChildId, Vec<&allot_domain::family::FamilyMember>> = HashMap::new();
        for m in &records.family_members {
            families.entry(m.child_id).or_default().push(m);
        }
        for child in &records.children {
            let family = families.get(&child.id).map(Vec::as_slice).unwrap_or_default();
            assert!((1..=3).contains(&family.len()), "{} family members", family.len());
            let with_pr = family.iter().filter(|m| m.details.parental_responsibility).count();
            if age_on(child.details.date_of_birth, o.today).unwrap() < 18 {
                assert!(with_pr >= 1, "{} has nobody with parental responsibility", child.details.reference);
            } else {
                assert_eq!(with_pr, 0, "parental responsibility ends at 18");
            }
        }
    }
}

#[test]
fn every_family_member_reparses_from_a_form_with_the_detail_for_their_contact_method() {
    for (_, records) in sample_areas() {
        for m in &records.family_members {
            let d = &m.details;
            let form = FamilyMemberForm {
                name: Some(d.name.to_string()),
                relationship: Some(d.relationship.code().to_owned()),
                parental_responsibility: Some(d.parental_responsibility),
                contact_by: Some(d.contact_by.code().to_owned()),
                email: d.email.clone(),
                phone: d.phone.clone(),
            };
            assert_eq!(form.parse().as_ref(), Ok(d));
            if let Some(email) = &d.email {
                assert!(["@example.com", "@example.org", "@example.net"].iter().any(|s| email.ends_with(s)), "{email}");
            }
            if let Some(phone) = &d.phone {
                assert!(phone.starts_with("07700 900") || phone.starts_with("01632 960"), "{phone}");
            }
            assert_eq!(m.version, 1);
        }
    }
}

#[test]
fn no_instant_is_after_today_and_nothing_is_updated_before_it_was_created() {
    for (o, records) in sample_areas() {
        let end = start_of(o.today);
        for c in &records.children {
            assert!(c.created_at <= c.updated_at && c.updated_at < end);
            assert_eq!(c.version, 1);
            assert_eq!((c.created_by.as_str(), c.updated_by.as_str()), (DEMO_ACTOR, DEMO_ACTOR));
            assert!(c.created_at >= start_of(c.details.date_of_birth), "a case opened before birth");
        }
        let created: HashMap<_, _> = records.children.iter().map(|c| (c.id, c.created_at)).collect();
        for m in &records.family_members {
            assert!(created[&m.child_id] <= m.updated_at && m.updated_at < end);
            assert_eq!(m.updated_by.as_str(), DEMO_ACTOR);
        }
        for a in &records.lead_assignments {
            assert!(a.from < end && a.until.is_none_or(|u| a.from < u && u < end));
        }
    }
}

#[test]
fn every_record_carries_the_given_area_id() {
    for (_, records) in sample_areas() {
        let a = area();
        assert!(records.organisations.iter().all(|r| r.area_id == a));
        assert!(records.professionals.iter().all(|r| r.area_id == a));
        assert!(records.children.iter().all(|r| r.area_id == a));
        assert!(records.family_members.iter().all(|r| r.area_id == a));
        assert!(records.consents.iter().all(|r| r.area_id == a));
        assert!(records.lead_assignments.iter().all(|r| r.area_id == a));
    }
    let other = AreaId::from_bytes([9; 16]);
    let records = generate(other, &options(20, 1, date(2026, 1, 1)));
    assert!(records.children.iter().all(|r| r.area_id == other));
}

#[test]
fn the_area_has_a_council_an_nhs_body_schools_of_every_phase_and_providers() {
    for (o, records) in sample_areas() {
        let of = |kind| records.organisations.iter().filter(move |org| org.kind == kind);
        let council: Vec<_> = of(OrganisationKind::Council).collect();
        assert_eq!(council.len(), 1);
        assert_eq!(council[0].name.as_str(), DEMO_AREA_NAME);
        let nhs: Vec<_> = of(OrganisationKind::Nhs).collect();
        assert_eq!(nhs.len(), 1);
        assert_eq!(nhs[0].code.as_deref(), Some("QWV"));
        let schools: Vec<_> = of(OrganisationKind::School).collect();
        assert_eq!(schools.len() as u32, (o.children / 30).max(5));
        let urns: HashSet<_> = schools.iter().map(|s| s.code.clone().unwrap()).collect();
        assert_eq!(urns.len(), schools.len(), "URNs are unique");
        assert!(urns.iter().all(|u| u.len() == 6 && u.starts_with("99")));
        let names: HashSet<_> = schools.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names.len(), schools.len(), "school names are unique");
        for phase in ["Primary", "College"] {
            assert!(names.iter().any(|n| n.contains(phase)), "no {phase}");
        }
        assert!(names.iter().any(|n| n.contains("Special")));
        assert_eq!(of(OrganisationKind::Provider).count(), 12);

        let council_id = council[0].id;
        let mut emails = HashSet::new();
        for p in &records.professionals {
            assert_eq!(p.organisation_id, council_id);
            assert!(p.email.ends_with("@wyvernvale.example"), "{}", p.email);
            assert!(emails.insert(p.email.clone()), "{} repeated", p.email);
        }
    }
}
