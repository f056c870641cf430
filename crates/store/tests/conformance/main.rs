//! The storage conformance suite: the same stories against SQLite and
//! PostgreSQL (when `ALLOT_TEST_DATABASE_URL` is set).

mod money;
mod pathway;

use allot_domain::access::ChildScope;
use allot_domain::child::{ChildDetails, ChildForm};
use allot_domain::consent::{ConsentDetails, ConsentGiver, SharedInformation};
use allot_domain::family::FamilyMemberForm;
use allot_domain::paging::{ChildQuery, ChildSort};
use allot_domain::{Actor, AreaCode, AreaId, EhcPlanStatus, Name, OrganisationId, PrimaryNeed, ProfessionalId, Stamp};
use allot_store::testing::TestDatabase;
use allot_store::{Engine, SqlStore, Store, StoreError, on_both_engines};
use jiff::civil::date;

const TODAY: jiff::civil::Date = date(2026, 11, 22);

fn stamp(who: &str) -> Stamp {
    Stamp::now(Actor::parse(who).unwrap())
}

fn child(reference: &str, given: &str, family: &str, dob: &str) -> ChildDetails {
    ChildForm {
        reference: Some(reference.into()),
        legal_given_names: Some(given.into()),
        legal_family_name: Some(family.into()),
        date_of_birth: Some(dob.into()),
        sex: Some("male".into()),
        primary_need: Some("SLCN".into()),
        ehc_plan_status: Some("final".into()),
        ..Default::default()
    }
    .parse(TODAY)
    .unwrap()
}

async fn area(store: &SqlStore, code: &str) -> AreaId {
    store
        .create_area(&AreaCode::parse(code).unwrap(), &Name::parse("Test Council").unwrap(), &stamp("setup"))
        .await
        .unwrap()
        .id
}

/// An area with a council and two caseworkers.
async fn area_with_staff(store: &SqlStore, code: &str) -> (AreaId, OrganisationId, [ProfessionalId; 2]) {
    let seeded = allot_store::testing::seed_area(store, code).await;
    (seeded.area, seeded.council, seeded.caseworkers)
}

on_both_engines!(
    a_child_is_created_read_and_counted,
    a_stale_update_is_refused_and_changes_nothing,
    two_simultaneous_updates_from_one_version_let_exactly_one_win,
    an_update_that_changes_nothing_keeps_the_version,
    references_are_unique_within_an_area_only,
    another_areas_child_looks_like_no_child,
    paging_visits_every_child_once_in_order,
    filters_and_search_narrow_the_list,
    importing_the_same_children_twice_changes_nothing,
    consent_withdrawal_takes_effect_at_once_and_only_once,
    only_the_right_people_can_give_consent,
    lead_professional_history_has_no_gaps,
    every_change_records_who_and_when,
    migrating_twice_applies_nothing_new,
    verify_passes_on_good_data_and_names_corrupt_rows,
    clearing_an_area_leaves_other_areas_alone,
    a_published_policy_is_immutable_and_the_one_in_force_is_chosen_by_date,
    a_stored_allocation_recomputes_to_the_penny,
    a_scoped_list_shows_exactly_the_children_the_policy_admits,
);

/// The store turns each scope into SQL; the domain decides one child at a
/// time. Over children with every mix of lead team, age, involvement and
/// consent, the two must agree exactly.
async fn a_scoped_list_shows_exactly_the_children_the_policy_admits(db: TestDatabase) {
    use allot_domain::access::InvolvementKind;
    use allot_domain::involvement::InvolvementDetails;
    let store = db.store().await;
    let (area, council, [asha, _]) = area_with_staff(&store, "E06000001").await;
    let now = jiff::Timestamp::now();
    let today = allot_domain::dates::date_in_england(now);
    let mut ids = Vec::new();
    for i in 0..16u32 {
        // Ages 15 and 16 today, either side of the young person's threshold.
        let born = today.checked_sub(jiff::Span::new().years(15 + (i % 2) as i64)).unwrap();
        let c = store
            .create_child(area, &child(&format!("C-{i}"), "Kit", "Lee", &born.to_string()), &stamp("t"))
            .await
            .unwrap();
        if i % 4 < 2 {
            store.assign_lead_professional(area, c.id, asha, "allocated", &stamp("t")).await.unwrap();
        }
        if i % 8 < 4 {
            let kind = if i % 3 == 0 { InvolvementKind::SchoolPlacement } else { InvolvementKind::IsfHolder };
            let details = InvolvementDetails { organisation_id: council, kind, from: date(2026, 1, 1) };
            let inv = store.add_involvement(area, c.id, &details, &stamp("t")).await.unwrap();
            if i % 5 == 0 {
                store.end_involvement(area, inv.id, today, &stamp("t")).await.unwrap();
            }
        }
        // The 16-year-olds (odd i) can consent themselves.
        if i % 2 == 1 && i % 7 != 1 {
            let consent = ConsentDetails {
                given_by: ConsentGiver::YoungPerson,
                organisation_id: council,
                shares: SharedInformation::WholeRecord,
                given_on: today,
            };
            let k = store.record_consent(area, c.id, &consent, &stamp("t")).await.unwrap();
            if i == 13 {
                store.withdraw_consent(area, k.id, "changed mind", &stamp("t")).await.unwrap();
            }
        }
        ids.push(c.id);
    }
    let scopes = vec![
        ChildScope::Everyone,
        ChildScope::Nobody,
        ChildScope::LeadTeams(vec![Name::parse("SEN North").unwrap()]),
        ChildScope::LeadTeams(vec![Name::parse("SEN South").unwrap()]),
        ChildScope::Linked { children: ids[..6].to_vec(), min_age: Some(16) },
        ChildScope::Linked { children: ids[3..5].to_vec(), min_age: None },
        ChildScope::Involved { organisation: council, kinds: &[InvolvementKind::SchoolPlacement], needs_consent: true },
        ChildScope::Involved {
            organisation: council,
            kinds: &[InvolvementKind::IsfHolder, InvolvementKind::Commissioned],
            needs_consent: false,
        },
    ];
    let now = jiff::Timestamp::now();
    let mut sizes = Vec::new();
    for scope in scopes {
        let listed: Vec<_> = store
            .list_children(area, &scope, now, &ChildQuery { limit: 500, ..Default::default() })
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|c| c.id)
            .collect();
        let mut admitted = Vec::new();
        for id in &ids {
            let facts = store.child_facts(area, *id, now).await.unwrap().unwrap();
            if scope.admits(*id, &facts) {
                admitted.push(*id);
            }
        }
        let mut listed_sorted = listed.clone();
        listed_sorted.sort();
        admitted.sort();
        assert_eq!(listed_sorted, admitted, "{scope:?}");
        sizes.push(admitted.len());
    }
    // Worked out by hand from the loop above, so the comparison is not
    // between two empty lists.
    assert_eq!(sizes, [16, 0, 8, 0, 3, 2, 2, 4]);
}

async fn a_child_is_created_read_and_counted(db: TestDatabase) {
    let store = db.store().await;
    let area = area(&store, "E06000001").await;
    let details = ChildForm {
        upn: Some("T801200100101".into()),
        nhs_number: Some("943 476 5919".into()),
        postcode: Some("bs1 4dj".into()),
        address: Some("1 Mill Lane".into()),
        address_protected: Some(true),
        preferred_name: Some("Sam".into()),
        ..child("WV-1", "Samuel", "O'Brien", "2012-02-29").to_form()
    }
    .parse(TODAY)
    .unwrap();
    let created = store.create_child(area, &details, &stamp("caseworker:asha")).await.unwrap();
    assert_eq!(created.version, 1);
    let read = store.child(area, created.id).await.unwrap();
    assert_eq!(read.details, details, "every field survives the round trip");
    assert_eq!(read.created_by.as_str(), "caseworker:asha");
    assert_eq!(read.created_at.as_millisecond(), created.created_at.as_millisecond());
    assert_eq!(store.count_children(area).await.unwrap(), 1);
    assert_eq!(store.child_by_reference(area, &details.reference).await.unwrap().unwrap().id, created.id);
}

async fn a_stale_update_is_refused_and_changes_nothing(db: TestDatabase) {
    let store = db.store().await;
    let area = area(&store, "E06000001").await;
    let c = store.create_child(area, &child("WV-1", "Amara", "Okafor", "2014-09-23"), &stamp("a")).await.unwrap();
    let first = ChildDetails { ehc_plan_status: EhcPlanStatus::Ceased, ..c.details.clone() };
    let v2 = store.update_child(area, c.id, 1, &first, &stamp("b")).await.unwrap();
    assert_eq!(v2.version, 2);
    let second = ChildDetails { primary_need: Some(PrimaryNeed::Asd), ..c.details.clone() };
    match store.update_child(area, c.id, 1, &second, &stamp("c")).await {
        Err(StoreError::VersionConflict { expected: 1, current: 2 }) => {}
        other => panic!("expected a version conflict, got {other:?}"),
    }
    let now = store.child(area, c.id).await.unwrap();
    assert_eq!(now.details, first, "the stale update was not applied");
    assert_eq!(now.updated_by.as_str(), "b");
}

async fn two_simultaneous_updates_from_one_version_let_exactly_one_win(db: TestDatabase) {
    let store = db.store().await;
    let area = area(&store, "E06000001").await;
    let c = store.create_child(area, &child("WV-1", "Amara", "Okafor", "2014-09-23"), &stamp("a")).await.unwrap();
    let mut tasks = Vec::new();
    for need in [PrimaryNeed::Asd, PrimaryNeed::Semh, PrimaryNeed::Hi, PrimaryNeed::Vi] {
        let (store, details) = (store.clone(), ChildDetails { primary_need: Some(need), ..c.details.clone() });
        tasks.push(tokio::spawn(async move { store.update_child(area, c.id, 1, &details, &stamp("x")).await }));
    }
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(updated) => {
                wins += 1;
                assert_eq!(updated.version, 2);
            }
            Err(StoreError::VersionConflict { expected: 1, current: 2 }) => {}
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(store.child(area, c.id).await.unwrap().version, 2);
}

async fn an_update_that_changes_nothing_keeps_the_version(db: TestDatabase) {
    let store = db.store().await;
    let area = area(&store, "E06000001").await;
    let c = store.create_child(area, &child("WV-1", "Amara", "Okafor", "2014-09-23"), &stamp("a")).await.unwrap();
    let same = store.update_child(area, c.id, 1, &c.details, &stamp("b")).await.unwrap();
    assert_eq!((same.version, same.updated_by.as_str()), (1, "a"));
}

async fn references_are_unique_within_an_area_only(db: TestDatabase) {
    let store = db.store().await;
    let (a, b) = (area(&store, "E06000001").await, area(&store, "E06000002").await);
    store.create_child(a, &child("WV-1", "Amara", "Okafor", "2014-09-23"), &stamp("x")).await.unwrap();
    match store.create_child(a, &child("WV-1", "Other", "Child", "2015-01-01"), &stamp("x")).await {
        Err(StoreError::Duplicate(msg)) => assert!(msg.contains("WV-1"), "{msg}"),
        other => panic!("expected a duplicate, got {other:?}"),
    }
    store.create_child(b, &child("WV-1", "Other", "Child", "2015-01-01"), &stamp("x")).await.unwrap();
    assert_eq!(store.count_children(a).await.unwrap(), 1);
    let dup_code =
        store.create_area(&AreaCode::parse("E06000001").unwrap(), &Name::parse("Again").unwrap(), &stamp("x")).await;
    assert!(matches!(dup_code, Err(StoreError::Duplicate(_))));
}

async fn another_areas_child_looks_like_no_child(db: TestDatabase) {
    let store = db.store().await;
    let (a, b) = (area(&store, "E06000001").await, area(&store, "E06000002").await);
    let c = store.create_child(a, &child("WV-1", "Amara", "Okafor", "2014-09-23"), &stamp("x")).await.unwrap();
    assert!(matches!(store.child(b, c.id).await, Err(StoreError::NotFound)));
    assert!(matches!(store.child(b, allot_domain::ChildId::new()).await, Err(StoreError::NotFound)));
    assert!(matches!(store.update_child(b, c.id, 1, &c.details, &stamp("x")).await, Err(StoreError::NotFound)));
    assert!(
        store
            .list_children(b, &ChildScope::Everyone, jiff::Timestamp::now(), &ChildQuery::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(store.child_by_reference(b, &c.details.reference).await.unwrap().is_none());
    assert!(store.changes(b, &c.id.to_string()).await.unwrap().is_empty());
}

async fn paging_visits_every_child_once_in_order(db: TestDatabase) {
    let store = db.store().await;
    let area = area(&store, "E06000001").await;
    let names = ["Zoe", "adam", "Émile", "Bea", "bea", "Cy", "O'Neil", "de Souza", "Mc Ewan", "Ng", "Ng", "Åsa", "Li"];
    for (i, n) in names.iter().enumerate() {
        let dob = format!("20{:02}-0{}-1{}", 5 + i % 15, 1 + i % 9, i % 10);
        store.create_child(area, &child(&format!("R{:03}", 13 - i), "Kid", n, &dob), &stamp("x")).await.unwrap();
    }
    for sort in ChildSort::ALL {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .list_children(
                    area,
                    &ChildScope::Everyone,
                    jiff::Timestamp::now(),
                    &ChildQuery { sort: *sort, limit: 4, after, ..Default::default() },
                )
                .await
                .unwrap();
            assert!(page.items.len() <= 4);
            seen.extend(page.items);
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen.len(), names.len(), "{sort:?}: every child once");
        let keys: Vec<(String, String)> = seen
            .iter()
            .map(|c| {
                let key = match sort {
                    ChildSort::Reference => c.details.reference.to_string(),
                    ChildSort::Name => c.details.name_key(),
                    ChildSort::DateOfBirth => c.details.date_of_birth.to_string(),
                };
                (key, c.id.to_string())
            })
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "{sort:?}: in byte order of the key, then id");
    }
}

async fn filters_and_search_narrow_the_list(db: TestDatabase) {
    let store = db.store().await;
    let (area, _, [asha, _]) = area_with_staff(&store, "E06000001").await;
    let a =
        store.create_child(area, &child("WV-100", "Amara Grace", "Okafor", "2014-09-23"), &stamp("x")).await.unwrap();
    let b =
        ChildDetails { primary_need: Some(PrimaryNeed::Asd), ..child("WV-200", "Ben", "Smith_Jones", "2010-01-01") };
    let b = store.create_child(area, &b, &stamp("x")).await.unwrap();
    let c = ChildDetails {
        ehc_plan_status: EhcPlanStatus::Requested,
        ..child("XX-300", "Cara", "100% Jones", "2011-01-01")
    };
    store.create_child(area, &c, &stamp("x")).await.unwrap();
    store.assign_lead_professional(area, b.id, asha, "new case", &stamp("x")).await.unwrap();
    let refs = |q: ChildQuery| {
        let store = store.clone();
        async move {
            store
                .list_children(area, &ChildScope::Everyone, jiff::Timestamp::now(), &q)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|c| c.details.reference.to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(refs(ChildQuery { primary_need: Some(PrimaryNeed::Asd), ..Default::default() }).await, ["WV-200"]);
    assert_eq!(
        refs(ChildQuery { ehc_plan_status: Some(EhcPlanStatus::Final), ..Default::default() }).await,
        ["WV-100", "WV-200"]
    );
    assert_eq!(refs(ChildQuery { lead_professional: Some(asha), ..Default::default() }).await, ["WV-200"]);
    assert_eq!(refs(ChildQuery { search: Some("grace OKAFOR".into()), ..Default::default() }).await, ["WV-100"]);
    assert_eq!(refs(ChildQuery { search: Some("wv-".into()), ..Default::default() }).await, ["WV-100", "WV-200"]);
    assert_eq!(refs(ChildQuery { search: Some("jones".into()), ..Default::default() }).await, ["WV-200", "XX-300"]);
    // LIKE's wildcards in a search are taken literally.
    assert_eq!(refs(ChildQuery { search: Some("100%".into()), ..Default::default() }).await, ["XX-300"]);
    assert_eq!(refs(ChildQuery { search: Some("h_j".into()), ..Default::default() }).await, ["WV-200"]);
    assert_eq!(refs(ChildQuery { search: Some("nobody".into()), ..Default::default() }).await, Vec::<String>::new());
    let _ = a;
}

async fn importing_the_same_children_twice_changes_nothing(db: TestDatabase) {
    let store = db.store().await;
    let area = area(&store, "E06000001").await;
    let rows = vec![child("A1", "Amara", "Okafor", "2014-09-23"), child("A2", "Ben", "Smith", "2010-01-01")];
    let first = store.import_children(area, &rows, &stamp("import")).await.unwrap();
    assert_eq!((first.created, first.updated, first.unchanged), (2, 0, 0));
    let again = store.import_children(area, &rows, &stamp("import")).await.unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));
    let changed = vec![rows[0].clone(), ChildDetails { primary_need: Some(PrimaryNeed::Pd), ..rows[1].clone() }];
    let third = store.import_children(area, &changed, &stamp("import")).await.unwrap();
    assert_eq!((third.created, third.updated, third.unchanged), (0, 1, 1));
    let ben = store.child_by_reference(area, &rows[1].reference).await.unwrap().unwrap();
    assert_eq!((ben.version, ben.details.primary_need), (2, Some(PrimaryNeed::Pd)));
    let log = store.changes(area, &ben.id.to_string()).await.unwrap();
    assert_eq!(log.iter().map(|c| c.action.as_str()).collect::<Vec<_>>(), ["import", "update"]);
    assert_eq!(log[1].detail["fields"], serde_json::json!(["primary_need"]));
}

async fn consent_withdrawal_takes_effect_at_once_and_only_once(db: TestDatabase) {
    let store = db.store().await;
    let (area, council, _) = area_with_staff(&store, "E06000001").await;
    let c = store.create_child(area, &child("WV-1", "Amara", "Okafor", "2014-09-23"), &stamp("x")).await.unwrap();
    let mum = FamilyMemberForm {
        name: Some("Grace Okafor".into()),
        relationship: Some("mother".into()),
        parental_responsibility: Some(true),
        contact_by: Some("letter".into()),
        ..Default::default()
    }
    .parse()
    .unwrap();
    let mum = store.add_family_member(area, c.id, &mum, &stamp("x")).await.unwrap();
    let details = ConsentDetails {
        given_by: ConsentGiver::FamilyMember(mum.id),
        organisation_id: council,
        shares: SharedInformation::Health,
        given_on: date(2026, 1, 5),
    };
    let consent = store.record_consent(area, c.id, &details, &stamp("x")).await.unwrap();
    let withdrawn = store.withdraw_consent(area, consent.id, "family asked", &stamp("mum")).await.unwrap();
    let stored = store.consents(area, c.id).await.unwrap().remove(0);
    assert_eq!(stored.withdrawn_at.map(|t| t.as_millisecond()), withdrawn.withdrawn_at.map(|t| t.as_millisecond()));
    assert!(!stored.is_active(withdrawn.withdrawn_at.unwrap(), TODAY));
    assert_eq!(stored.withdrawn_by.unwrap().as_str(), "mum");
    match store.withdraw_consent(area, consent.id, "family asked", &stamp("mum")).await {
        Err(StoreError::Refused(msg)) => assert!(msg.contains("already withdrawn"), "{msg}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn only_the_right_people_can_give_consent(db: TestDatabase) {
    let store = db.store().await;
    let (area, council, _) = area_with_staff(&store, "E06000001").await;
    let young = store.create_child(area, &child("WV-1", "Amara", "Okafor", "2012-01-10"), &stamp("x")).await.unwrap();
    let gran = FamilyMemberForm {
        name: Some("Ada Okafor".into()),
        relationship: Some("grandparent".into()),
        parental_responsibility: Some(false),
        contact_by: Some("letter".into()),
        ..Default::default()
    }
    .parse()
    .unwrap();
    let gran = store.add_family_member(area, young.id, &gran, &stamp("x")).await.unwrap();
    let by = |given_by, on| ConsentDetails {
        given_by,
        organisation_id: council,
        shares: SharedInformation::Education,
        given_on: on,
    };
    let refused = |r| matches!(r, Err(StoreError::Refused(_)));
    assert!(refused(
        store.record_consent(area, young.id, &by(ConsentGiver::FamilyMember(gran.id), TODAY), &stamp("x")).await
    ));
    // Turns 16 on 2028-01-10: not the day before, yes on the day.
    assert!(refused(store.record_consent(area, young.id, &by(ConsentGiver::YoungPerson, TODAY), &stamp("x")).await));
    let older = store.create_child(area, &child("WV-2", "Kofi", "Okafor", "2010-11-22"), &stamp("x")).await.unwrap();
    assert!(refused(
        store.record_consent(area, older.id, &by(ConsentGiver::YoungPerson, date(2026, 11, 21)), &stamp("x")).await
    ));
    store.record_consent(area, older.id, &by(ConsentGiver::YoungPerson, TODAY), &stamp("x")).await.unwrap();
    // Another child's family member cannot consent for this child.
    assert!(refused(
        store.record_consent(area, older.id, &by(ConsentGiver::FamilyMember(gran.id), TODAY), &stamp("x")).await
    ));
    // Nor can anything be recorded against another area's organisation.
    let (other_area, other_council, _) = area_with_staff(&store, "E06000002").await;
    assert!(refused(
        store
            .record_consent(
                area,
                older.id,
                &ConsentDetails { organisation_id: other_council, ..by(ConsentGiver::YoungPerson, TODAY) },
                &stamp("x")
            )
            .await
    ));
    assert!(matches!(
        store.record_consent(other_area, older.id, &by(ConsentGiver::YoungPerson, TODAY), &stamp("x")).await,
        Err(StoreError::NotFound)
    ));
}

async fn lead_professional_history_has_no_gaps(db: TestDatabase) {
    let store = db.store().await;
    let (area, _, [asha, ben]) = area_with_staff(&store, "E06000001").await;
    let c = store.create_child(area, &child("WV-1", "Amara", "Okafor", "2014-09-23"), &stamp("x")).await.unwrap();
    store.assign_lead_professional(area, c.id, asha, "new referral", &stamp("manager")).await.unwrap();
    let again = store.assign_lead_professional(area, c.id, asha, "again", &stamp("manager")).await;
    assert!(matches!(again, Err(StoreError::Refused(_))));
    assert!(matches!(
        store.assign_lead_professional(area, c.id, ben, "  ", &stamp("m")).await,
        Err(StoreError::Refused(_))
    ));
    store.assign_lead_professional(area, c.id, ben, "Asha moved team", &stamp("manager")).await.unwrap();
    let history = store.lead_history(area, c.id).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].professional_id, asha);
    assert_eq!(history[0].until, Some(history[1].from), "the old spell ends as the new one starts");
    assert_eq!((history[1].professional_id, history[1].until), (ben, None));
    assert_eq!(history[1].reason, "Asha moved team");
    let caseload = |p| ChildQuery { lead_professional: Some(p), ..Default::default() };
    assert!(
        store
            .list_children(area, &ChildScope::Everyone, jiff::Timestamp::now(), &caseload(asha))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        store
            .list_children(area, &ChildScope::Everyone, jiff::Timestamp::now(), &caseload(ben))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

async fn every_change_records_who_and_when(db: TestDatabase) {
    let store = db.store().await;
    let area = area(&store, "E06000001").await;
    let before = jiff::Timestamp::now();
    let c = store
        .create_child(area, &child("WV-1", "Amara", "Okafor", "2014-09-23"), &stamp("caseworker:asha"))
        .await
        .unwrap();
    let d = ChildDetails { postcode: Some(allot_domain::Postcode::parse("BS1 4DJ").unwrap()), ..c.details.clone() };
    store.update_child(area, c.id, 1, &d, &stamp("caseworker:ben")).await.unwrap();
    let log = store.changes(area, &c.id.to_string()).await.unwrap();
    let summary: Vec<(&str, &str)> = log.iter().map(|c| (c.action.as_str(), c.actor.as_str())).collect();
    assert_eq!(summary, [("create", "caseworker:asha"), ("update", "caseworker:ben")]);
    assert!(log.iter().all(|c| c.at >= before.checked_sub(jiff::SignedDuration::from_millis(1)).unwrap()));
    assert_eq!(log[1].detail, serde_json::json!({ "version": 2, "fields": ["postcode"] }));
}

async fn migrating_twice_applies_nothing_new(db: TestDatabase) {
    let store = db.store().await;
    assert!(store.migrate().await.unwrap().is_empty());
    store.ready().await.unwrap();
}

async fn verify_passes_on_good_data_and_names_corrupt_rows(db: TestDatabase) {
    let store = db.store().await;
    let (area, _, [asha, _]) = area_with_staff(&store, "E06000001").await;
    let c = store.create_child(area, &child("WV-1", "Amara", "Okafor", "2014-09-23"), &stamp("x")).await.unwrap();
    store.assign_lead_professional(area, c.id, asha, "new", &stamp("x")).await.unwrap();
    assert_eq!(store.verify().await.unwrap(), Vec::<String>::new());
    // Corrupt the stored UPN behind the store's back, as a bad manual fix would.
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db_url(&db)).await.unwrap();
    sqlx::Executor::execute(&mut conn, "UPDATE children SET upn = 'A123', version = 5").await.unwrap();
    let problems = store.verify().await.unwrap();
    assert!(problems.iter().any(|p| p.contains("children.upn")), "{problems:?}");
    assert!(
        problems.iter().any(|p| p.contains("1 children whose version does not match their recorded updates")),
        "{problems:?}"
    );
    assert_eq!(problems.len(), 2, "{problems:?}");
}

fn db_url(db: &TestDatabase) -> String {
    let redacted = db.url.redacted();
    match db.url.engine() {
        Engine::Sqlite => redacted,
        // The test server's URL carries its password unredacted in the env.
        Engine::Postgres => {
            let admin = std::env::var(allot_store::testing::POSTGRES_ENV).unwrap();
            let name = redacted.rsplit('/').next().unwrap().to_owned();
            format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
        }
    }
}

async fn clearing_an_area_leaves_other_areas_alone(db: TestDatabase) {
    let store = db.store().await;
    let (a, _, [asha, _]) = area_with_staff(&store, "E06000001").await;
    let (b, _, _) = area_with_staff(&store, "E06000002").await;
    let c = store.create_child(a, &child("WV-1", "Amara", "Okafor", "2014-09-23"), &stamp("x")).await.unwrap();
    store.assign_lead_professional(a, c.id, asha, "new", &stamp("x")).await.unwrap();
    store.create_child(b, &child("WV-1", "Amara", "Okafor", "2014-09-23"), &stamp("x")).await.unwrap();
    store.clear_area(a, &stamp("demo")).await.unwrap();
    assert_eq!(store.count_children(a).await.unwrap(), 0);
    assert!(store.professionals(a).await.unwrap().is_empty());
    assert_eq!(store.count_children(b).await.unwrap(), 1);
    assert_eq!(store.professionals(b).await.unwrap().len(), 2);
    assert_eq!(store.verify().await.unwrap(), Vec::<String>::new());
}

/// Both migration sets build the same tables, columns and indexes.
#[tokio::test]
async fn both_engines_build_the_same_schema() {
    let Some(pg) = TestDatabase::new(Engine::Postgres).await else { return };
    let lite = TestDatabase::new(Engine::Sqlite).await.unwrap();
    let (lite_columns, lite_indexes) = lite.store().await.schema_summary().await.unwrap();
    let (pg_columns, pg_indexes) = pg.store().await.schema_summary().await.unwrap();
    assert!(lite_columns.len() > 50, "the summary read the schema: {lite_columns:?}");
    assert_eq!(lite_columns, pg_columns);
    assert_eq!(lite_indexes, pg_indexes);
}

const EXAMPLE_POLICY: &str = include_str!("../../../../policies/example-children.toml");

async fn a_published_policy_is_immutable_and_the_one_in_force_is_chosen_by_date(db: TestDatabase) {
    let store = db.store().await;
    let area = area(&store, "E06000001").await;
    let v1 = allot_domain::ras::Policy::parse(EXAMPLE_POLICY).unwrap();
    let published = store.publish_policy(area, &v1, EXAMPLE_POLICY, &stamp("commissioner")).await.unwrap();
    match store.publish_policy(area, &v1, EXAMPLE_POLICY, &stamp("commissioner")).await {
        Err(StoreError::Duplicate(msg)) => assert!(msg.contains("needs a new version"), "{msg}"),
        other => panic!("expected a duplicate, got {other:?}"),
    }
    let text2 = EXAMPLE_POLICY
        .replace("version = \"2026.1\"", "version = \"2027.1\"")
        .replace("effective_from = \"2026-04-01\"", "effective_from = \"2027-04-01\"");
    let v2 = allot_domain::ras::Policy::parse(&text2).unwrap();
    store.publish_policy(area, &v2, &text2, &stamp("commissioner")).await.unwrap();
    let version_on = |d| {
        let store = store.clone();
        async move { store.current_policy(area, d).await.unwrap().map(|p| p.policy.version) }
    };
    assert_eq!(version_on(date(2026, 3, 31)).await, None);
    assert_eq!(version_on(date(2026, 4, 1)).await.as_deref(), Some("2026.1"));
    assert_eq!(version_on(date(2027, 3, 31)).await.as_deref(), Some("2026.1"));
    assert_eq!(version_on(date(2027, 4, 1)).await.as_deref(), Some("2027.1"));
    let read = store.policy(area, published.id).await.unwrap();
    assert_eq!((read.content.as_str(), read.published_by.as_str()), (EXAMPLE_POLICY, "commissioner"));
    assert_eq!(read.policy.content_hash, v1.content_hash);
    assert_eq!(store.policies(area).await.unwrap().len(), 2);
}

async fn a_stored_allocation_recomputes_to_the_penny(db: TestDatabase) {
    use allot_domain::ras::{StoredAllocation, evaluate};
    let store = db.store().await;
    let area = area(&store, "E06000001").await;
    let policy = allot_domain::ras::Policy::parse(EXAMPLE_POLICY).unwrap();
    let published = store.publish_policy(area, &policy, EXAMPLE_POLICY, &stamp("commissioner")).await.unwrap();
    let c = store.create_child(area, &child("WV-1", "Amara", "Okafor", "2014-09-23"), &stamp("x")).await.unwrap();
    // The third option of every question: marked needs.
    let ids: std::collections::BTreeMap<String, String> = policy
        .questions
        .iter()
        .filter(|q| !q.optional)
        .map(|q| (q.id.clone(), q.options[2.min(q.options.len() - 1)].id.clone()))
        .collect();
    let on = date(2026, 11, 22);
    let answers = policy.answers_from_ids(&c.id.to_string(), c.details.date_of_birth, &ids).unwrap();
    let current: std::collections::BTreeMap<String, allot_domain::Pence> =
        [("social_care".to_owned(), allot_domain::Pence::new(2_000_050))].into();
    let result = evaluate(&policy, &answers, on, &policy.current_by_stream(&current)).unwrap();
    let stored = StoredAllocation {
        id: allot_domain::ids::AllocationId::new(),
        area_id: area,
        child_id: c.id,
        policy: published.id,
        calculated_on: on,
        answers: ids.clone(),
        current: current.clone(),
        streams: policy.stream_results(&result),
        integrated: result.integrated,
        recorded_at: jiff::Timestamp::now(),
        recorded_by: Actor::parse("caseworker").unwrap(),
    };
    store.record_allocation(&stored, &stamp("caseworker")).await.unwrap();

    // Later: everything comes back from the database alone.
    let back = store.allocations(area, c.id).await.unwrap().remove(0);
    assert_eq!(back.answers, ids);
    let policy_then = store.policy(area, back.policy).await.unwrap().policy;
    let again =
        policy_then.answers_from_ids(&back.child_id.to_string(), c.details.date_of_birth, &back.answers).unwrap();
    let recomputed =
        evaluate(&policy_then, &again, back.calculated_on, &policy_then.current_by_stream(&back.current)).unwrap();
    assert_eq!(policy_then.stream_results(&recomputed), back.streams);
    assert_eq!(recomputed.integrated, back.integrated);
    assert!(back.integrated.pence() > 0);
    // Many more answer sets, chosen pseudo-randomly, round-trip the same way.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for round in 0..40 {
        let mut ids = std::collections::BTreeMap::new();
        for q in &policy.questions {
            if !q.optional || next(4) == 0 {
                ids.insert(q.id.clone(), q.options[next(q.options.len())].id.clone());
            }
        }
        let mut current = std::collections::BTreeMap::new();
        for s in &policy.streams {
            if next(2) == 0 {
                current.insert(s.id.clone(), allot_domain::Pence::new(next(3_000_000) as i64));
            }
        }
        let on = date(2026, 4, 1).checked_add(jiff::Span::new().days(next(365) as i64)).unwrap();
        let answers = policy.answers_from_ids("x", c.details.date_of_birth, &ids).unwrap();
        let result = evaluate(&policy, &answers, on, &policy.current_by_stream(&current)).unwrap();
        let stored = StoredAllocation {
            id: allot_domain::ids::AllocationId::new(),
            calculated_on: on,
            answers: ids,
            current,
            streams: policy.stream_results(&result),
            integrated: result.integrated,
            // Instants are kept to the millisecond.
            recorded_at: jiff::Timestamp::from_millisecond(jiff::Timestamp::now().as_millisecond() + round + 1)
                .unwrap(),
            ..stored.clone()
        };
        store.record_allocation(&stored, &stamp("caseworker")).await.unwrap();
        let back = store.allocations(area, c.id).await.unwrap().pop().unwrap();
        assert_eq!(back, stored, "round {round}: stored exactly");
        let again = policy_then.answers_from_ids("x", c.details.date_of_birth, &back.answers).unwrap();
        let recomputed =
            evaluate(&policy_then, &again, back.calculated_on, &policy_then.current_by_stream(&back.current)).unwrap();
        assert_eq!(policy_then.stream_results(&recomputed), back.streams, "round {round}");
    }
    let latest = store.latest_allocations(area).await.unwrap();
    assert_eq!(latest.len(), 1, "one latest allocation per child");
    assert_eq!(latest[0].0.as_str(), "WV-1");
    store.clear_area(area, &stamp("demo")).await.unwrap();
    assert_eq!(store.verify().await.unwrap(), Vec::<String>::new());
}
