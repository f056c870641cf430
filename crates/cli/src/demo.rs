//! `allot demo`: create or refresh the demo area.

use crate::progress;
use allot_domain::{Actor, AreaCode, Name, Stamp};
use allot_store::{SqlStore, Store};
use anyhow::{Context, Result};
use std::time::Instant;

/// Creates the demo area, or clears and refills it if it exists.
pub async fn create(store: &SqlStore, children: u32, seed: u64) -> Result<()> {
    let started = Instant::now();
    let stamp = Stamp::now(Actor::parse(allot_demo::DEMO_ACTOR).expect("valid actor"));
    let code = AreaCode::parse(allot_demo::DEMO_AREA_CODE).expect("valid code");
    let area = match store.area_by_code(&code).await? {
        Some(area) => {
            store.clear_area(area.id, &stamp).await?;
            area
        }
        None => store.create_area(&code, &Name::parse(allot_demo::DEMO_AREA_NAME).expect("valid name"), &stamp).await?,
    };
    let today = allot_domain::dates::date_in_england(stamp.at);
    let options = allot_demo::DemoOptions { children, seed, today };
    let mut records = allot_demo::generate(area.id, &options);
    let policy = allot_domain::ras::Policy::parse(allot_demo::DEMO_POLICY)
        .map_err(|e| anyhow::anyhow!("the demo policy is invalid: {e:?}"))?;
    let published = store.publish_policy(area.id, &policy, allot_demo::DEMO_POLICY, &stamp).await?;
    records.allocations = allot_demo::allocations(&records, &published, &options);
    let generated = started.elapsed();
    store
        .load_records(area.id, &records, &stamp, &|done, total| progress::show("loading the demo area", done, total))
        .await?;
    println!(
        "Demo area {} ({}) ready: {} children, {} family members, {} consents, {} professionals, {} organisations, \
         {} completed allocation questionnaires under {} {} (generated in {:.1} s, loaded in {:.1} s).",
        area.name,
        area.code,
        records.children.len(),
        records.family_members.len(),
        records.consents.len(),
        records.professionals.len(),
        records.organisations.len(),
        records.allocations.len(),
        policy.id,
        policy.version,
        generated.as_secs_f64(),
        (started.elapsed() - generated).as_secs_f64(),
    );
    add_demo_users(store, area.id, &records, &stamp).await?;
    Ok(())
}

/// The password of every demo user (the demo area holds no real person).
pub const DEMO_PASSWORD: &str = "wyvern-vale-demo";
/// Every demo staff user's authenticator secret, so anyone trying Allot can
/// add it to an authenticator app (or `oathtool --totp -b SECRET`).
const DEMO_TOTP: [u8; 20] = *b"allot-demo-area-2026";

/// One user per role, so each view of Allot can be tried.
async fn add_demo_users(
    store: &SqlStore,
    area: allot_domain::AreaId,
    records: &allot_domain::records::AreaRecords,
    stamp: &Stamp,
) -> Result<()> {
    use allot_domain::Role;
    use allot_domain::organisation::OrganisationKind;
    let org = |kind| records.organisations.iter().find(|o| o.kind == kind).map(|o| o.id.to_string());
    let caseworker = records.professionals.first().context("the demo area has no professionals")?;
    let other_team =
        records.professionals.iter().map(|p| &p.team).find(|t| **t != caseworker.team).unwrap_or(&caseworker.team);
    let today = allot_domain::dates::date_in_england(stamp.at);
    let caseload: Vec<_> = records
        .lead_assignments
        .iter()
        .filter(|a| a.professional_id == caseworker.id && a.until.is_none())
        .filter_map(|a| records.children.iter().find(|c| c.id == a.child_id))
        .collect();
    let child = caseload.first().context("the demo caseworker has no cases")?;
    let young_person = caseload
        .iter()
        .find(|c| allot_domain::age_on(c.details.date_of_birth, today).is_some_and(|a| a >= 16))
        .unwrap_or(child);
    let credentials = allot_store::Credentials {
        password_hash: Some(allot_web::hash_password(DEMO_PASSWORD)),
        totp_secret: Some(allot_domain::totp::TotpSecret::from_bytes(DEMO_TOTP)),
    };
    for role in Role::ALL {
        let mut form = allot_domain::user::UserForm {
            username: Some(format!("{}@demo.allot.example", role.code().replace('_', "."))),
            name: Some(format!("Demo {}", role.label().to_lowercase())),
            role: Some(role.code().into()),
            organisation_id: role.organisation_kind().and_then(org),
            ..Default::default()
        };
        match role {
            Role::ParentCarer => form.children = Some(vec![child.id.to_string()]),
            Role::YoungPerson => form.children = Some(vec![young_person.id.to_string()]),
            Role::Caseworker => {
                form.professional_id = Some(caseworker.id.to_string());
                form.teams = Some(vec![caseworker.team.to_string()]);
            }
            Role::TeamManager => form.teams = Some(vec![caseworker.team.to_string()]),
            Role::GroupManager => form.teams = Some(vec![caseworker.team.to_string(), other_team.to_string()]),
            _ => {}
        }
        let details = form.parse().map_err(|e| anyhow::anyhow!("demo user {role}: {e}"))?;
        store.create_user(area, &details, &credentials, stamp).await?;
    }
    // A few of the demo caseworker's cases are placed at the demo school,
    // funded by the NHS, and have an ISF with the demo provider; the family
    // consents to share with the school and the NHS. So the school's, the
    // NHS's and the provider's views are not empty.
    let involvements = [
        (OrganisationKind::School, "school_placement", true),
        (OrganisationKind::Nhs, "health_funding", true),
        (OrganisationKind::Provider, "isf_holder", false),
    ];
    for c in caseload.iter().take(5) {
        let parent = records.family_members.iter().find(|m| m.child_id == c.id && m.details.parental_responsibility);
        for (kind, involvement, needs_consent) in involvements {
            let Some(organisation) = org(kind) else { continue };
            let details = allot_domain::involvement::InvolvementForm {
                organisation_id: Some(organisation.clone()),
                kind: Some(involvement.into()),
                from: Some(today.to_string()),
            }
            .parse()
            .map_err(|e| anyhow::anyhow!("demo involvement: {e}"))?;
            store.add_involvement(area, c.id, &details, stamp).await?;
            if let (true, Some(parent)) = (needs_consent, parent) {
                let consent = allot_domain::consent::ConsentDetails {
                    given_by: allot_domain::consent::ConsentGiver::FamilyMember(parent.id),
                    organisation_id: details.organisation_id,
                    shares: allot_domain::consent::SharedInformation::WholeRecord,
                    given_on: today,
                };
                store.record_consent(area, c.id, &consent, stamp).await?;
            }
        }
    }
    println!(
        "Demo users: one per role, such as caseworker@demo.allot.example, team.manager@demo.allot.example, \
         parent.carer@demo.allot.example (see `allot users list`). Password: {DEMO_PASSWORD}. Staff also need a \
         code from an authenticator app set up with the secret {}.",
        allot_domain::totp::TotpSecret::from_bytes(DEMO_TOTP).to_base32()
    );
    Ok(())
}
