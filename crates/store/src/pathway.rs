//! Storage for the pathway: delegation policies, pathway events, support
//! plan versions and their decisions, and case records. The rules live in
//! the domain; this module only keeps what they decided, each change in one
//! transaction with its audit entry.

use crate::rows::Reader;
use crate::sql::{SqlStore, exists_in_area, is_unique_violation, log_change};
use crate::{StoreError, StoreResult, StoredCaseRecord, StoredEvent};
use allot_domain::access::Role;
use allot_domain::ids::UserId;
use allot_domain::pathway::casework::CaseRecord;
use allot_domain::pathway::content::PlanContent;
use allot_domain::pathway::delegation::{DelegationPolicy, PublishedDelegation};
use allot_domain::pathway::record::{EventKind, PathwayEvent, PathwayStep};
use allot_domain::pathway::signoff::{DecisionKind, PlanDecision, PlanStatus, PlanVersion, Submission};
use allot_domain::ras::policy::content_hash;
use allot_domain::{Actor, AreaId, ChildId, Pence, Stamp};
use jiff::civil::Date;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool};
use std::collections::BTreeMap;

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("domain values serialise")
}

fn from_json<T: serde::de::DeserializeOwned>(r: &Reader<'_>, column: &str) -> StoreResult<T> {
    r.parsed(column, |s| serde_json::from_str::<T>(s))
}

async fn child_exists(conn: &mut AnyConnection, area: AreaId, child: ChildId) -> StoreResult<()> {
    if exists_in_area(conn, "children", area, &child.to_string()).await? { Ok(()) } else { Err(StoreError::NotFound) }
}

// Delegation policies

/// Inserts `content` as the area's next version in `table` (a published
/// policy or settings file: never changed, each version a new row) and
/// records it as `entity` in the audit trail; returns the version and the content's hash.
pub(crate) async fn publish_version(
    conn: &mut AnyConnection,
    (table, entity): (&'static str, &str),
    area: AreaId,
    content: &str,
    stamp: &Stamp,
) -> StoreResult<(i64, String)> {
    let (latest,): (Option<i64>,) = sqlx::query_as(&format!("SELECT MAX(version) FROM {table} WHERE area_id = $1"))
        .bind(area.to_string())
        .fetch_one(&mut *conn)
        .await?;
    let version = latest.unwrap_or(0) + 1;
    let hash = content_hash(content);
    sqlx::query(&format!(
        "INSERT INTO {table} (area_id, version, content, content_hash, published_at_ms, published_by) \
         VALUES ($1, $2, $3, $4, $5, $6)"
    ))
    .bind(area.to_string())
    .bind(version)
    .bind(content)
    .bind(&hash)
    .bind(stamp.at.as_millisecond())
    .bind(stamp.by.to_string())
    .execute(&mut *conn)
    .await
    .map_err(conflict_on_duplicate)?;
    let detail = serde_json::json!({ "version": version, "content_hash": hash });
    log_change(conn, area, stamp, None, entity, &version.to_string(), "publish", detail).await?;
    Ok((version, hash))
}

pub(crate) async fn publish_delegation(
    db: &SqlStore,
    area: AreaId,
    policy: &DelegationPolicy,
    content: &str,
    stamp: &Stamp,
) -> StoreResult<PublishedDelegation> {
    let mut tx = db.write().await?;
    let (version, content_hash) =
        publish_version(&mut tx, ("delegation_policies", "delegation_policy"), area, content, stamp).await?;
    tx.commit().await?;
    Ok(PublishedDelegation {
        version,
        policy: policy.clone(),
        content: content.to_owned(),
        content_hash,
        published_at: stamp.at,
        published_by: stamp.by.clone(),
    })
}

fn published_delegation(row: &AnyRow) -> StoreResult<PublishedDelegation> {
    let r = Reader { row, table: "delegation_policies" };
    let content = r.text("content")?;
    let policy = DelegationPolicy::parse(&content)
        .map_err(|e| r.corrupt("content", format!("the stored policy no longer parses: {:?}", e.first())))?;
    let hash = r.text("content_hash")?;
    if hash != content_hash(&content) {
        return Err(r.corrupt("content_hash", "does not match the stored text"));
    }
    Ok(PublishedDelegation {
        version: r.int("version")?,
        policy,
        content,
        content_hash: hash,
        published_at: r.time("published_at_ms")?,
        published_by: r.parsed("published_by", Actor::parse)?,
    })
}

pub(crate) async fn delegation_policies(pool: &AnyPool, area: AreaId) -> StoreResult<Vec<PublishedDelegation>> {
    let rows = sqlx::query(
        "SELECT version, content, content_hash, published_at_ms, published_by FROM delegation_policies \
         WHERE area_id = $1 ORDER BY version",
    )
    .bind(area.to_string())
    .fetch_all(pool)
    .await?;
    rows.iter().map(published_delegation).collect()
}

/// Two writers raced for the same next number: the later one must re-read.
fn conflict_on_duplicate(e: sqlx::Error) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::Refused("someone else changed this at the same moment: try again".into())
    } else {
        e.into()
    }
}

// Pathway events

async fn append_event(
    conn: &mut AnyConnection,
    area: AreaId,
    child: ChildId,
    seq: i64,
    event: &PathwayEvent,
    stamp: &Stamp,
) -> StoreResult<StoredEvent> {
    sqlx::query(
        "INSERT INTO pathway_events (area_id, child_id, seq, kind, event, recorded_at_ms, recorded_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(area.to_string())
    .bind(child.to_string())
    .bind(seq)
    .bind(event.kind.code())
    .bind(json(event))
    .bind(stamp.at.as_millisecond())
    .bind(stamp.by.to_string())
    .execute(&mut *conn)
    .await
    .map_err(conflict_on_duplicate)?;
    let detail = serde_json::json!({ "seq": seq, "event": event });
    log_change(conn, area, stamp, Some(child), "pathway", &child.to_string(), event.kind.code(), detail).await?;
    Ok(StoredEvent { child_id: child, seq, event: event.clone(), recorded_at: stamp.at, recorded_by: stamp.by.clone() })
}

async fn event_count(conn: &mut AnyConnection, area: AreaId, child: ChildId) -> StoreResult<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM pathway_events WHERE area_id = $1 AND child_id = $2")
        .bind(area.to_string())
        .bind(child.to_string())
        .fetch_one(&mut *conn)
        .await?;
    Ok(n)
}

/// Moves the child on to `step` if the pathway is at an earlier step (a
/// plan being drafted, agreed…); never moves it back.
pub(crate) async fn advance_step(
    conn: &mut AnyConnection,
    area: AreaId,
    child: ChildId,
    step: PathwayStep,
    reason: &str,
    stamp: &Stamp,
) -> StoreResult<()> {
    let current: Option<(String,)> = sqlx::query_as(
        "SELECT event FROM pathway_events WHERE area_id = $1 AND child_id = $2 AND kind = $3 ORDER BY seq DESC LIMIT 1",
    )
    .bind(area.to_string())
    .bind(child.to_string())
    .bind(EventKind::StepMoved.code())
    .fetch_optional(&mut *conn)
    .await?;
    let current = match current {
        Some((text,)) => {
            serde_json::from_str::<PathwayEvent>(&text)
                .map_err(|e| StoreError::Corrupt(format!("pathway_events.event: {e}")))?
                .step
        }
        None => None,
    };
    if current.is_none_or(|c| c < step) {
        let seq = event_count(conn, area, child).await? + 1;
        let on = allot_domain::dates::date_in_england(stamp.at);
        append_event(conn, area, child, seq, &PathwayEvent::step_moved(step, on, reason), stamp).await?;
    }
    Ok(())
}

/// After a payment run is released: a child's first direct payment goes on
/// their pathway once (it starts the clock for the first review), and a
/// child whose money now reaches them moves on to living their life.
pub(crate) async fn paid(
    conn: &mut AnyConnection,
    area: AreaId,
    child: ChildId,
    direct_payment_on: Option<Date>,
    stamp: &Stamp,
) -> StoreResult<()> {
    if let Some(on) = direct_payment_on {
        let (before,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM pathway_events WHERE area_id = $1 AND child_id = $2 AND kind = $3")
                .bind(area.to_string())
                .bind(child.to_string())
                .bind(EventKind::FirstDirectPayment.code())
                .fetch_one(&mut *conn)
                .await?;
        if before == 0 {
            let seq = event_count(conn, area, child).await? + 1;
            let event = PathwayEvent {
                kind: EventKind::FirstDirectPayment,
                on,
                step: None,
                reason: Some("Paid in a released payment run".into()),
            };
            append_event(conn, area, child, seq, &event, stamp).await?;
        }
    }
    advance_step(conn, area, child, PathwayStep::LivingLife, "The money is reaching the child", stamp).await
}

pub(crate) async fn record_event(
    db: &SqlStore,
    area: AreaId,
    child: ChildId,
    expected_count: usize,
    event: &PathwayEvent,
    stamp: &Stamp,
) -> StoreResult<StoredEvent> {
    let mut tx = db.write().await?;
    child_exists(&mut tx, area, child).await?;
    let count = event_count(&mut tx, area, child).await?;
    let expected = i64::try_from(expected_count).expect("small");
    if count != expected {
        return Err(StoreError::VersionConflict { expected, current: count });
    }
    let stored = append_event(&mut tx, area, child, count + 1, event, stamp).await?;
    tx.commit().await?;
    Ok(stored)
}

fn stored_event(row: &AnyRow) -> StoreResult<StoredEvent> {
    let r = Reader { row, table: "pathway_events" };
    Ok(StoredEvent {
        child_id: r.parsed("child_id", str::parse)?,
        seq: r.int("seq")?,
        event: from_json(&r, "event")?,
        recorded_at: r.time("recorded_at_ms")?,
        recorded_by: r.parsed("recorded_by", Actor::parse)?,
    })
}

pub(crate) async fn pathway_events(
    pool: &AnyPool,
    area: AreaId,
    child: Option<ChildId>,
) -> StoreResult<Vec<StoredEvent>> {
    let rows = sqlx::query(
        "SELECT child_id, seq, event, recorded_at_ms, recorded_by FROM pathway_events \
         WHERE area_id = $1 AND ($2 = '' OR child_id = $2) ORDER BY child_id, seq",
    )
    .bind(area.to_string())
    .bind(child.map(|c| c.to_string()).unwrap_or_default())
    .fetch_all(pool)
    .await?;
    rows.iter().map(stored_event).collect()
}

// Plans

const PLAN_COLUMNS: &str = "child_id, version, status, content, authors, submitted_by, submitted_at_ms, \
     delegation_version, required_roles, council_pence, health_pence, total_pence, indicative, row_version, updated_at_ms";

fn plan_version(row: &AnyRow) -> StoreResult<PlanVersion> {
    let r = Reader { row, table: "plan_versions" };
    let submission = match r.opt_text("submitted_by")? {
        None => None,
        Some(by) => {
            let by: UserId = by.parse().map_err(|e| r.corrupt("submitted_by", e))?;
            let roles: Vec<Role> = from_json(&r, "required_roles")?;
            let indicative: BTreeMap<String, Pence> = from_json(&r, "indicative")?;
            Some(Submission {
                by,
                at: r.time("submitted_at_ms")?,
                delegation_version: r.int("delegation_version")?,
                required: roles,
                council_total: Pence::new(r.int("council_pence")?),
                health_total: Pence::new(r.int("health_pence")?),
                indicative,
            })
        }
    };
    Ok(PlanVersion {
        child_id: r.parsed("child_id", str::parse)?,
        version: r.int("version")?,
        status: r.parsed("status", PlanStatus::parse)?,
        content: from_json(&r, "content")?,
        authors: from_json(&r, "authors")?,
        submission,
        decisions: Vec::new(),
        row_version: r.int("row_version")?,
        updated_at: r.time("updated_at_ms")?,
    })
}

fn plan_decision(row: &AnyRow) -> StoreResult<(ChildId, i64, PlanDecision)> {
    let r = Reader { row, table: "plan_decisions" };
    Ok((
        r.parsed("child_id", str::parse)?,
        r.int("version")?,
        PlanDecision {
            kind: r.parsed("kind", DecisionKind::parse)?,
            by: r.parsed("user_id", str::parse)?,
            by_name: r.text("user_name")?,
            role: r.parsed("role", Role::parse)?,
            stands_for: r.opt_parsed("stands_for", Role::parse)?,
            reason: r.opt_text("reason")?,
            signed_for: r.opt_text("signed_for")?,
            at: r.time("at_ms")?,
        },
    ))
}

pub(crate) async fn plan_versions(
    conn: &mut AnyConnection,
    area: AreaId,
    child: Option<ChildId>,
) -> StoreResult<Vec<PlanVersion>> {
    let child_arg = child.map(|c| c.to_string()).unwrap_or_default();
    let rows = sqlx::query(&format!(
        "SELECT {PLAN_COLUMNS} FROM plan_versions WHERE area_id = $1 AND ($2 = '' OR child_id = $2) \
         ORDER BY child_id, version"
    ))
    .bind(area.to_string())
    .bind(&child_arg)
    .fetch_all(&mut *conn)
    .await?;
    let mut versions: Vec<PlanVersion> = rows.iter().map(plan_version).collect::<StoreResult<_>>()?;
    let rows = sqlx::query(
        "SELECT child_id, version, kind, user_id, user_name, role, stands_for, reason, signed_for, at_ms \
         FROM plan_decisions WHERE area_id = $1 AND ($2 = '' OR child_id = $2) ORDER BY child_id, version, seq",
    )
    .bind(area.to_string())
    .bind(&child_arg)
    .fetch_all(&mut *conn)
    .await?;
    for row in &rows {
        let (child_id, version, decision) = plan_decision(row)?;
        if let Some(v) = versions.iter_mut().find(|v| v.child_id == child_id && v.version == version) {
            v.decisions.push(decision);
        }
    }
    Ok(versions)
}

async fn latest_version(conn: &mut AnyConnection, area: AreaId, child: ChildId) -> StoreResult<Option<PlanVersion>> {
    Ok(plan_versions(conn, area, Some(child)).await?.pop())
}

/// The version a change must be made to: the one the caller read, and
/// still the latest.
fn check_expected(latest: &Option<PlanVersion>, expected: Option<(i64, i64)>) -> StoreResult<()> {
    let current = latest.as_ref().map(|v| (v.version, v.row_version));
    if current == expected {
        return Ok(());
    }
    let (e, c) = (expected.map_or(0, |e| e.1), current.map_or(0, |c| c.1));
    match (expected, current) {
        (Some((ev, _)), Some((cv, _))) if ev != cv => {
            Err(StoreError::Refused(format!("the plan is now at version {cv}, not {ev}: read it again")))
        }
        _ => Err(StoreError::VersionConflict { expected: e, current: c }),
    }
}

pub(crate) async fn save_plan_draft(
    db: &SqlStore,
    area: AreaId,
    child: ChildId,
    expected: Option<(i64, i64)>,
    content: &PlanContent,
    author: UserId,
    stamp: &Stamp,
) -> StoreResult<PlanVersion> {
    let mut tx = db.write().await?;
    child_exists(&mut tx, area, child).await?;
    let latest = latest_version(&mut tx, area, child).await?;
    check_expected(&latest, expected)?;
    let total = content.totals().total.pence();
    let version = match &latest {
        Some(draft) if draft.status.is_editable() => {
            let mut authors = draft.authors.clone();
            if !authors.contains(&author) {
                authors.push(author);
            }
            sqlx::query(
                "UPDATE plan_versions SET content = $1, authors = $2, total_pence = $3, row_version = row_version + 1, \
                 updated_at_ms = $4 WHERE area_id = $5 AND child_id = $6 AND version = $7 AND row_version = $8",
            )
            .bind(json(content))
            .bind(json(&authors))
            .bind(total)
            .bind(stamp.at.as_millisecond())
            .bind(area.to_string())
            .bind(child.to_string())
            .bind(draft.version)
            .bind(draft.row_version)
            .execute(&mut *tx)
            .await?;
            draft.version
        }
        _ => {
            let version = latest.as_ref().map_or(1, |v| v.version + 1);
            sqlx::query(
                "INSERT INTO plan_versions (area_id, child_id, version, status, content, authors, total_pence, \
                 row_version, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)",
            )
            .bind(area.to_string())
            .bind(child.to_string())
            .bind(version)
            .bind(PlanStatus::Draft.code())
            .bind(json(content))
            .bind(json(&vec![author]))
            .bind(total)
            .bind(stamp.at.as_millisecond())
            .execute(&mut *tx)
            .await
            .map_err(conflict_on_duplicate)?;
            version
        }
    };
    let detail = serde_json::json!({ "version": version, "total_pence": total, "items": content.items.len() });
    log_change(&mut tx, area, stamp, Some(child), "plan", &child.to_string(), "save_draft", detail).await?;
    advance_step(&mut tx, area, child, PathwayStep::SupportPlan, "A support plan is being written", stamp).await?;
    let saved = latest_version(&mut tx, area, child).await?.ok_or(StoreError::NotFound)?;
    tx.commit().await?;
    Ok(saved)
}

pub(crate) async fn submit_plan(
    db: &SqlStore,
    area: AreaId,
    child: ChildId,
    expected: (i64, i64),
    submission: &Submission,
    stamp: &Stamp,
) -> StoreResult<PlanVersion> {
    let mut tx = db.write().await?;
    child_exists(&mut tx, area, child).await?;
    let latest = latest_version(&mut tx, area, child).await?;
    check_expected(&latest, Some(expected))?;
    let draft = latest.ok_or(StoreError::NotFound)?;
    if !draft.status.is_editable() {
        return Err(StoreError::Refused(format!(
            "version {} is {}: only a draft can be submitted",
            draft.version,
            draft.status.label().to_lowercase()
        )));
    }
    sqlx::query(
        "UPDATE plan_versions SET status = $1, submitted_by = $2, submitted_at_ms = $3, delegation_version = $4, \
         required_roles = $5, council_pence = $6, health_pence = $7, indicative = $8, row_version = row_version + 1, \
         updated_at_ms = $3 WHERE area_id = $9 AND child_id = $10 AND version = $11 AND row_version = $12",
    )
    .bind(PlanStatus::Submitted.code())
    .bind(submission.by.to_string())
    .bind(stamp.at.as_millisecond())
    .bind(submission.delegation_version)
    .bind(json(&submission.required))
    .bind(submission.council_total.pence())
    .bind(submission.health_total.pence())
    .bind(json(&submission.indicative))
    .bind(area.to_string())
    .bind(child.to_string())
    .bind(draft.version)
    .bind(draft.row_version)
    .execute(&mut *tx)
    .await?;
    let detail = serde_json::json!({
        "version": draft.version,
        "delegation_version": submission.delegation_version,
        "required": submission.required,
        "council_pence": submission.council_total.pence(),
        "health_pence": submission.health_total.pence(),
    });
    log_change(&mut tx, area, stamp, Some(child), "plan", &child.to_string(), "submit", detail).await?;
    let saved = latest_version(&mut tx, area, child).await?.ok_or(StoreError::NotFound)?;
    tx.commit().await?;
    Ok(saved)
}

pub(crate) async fn decide_plan(
    db: &SqlStore,
    area: AreaId,
    child: ChildId,
    expected: (i64, i64),
    decision: &PlanDecision,
    status: PlanStatus,
    stamp: &Stamp,
) -> StoreResult<PlanVersion> {
    let mut tx = db.write().await?;
    child_exists(&mut tx, area, child).await?;
    let versions = plan_versions(&mut tx, area, Some(child)).await?;
    let (version, row_version) = expected;
    let current = versions.iter().find(|v| v.version == version).ok_or(StoreError::NotFound)?;
    if current.row_version != row_version {
        return Err(StoreError::VersionConflict { expected: row_version, current: current.row_version });
    }
    sqlx::query(
        "INSERT INTO plan_decisions (area_id, child_id, version, seq, kind, user_id, user_name, role, stands_for, \
         reason, signed_for, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(area.to_string())
    .bind(child.to_string())
    .bind(version)
    .bind(i64::try_from(current.decisions.len()).expect("small") + 1)
    .bind(decision.kind.code())
    .bind(decision.by.to_string())
    .bind(&decision.by_name)
    .bind(decision.role.code())
    .bind(decision.stands_for.map(|r| r.code().to_owned()))
    .bind(decision.reason.clone())
    .bind(decision.signed_for.clone())
    .bind(decision.at.as_millisecond())
    .execute(&mut *tx)
    .await
    .map_err(conflict_on_duplicate)?;
    sqlx::query(
        "UPDATE plan_versions SET status = $1, row_version = row_version + 1, updated_at_ms = $2 \
         WHERE area_id = $3 AND child_id = $4 AND version = $5 AND row_version = $6",
    )
    .bind(status.code())
    .bind(stamp.at.as_millisecond())
    .bind(area.to_string())
    .bind(child.to_string())
    .bind(version)
    .bind(row_version)
    .execute(&mut *tx)
    .await?;
    let detail = serde_json::json!({
        "version": version,
        "decision": decision.kind.code(),
        "stands_for": decision.stands_for,
        "reason": decision.reason,
        "signed_for": decision.signed_for,
        "status": status.code(),
    });
    log_change(&mut tx, area, stamp, Some(child), "plan", &child.to_string(), decision.kind.code(), detail).await?;
    if status == PlanStatus::Agreed && current.status != PlanStatus::Agreed {
        advance_step(&mut tx, area, child, PathwayStep::PlanAgreed, "The plan was agreed", stamp).await?;
        let on = allot_domain::dates::date_in_england(decision.at);
        crate::money::plan_agreed(&mut tx, area, child, on, stamp).await?;
    }
    let saved = plan_versions(&mut tx, area, Some(child))
        .await?
        .into_iter()
        .find(|v| v.version == version)
        .ok_or(StoreError::NotFound)?;
    tx.commit().await?;
    Ok(saved)
}

// Case records

fn stored_case_record(row: &AnyRow) -> StoreResult<StoredCaseRecord> {
    let r = Reader { row, table: "case_records" };
    Ok(StoredCaseRecord {
        record: from_json(&r, "record")?,
        row_version: r.int("row_version")?,
        recorded_at: r.time("recorded_at_ms")?,
        recorded_by: r.parsed("recorded_by", Actor::parse)?,
    })
}

const CASE_COLUMNS: &str = "record, row_version, recorded_at_ms, recorded_by";

pub(crate) async fn save_case_record(
    db: &SqlStore,
    area: AreaId,
    record: &CaseRecord,
    expected: Option<i64>,
    reason: Option<&str>,
    stamp: &Stamp,
) -> StoreResult<StoredCaseRecord> {
    let mut tx = db.write().await?;
    if let Some(child) = record.child_id() {
        child_exists(&mut tx, area, child).await?;
    }
    let id = record.id();
    let existing: Option<(Option<String>, String, i64)> =
        sqlx::query_as("SELECT child_id, kind, row_version FROM case_records WHERE area_id = $1 AND id = $2")
            .bind(area.to_string())
            .bind(&id)
            .fetch_optional(&mut *tx)
            .await?;
    let action = match (existing, expected) {
        (None, None) => {
            sqlx::query(
                "INSERT INTO case_records (area_id, id, child_id, kind, record, row_version, recorded_at_ms, recorded_by) \
                 VALUES ($1, $2, $3, $4, $5, 1, $6, $7)",
            )
            .bind(area.to_string())
            .bind(&id)
            .bind(record.child_id().map(|c| c.to_string()))
            .bind(record.kind())
            .bind(json(record))
            .bind(stamp.at.as_millisecond())
            .bind(stamp.by.to_string())
            .execute(&mut *tx)
            .await?;
            "create"
        }
        (Some((child, kind, current)), Some(expected)) => {
            // A record keeps its child and kind for life.
            if child != record.child_id().map(|c| c.to_string()) || kind != record.kind() {
                return Err(StoreError::NotFound);
            }
            if current != expected {
                return Err(StoreError::VersionConflict { expected, current });
            }
            sqlx::query(
                "UPDATE case_records SET record = $1, row_version = row_version + 1, recorded_at_ms = $2, \
                 recorded_by = $3 WHERE area_id = $4 AND id = $5 AND row_version = $6",
            )
            .bind(json(record))
            .bind(stamp.at.as_millisecond())
            .bind(stamp.by.to_string())
            .bind(area.to_string())
            .bind(&id)
            .bind(expected)
            .execute(&mut *tx)
            .await?;
            "update"
        }
        (None, Some(_)) => return Err(StoreError::NotFound),
        (Some(_), None) => return Err(StoreError::Duplicate(format!("{} {id} is already recorded", record.kind()))),
    };
    let detail = serde_json::json!({ "reason": reason, "record": record });
    log_change(&mut tx, area, stamp, record.child_id(), record.kind(), &id, action, detail).await?;
    let saved: AnyRow = sqlx::query(&format!("SELECT {CASE_COLUMNS} FROM case_records WHERE area_id = $1 AND id = $2"))
        .bind(area.to_string())
        .bind(&id)
        .fetch_one(&mut *tx)
        .await?;
    let saved = stored_case_record(&saved)?;
    tx.commit().await?;
    Ok(saved)
}

pub(crate) async fn case_records(
    pool: &AnyPool,
    area: AreaId,
    child: Option<ChildId>,
) -> StoreResult<Vec<StoredCaseRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {CASE_COLUMNS} FROM case_records WHERE area_id = $1 AND ($2 = '' OR child_id = $2) \
         ORDER BY recorded_at_ms, id"
    ))
    .bind(area.to_string())
    .bind(child.map(|c| c.to_string()).unwrap_or_default())
    .fetch_all(pool)
    .await?;
    rows.iter().map(stored_case_record).collect()
}
