//! `allot demo`: create or refresh the demo area.

use crate::progress;
use allot_domain::{Actor, AreaCode, Name, Stamp};
use allot_store::{SqlStore, Store};
use anyhow::Result;
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
    Ok(())
}
