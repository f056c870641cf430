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
    add_demo_pathway(store, area.id, &records, &policy, &stamp).await?;
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

/// The demo area's delegation policy: the example one.
const DEMO_DELEGATION: &str = include_str!("../../../policies/example-delegation.toml");
/// The demo area's finance settings (a fictional bank account).
const DEMO_FINANCE: &str = include_str!("../../../policies/example-finance.toml");

/// Gives the demo caseworker's first cases a pathway worth looking at: an
/// assessment running late, a plan waiting for sign-off, an agreed plan, a
/// personal assistant whose DBS check is due, a family's review request,
/// and a risk on the area's register. Everything goes through the same
/// rules as the API.
async fn add_demo_pathway(
    store: &SqlStore,
    area: allot_domain::AreaId,
    records: &allot_domain::records::AreaRecords,
    policy: &allot_domain::ras::Policy,
    stamp: &Stamp,
) -> Result<()> {
    use allot_domain::Role;
    use allot_domain::pathway::casework::{CaseRecord, PersonalAssistantForm, ReviewRequestForm, RiskForm};
    use allot_domain::pathway::content::PlanForm;
    use allot_domain::pathway::delegation::DelegationPolicy;
    use allot_domain::pathway::record::{EventForm, PathwayEvent};
    use allot_domain::pathway::signoff::{Decider, DecisionForm, Submission};
    let fail = |what: &str, e: allot_domain::Invalid| anyhow::anyhow!("demo {what}: {e}");
    let delegation =
        DelegationPolicy::parse(DEMO_DELEGATION).map_err(|e| anyhow::anyhow!("the demo delegation policy: {e:?}"))?;
    let published = store.publish_delegation(area, &delegation, DEMO_DELEGATION, stamp).await?;
    let today = allot_domain::dates::date_in_england(stamp.at);
    let ago = |days: i64| today.checked_sub(jiff::Span::new().days(days)).expect("in range").to_string();
    let users = store.users(area).await?;
    let user = |role: Role| users.iter().find(|u| u.details.role == role).context("a demo user per role");
    let caseworker = user(Role::Caseworker)?;
    let caseload: Vec<_> = records
        .lead_assignments
        .iter()
        .filter(|a| Some(a.professional_id) == caseworker.details.professional_id && a.until.is_none())
        .filter_map(|a| records.children.iter().find(|c| c.id == a.child_id))
        .filter(|c| allot_domain::age_on(c.details.date_of_birth, today).is_some_and(|a| a < 16))
        .take(4)
        .collect();
    let [late, waiting, agreed, assisted] = caseload[..] else {
        anyhow::bail!("the demo caseworker has too few cases")
    };
    let events = |child: allot_domain::ChildId, list: Vec<(&'static str, String, Option<&'static str>)>| async move {
        let mut earlier: Vec<PathwayEvent> = Vec::new();
        for (kind, on, reason) in list {
            let form = EventForm { kind: Some(kind.into()), on: Some(on), reason: reason.map(Into::into), step: None };
            let event = form.parse(&earlier, today).map_err(|e| fail("pathway event", e))?;
            store.record_pathway_event(area, child, earlier.len(), &event, stamp).await?;
            earlier.push(event);
        }
        anyhow::Ok(())
    };
    // An assessment whose decision is overdue.
    events(late.id, vec![("ehc_request_received", ago(45), None)]).await?;
    // A full EHC cycle, issued in time, with its annual review coming up.
    events(
        agreed.id,
        vec![
            ("ehc_request_received", ago(500), None),
            ("decided_to_assess", ago(470), None),
            ("draft_plan_sent", ago(400), None),
            ("final_plan_issued", ago(362), None),
            ("budget_requested", ago(362), None),
        ],
    )
    .await?;
    events(waiting.id, vec![("budget_requested", ago(30), None)]).await?;
    let streams: Vec<String> = policy.streams.iter().map(|s| s.id.clone()).collect();
    let plan = |weekly: &str| -> Result<allot_domain::pathway::content::PlanContent> {
        let form: PlanForm = serde_json::from_value(serde_json::json!({
            "outcomes": [{ "area": "friends_and_community", "wanted": "Go to youth club with friends", "how_we_will_know": "Goes most weeks and has a friend there" }],
            "real_wealth": [{ "who": "Grandparents", "brings": "Look after them on Sunday afternoons" }],
            "items": [
                { "what": "Personal assistant for youth club", "provided_by": "A personal assistant the family employs", "unit_cost": weekly, "units": "3", "frequency": "weekly", "stream": "social_care", "route": "direct_payment" },
                { "what": "Speech and language therapy", "provided_by": "Community SLT", "unit_cost": "60.00", "units": "1", "frequency": "monthly", "stream": "education", "route": "council_managed" }
            ],
            "contingency": { "amount": "150.00", "stream": "social_care", "purpose": "Extra hours if a parent is unwell" },
            "keeping_safe": [{ "risk": "Does not see danger near roads", "reduced_by": "Holds an adult's hand outside; PA trained" }],
            "over_reasons": { "social_care": "Needs two-to-one support outdoors", "education": "Therapy agreed at the annual review" }
        }))?;
        form.parse(&[], &streams).map_err(|e| fail("plan", e))
    };
    let council = |content: &allot_domain::pathway::content::PlanContent| content.totals().total;
    for (child, weekly) in [(waiting, "14.50"), (agreed, "16.00")] {
        let content = plan(weekly)?;
        let draft = store.save_plan_draft(area, child.id, None, &content, caseworker.id, stamp).await?;
        let submission = Submission {
            by: caseworker.id,
            at: stamp.at,
            delegation_version: published.version,
            required: delegation.approvers(council(&content), allot_domain::Pence::ZERO),
            council_total: council(&content),
            health_total: allot_domain::Pence::ZERO,
            indicative: Default::default(),
        };
        let mut version =
            store.submit_plan(area, child.id, (draft.version, draft.row_version), &submission, stamp).await?;
        if child.id == agreed.id {
            // The family signed on paper; the caseworker records it.
            let parent = records
                .family_members
                .iter()
                .find(|m| m.child_id == child.id && m.details.parental_responsibility)
                .map_or_else(|| "The family".to_owned(), |m| m.details.name.to_string());
            for (role, decision, signed_for) in
                [(Role::TeamManager, "approve", None), (Role::Caseworker, "co_sign", Some(parent))]
            {
                let who = user(role)?;
                let decider = Decider { user: who.id, name: who.details.name.to_string(), role };
                let form = DecisionForm {
                    version: Some(version.version),
                    decision: Some(decision.into()),
                    signed_for,
                    ..Default::default()
                };
                let (d, status) =
                    version.decide(&form, &delegation, &decider, stamp.at).map_err(|e| fail("decision", e))?;
                version = store
                    .decide_plan(area, child.id, (version.version, version.row_version), &d, status, stamp)
                    .await?;
            }
        }
    }
    // Money: the council's bank account, the family's bank details
    // (proposed by the caseworker, confirmed by finance) and this month's
    // payment run, prepared and waiting for a finance officer to release.
    store.publish_finance_settings(area, DEMO_FINANCE, stamp).await?;
    let as_user = |role: Role| -> Result<Stamp> {
        let who = user(role)?;
        Ok(Stamp {
            by: allot_domain::Actor::parse(who.details.username.as_str()).map_err(anyhow::Error::msg)?,
            role: Some(role),
            at: stamp.at,
        })
    };
    let family = allot_domain::finance::ledger::AccountKey::DirectPayment { child: agreed.id };
    let details = allot_domain::finance::bank::BankDetailsForm {
        sort_code: Some("20-00-00".into()),
        account_number: Some("55779911".into()),
        account_name: Some(format!("{} family", agreed.details.legal_family_name)),
    }
    .parse()
    .map_err(|e| fail("bank details", e))?;
    let proposed = store
        .propose_bank_details(area, &family, &details, "Direct payment agreement signed", &as_user(Role::Caseworker)?)
        .await?;
    store.decide_bank_details(area, &family, proposed.seq, true, &as_user(Role::FinanceOfficer)?).await?;
    store.prepare_payment_run(area, today, stamp).await?;
    let pa = PersonalAssistantForm {
        name: Some("Sam Patel".into()),
        employed_by: Some("The family".into()),
        dbs_certificate: Some("001234567890".into()),
        dbs_issued_on: Some(ago(3 * 365 - 3)),
        update_service: Some(false),
        renewal_due: None,
    }
    .parse(assisted.id, today)
    .map_err(|e| fail("personal assistant", e))?;
    store.save_case_record(area, &CaseRecord::PersonalAssistant(pa), None, None, stamp).await?;
    let request = ReviewRequestForm {
        received_on: Some(ago(20)),
        plan_version: Some(1),
        what_is_challenged: Some("The plan leaves out help in the school holidays".into()),
    }
    .parse(agreed.id, today)
    .map_err(|e| fail("review request", e))?;
    store.save_case_record(area, &CaseRecord::ReviewRequest(request), None, None, stamp).await?;
    let risk = RiskForm {
        description: Some("Two short-breaks providers may close next year".into()),
        owner: Some("Head of service".into()),
        review_on: Some(today.checked_add(jiff::Span::new().days(30)).expect("in range").to_string()),
    }
    .parse(None)
    .map_err(|e| fail("risk", e))?;
    store.save_case_record(area, &CaseRecord::Risk(risk), None, None, stamp).await?;
    println!(
        "Demo pathway: delegation policy version {}; {} has an overdue assessment decision, {} a plan waiting for \
         sign-off, {} an agreed plan, a payment run waiting for release and a review request, {} a personal \
         assistant whose DBS check is due.",
        published.version,
        late.details.reference,
        waiting.details.reference,
        agreed.details.reference,
        assisted.details.reference
    );
    Ok(())
}
