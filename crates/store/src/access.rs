//! Users, sessions, sign-in attempts, involvements, and the facts and
//! scopes the access policy runs on.

use crate::rows::{Arg, Reader};
use crate::sql::{begin_write, exists_in_area, log_change};
use crate::{Credentials, Engine, Session, StoreError, StoreResult};
use allot_domain::access::{ChildFacts, ChildScope, InvolvementKind};
use allot_domain::dates::{age_on, born_on_or_before, date_in_england, parse_date};
use allot_domain::ids::{InvolvementId, UserId};
use allot_domain::involvement::{Involvement, InvolvementDetails};
use allot_domain::session::SessionTimes;
use allot_domain::totp::TotpSecret;
use allot_domain::user::{User, UserDetails, Username};
use allot_domain::{AreaId, ChildId, Name, Role, Stamp};
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool};

const USER_COLUMNS: &str =
    "id, area_id, username, name, role, organisation_id, professional_id, password_hash, totp_secret, disabled";

/// The user in `row`, with their teams and children read separately.
async fn user_from_row(conn: &mut AnyConnection, row: &AnyRow) -> StoreResult<(User, Credentials)> {
    let r = Reader { row, table: "users" };
    let id: UserId = r.parsed("id", str::parse)?;
    let teams: Vec<(String,)> = sqlx::query_as("SELECT team FROM user_teams WHERE user_id = $1 ORDER BY team")
        .bind(id.to_string())
        .fetch_all(&mut *conn)
        .await?;
    let children: Vec<(String,)> =
        sqlx::query_as("SELECT child_id FROM user_children WHERE user_id = $1 ORDER BY child_id")
            .bind(id.to_string())
            .fetch_all(&mut *conn)
            .await?;
    let corrupt = |column: &str, e: &dyn std::fmt::Display| StoreError::Corrupt(format!("{column}: {e}"));
    let credentials = Credentials {
        password_hash: r.opt_text("password_hash")?,
        totp_secret: r.opt_parsed("totp_secret", TotpSecret::parse_base32)?,
    };
    let user = User {
        id,
        area_id: r.parsed("area_id", str::parse)?,
        details: UserDetails {
            username: r.parsed("username", Username::parse)?,
            name: r.parsed("name", Name::parse)?,
            role: r.parsed("role", Role::parse)?,
            organisation_id: r.opt_parsed("organisation_id", str::parse)?,
            professional_id: r.opt_parsed("professional_id", str::parse)?,
            teams: teams
                .into_iter()
                .map(|(t,)| Name::parse(&t).map_err(|e| corrupt("user_teams.team", &e)))
                .collect::<StoreResult<_>>()?,
            children: children
                .into_iter()
                .map(|(c,)| c.parse().map_err(|e| corrupt("user_children.child_id", &e)))
                .collect::<StoreResult<_>>()?,
        },
        disabled: r.flag("disabled")?,
        has_second_factor: credentials.totp_secret.is_some(),
    };
    Ok((user, credentials))
}

/// The user `id` in `area`, with their credentials.
pub(crate) async fn fetch_user(conn: &mut AnyConnection, area: AreaId, id: UserId) -> StoreResult<(User, Credentials)> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE area_id = $1 AND id = $2");
    let row = sqlx::query(&sql).bind(area.to_string()).bind(id.to_string()).fetch_optional(&mut *conn).await?;
    user_from_row(conn, &row.ok_or(StoreError::NotFound)?).await
}

pub(crate) async fn users(pool: &AnyPool, area: AreaId) -> StoreResult<Vec<User>> {
    let mut conn = pool.acquire().await?;
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE area_id = $1 ORDER BY username");
    let rows = sqlx::query(&sql).bind(area.to_string()).fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(user_from_row(&mut conn, row).await?.0);
    }
    Ok(out)
}

pub(crate) async fn user_for_sign_in(pool: &AnyPool, username: &Username) -> StoreResult<Option<(User, Credentials)>> {
    let mut conn = pool.acquire().await?;
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
    let row = sqlx::query(&sql).bind(username.as_str()).fetch_optional(&mut *conn).await?;
    match row {
        Some(row) => Ok(Some(user_from_row(&mut conn, &row).await?)),
        None => Ok(None),
    }
}

pub(crate) async fn create_user(
    pool: &AnyPool,
    engine: Engine,
    area: AreaId,
    d: &UserDetails,
    credentials: &Credentials,
    stamp: &Stamp,
) -> StoreResult<User> {
    let mut tx = begin_write(pool, engine).await?;
    if let Some(org) = d.organisation_id {
        let kind: Option<(String,)> = sqlx::query_as("SELECT kind FROM organisations WHERE area_id = $1 AND id = $2")
            .bind(area.to_string())
            .bind(org.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        let wanted = d.role.organisation_kind().map(|k| k.code().to_owned());
        match kind {
            None => return Err(StoreError::Refused("there is no such organisation in this area".into())),
            Some((k,)) if Some(&k) != wanted.as_ref() => {
                return Err(StoreError::Refused(format!(
                    "a {} works for a {} organisation, not a {k} one",
                    d.role.label().to_lowercase(),
                    wanted.unwrap_or_default()
                )));
            }
            Some(_) => {}
        }
    }
    if let Some(p) = d.professional_id
        && !exists_in_area(&mut tx, "professionals", area, &p.to_string()).await?
    {
        return Err(StoreError::Refused("there is no such professional in this area".into()));
    }
    for child in &d.children {
        if !exists_in_area(&mut tx, "children", area, &child.to_string()).await? {
            return Err(StoreError::Refused(format!("there is no child {child} in this area")));
        }
    }
    let user = User { id: UserId::new(), area_id: area, details: d.clone(), disabled: false, has_second_factor: false };
    let result = sqlx::query(
        "INSERT INTO users (id, area_id, username, name, role, organisation_id, professional_id, password_hash, \
         totp_secret, disabled, created_at_ms, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11)",
    )
    .bind(user.id.to_string())
    .bind(area.to_string())
    .bind(d.username.as_str())
    .bind(d.name.as_str())
    .bind(d.role.code())
    .bind(d.organisation_id.map(|o| o.to_string()))
    .bind(d.professional_id.map(|p| p.to_string()))
    .bind(credentials.password_hash.clone())
    .bind(credentials.totp_secret.as_ref().map(TotpSecret::to_base32))
    .bind(stamp.at.as_millisecond())
    .bind(stamp.by.to_string())
    .execute(&mut *tx)
    .await;
    if let Err(e) = result {
        return Err(if crate::sql::is_unique_violation(&e) {
            StoreError::Duplicate(format!("the user name {} is already taken", d.username))
        } else {
            e.into()
        });
    }
    for team in &d.teams {
        sqlx::query("INSERT INTO user_teams (user_id, team) VALUES ($1, $2)")
            .bind(user.id.to_string())
            .bind(team.as_str())
            .execute(&mut *tx)
            .await?;
    }
    for child in &d.children {
        sqlx::query("INSERT INTO user_children (user_id, area_id, child_id) VALUES ($1, $2, $3)")
            .bind(user.id.to_string())
            .bind(area.to_string())
            .bind(child.to_string())
            .execute(&mut *tx)
            .await?;
    }
    let detail = serde_json::json!({ "username": d.username, "role": d.role.code() });
    log_change(&mut tx, area, stamp, None, "user", &user.id.to_string(), "create", detail).await?;
    tx.commit().await?;
    Ok(User { has_second_factor: credentials.totp_secret.is_some(), ..user })
}

async fn end_sessions(conn: &mut AnyConnection, user: UserId, at: Timestamp, reason: &str) -> StoreResult<()> {
    sqlx::query("UPDATE sessions SET ended_at_ms = $1, ended_reason = $2 WHERE user_id = $3 AND ended_at_ms IS NULL")
        .bind(at.as_millisecond())
        .bind(reason)
        .bind(user.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces a user's password hash and second-factor secret, ending every
/// session they have.
pub(crate) async fn set_credentials(
    pool: &AnyPool,
    engine: Engine,
    area: AreaId,
    user: UserId,
    credentials: &Credentials,
    reason: &str,
    stamp: &Stamp,
) -> StoreResult<()> {
    let mut tx = begin_write(pool, engine).await?;
    let result = sqlx::query(
        "UPDATE users SET password_hash = $1, totp_secret = $2, totp_last_step = NULL WHERE area_id = $3 AND id = $4",
    )
    .bind(credentials.password_hash.clone())
    .bind(credentials.totp_secret.as_ref().map(TotpSecret::to_base32))
    .bind(area.to_string())
    .bind(user.to_string())
    .execute(&mut *tx)
    .await?;
    if result.rows_affected() != 1 {
        return Err(StoreError::NotFound);
    }
    end_sessions(&mut tx, user, stamp.at, "credentials reset").await?;
    let detail = serde_json::json!({ "second_factor": credentials.totp_secret.is_some(), "reason": reason });
    log_change(&mut tx, area, stamp, None, "user", &user.to_string(), "reset_credentials", detail).await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn set_user_disabled(
    pool: &AnyPool,
    engine: Engine,
    area: AreaId,
    user: UserId,
    disabled: bool,
    reason: &str,
    stamp: &Stamp,
) -> StoreResult<()> {
    let mut tx = begin_write(pool, engine).await?;
    let result = sqlx::query("UPDATE users SET disabled = $1 WHERE area_id = $2 AND id = $3")
        .bind(i64::from(disabled))
        .bind(area.to_string())
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?;
    if result.rows_affected() != 1 {
        return Err(StoreError::NotFound);
    }
    if disabled {
        end_sessions(&mut tx, user, stamp.at, "user disabled").await?;
    }
    let action = if disabled { "disable" } else { "enable" };
    let detail = serde_json::json!({ "reason": reason });
    log_change(&mut tx, area, stamp, None, "user", &user.to_string(), action, detail).await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn use_totp_step(pool: &AnyPool, user: UserId, step: i64) -> StoreResult<bool> {
    let result = sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(user.to_string())
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub(crate) async fn record_sign_in_attempt(
    pool: &AnyPool,
    engine: Engine,
    username: &str,
    user: Option<&User>,
    succeeded: bool,
    reason: &str,
    at: Timestamp,
) -> StoreResult<()> {
    let mut tx = begin_write(pool, engine).await?;
    sqlx::query("INSERT INTO sign_in_attempts (username, at_ms, succeeded, reason) VALUES ($1, $2, $3, $4)")
        .bind(username)
        .bind(at.as_millisecond())
        .bind(i64::from(succeeded))
        .bind(reason)
        .execute(&mut *tx)
        .await?;
    if let Some(user) = user {
        let entry = allot_domain::audit::AuditEntry {
            at,
            actor: user.details.username.to_string(),
            role: user.details.role.code().to_owned(),
            child_id: None,
            entity: "user".into(),
            entity_id: user.id.to_string(),
            action: "sign_in".into(),
            outcome: if succeeded {
                allot_domain::audit::Outcome::Allowed
            } else {
                allot_domain::audit::Outcome::Refused
            },
            detail: serde_json::json!({ "reason": reason }).to_string(),
        };
        crate::audit::append(&mut tx, user.area_id, vec![entry]).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn recent_sign_in_failures(
    pool: &AnyPool,
    username: &str,
    since: Timestamp,
) -> StoreResult<(u32, Option<Timestamp>)> {
    // Failures since the last success count.
    let (n, last): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MAX(at_ms) FROM sign_in_attempts WHERE username = $1 AND succeeded = 0 AND at_ms >= $2 \
         AND at_ms > COALESCE((SELECT MAX(at_ms) FROM sign_in_attempts WHERE username = $1 AND succeeded = 1), 0)",
    )
    .bind(username)
    .bind(since.as_millisecond())
    .fetch_one(pool)
    .await?;
    Ok((n as u32, last.and_then(|ms| Timestamp::from_millisecond(ms).ok())))
}

pub(crate) async fn start_session(pool: &AnyPool, s: &Session) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at_ms, last_seen_ms, second_factor_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&s.token_hash)
    .bind(s.user_id.to_string())
    .bind(&s.csrf_token)
    .bind(s.times.created.as_millisecond())
    .bind(s.times.last_seen.as_millisecond())
    .bind(s.times.second_factor_at.map(|t| t.as_millisecond()))
    .execute(pool)
    .await?;
    Ok(())
}

/// An open session and its user (who may since have been disabled: the
/// caller checks).
pub(crate) async fn session(pool: &AnyPool, token_hash: &str) -> StoreResult<Option<(Session, User)>> {
    let mut conn = pool.acquire().await?;
    let row = sqlx::query(
        "SELECT s.token_hash, s.user_id, s.csrf_token, s.created_at_ms, s.last_seen_ms, s.second_factor_at_ms, \
         u.area_id FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.ended_at_ms IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let r = Reader { row: &row, table: "sessions" };
    let session = Session {
        token_hash: r.text("token_hash")?,
        user_id: r.parsed("user_id", str::parse)?,
        csrf_token: r.text("csrf_token")?,
        times: SessionTimes {
            created: r.time("created_at_ms")?,
            last_seen: r.time("last_seen_ms")?,
            second_factor_at: r.opt_time("second_factor_at_ms")?,
        },
    };
    let area: AreaId = r.parsed("area_id", str::parse)?;
    let (user, _) = fetch_user(&mut conn, area, session.user_id).await?;
    Ok(Some((session, user)))
}

/// Sets one column of an open session.
pub(crate) async fn update_session(
    pool: &AnyPool,
    token_hash: &str,
    change: SessionChange,
    at: Timestamp,
) -> StoreResult<()> {
    let sql = match change {
        SessionChange::Seen => "UPDATE sessions SET last_seen_ms = $1 WHERE token_hash = $2 AND ended_at_ms IS NULL",
        SessionChange::SecondFactor => {
            "UPDATE sessions SET second_factor_at_ms = $1, last_seen_ms = $1 WHERE token_hash = $2 AND ended_at_ms IS NULL"
        }
        SessionChange::End(_) => {
            "UPDATE sessions SET ended_at_ms = $1, ended_reason = $3 WHERE token_hash = $2 AND ended_at_ms IS NULL"
        }
    };
    let mut q = sqlx::query(sql).bind(at.as_millisecond()).bind(token_hash);
    if let SessionChange::End(reason) = change {
        q = q.bind(reason);
    }
    q.execute(pool).await?;
    Ok(())
}

/// What happens to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionChange {
    /// A request used it.
    Seen,
    /// The second factor was checked again.
    SecondFactor,
    /// It ended, for this reason.
    End(&'static str),
}

const INVOLVEMENT_COLUMNS: &str = "id, area_id, child_id, organisation_id, kind, from_date, until_date, recorded_by";

fn involvement(row: &AnyRow) -> StoreResult<Involvement> {
    let r = Reader { row, table: "involvements" };
    Ok(Involvement {
        id: r.parsed("id", str::parse)?,
        area_id: r.parsed("area_id", str::parse)?,
        child_id: r.parsed("child_id", str::parse)?,
        details: InvolvementDetails {
            organisation_id: r.parsed("organisation_id", str::parse)?,
            kind: r.parsed("kind", InvolvementKind::parse)?,
            from: r.parsed("from_date", parse_date)?,
        },
        until: r.opt_parsed("until_date", parse_date)?,
        recorded_by: r.parsed("recorded_by", allot_domain::Actor::parse)?,
    })
}

pub(crate) async fn add_involvement(
    pool: &AnyPool,
    engine: Engine,
    area: AreaId,
    child: ChildId,
    details: &InvolvementDetails,
    stamp: &Stamp,
) -> StoreResult<Involvement> {
    let mut tx = begin_write(pool, engine).await?;
    if !exists_in_area(&mut tx, "children", area, &child.to_string()).await? {
        return Err(StoreError::NotFound);
    }
    if !exists_in_area(&mut tx, "organisations", area, &details.organisation_id.to_string()).await? {
        return Err(StoreError::Refused("there is no such organisation in this area".into()));
    }
    let i = Involvement {
        id: InvolvementId::new(),
        area_id: area,
        child_id: child,
        details: details.clone(),
        until: None,
        recorded_by: stamp.by.clone(),
    };
    sqlx::query(&format!(
        "INSERT INTO involvements ({INVOLVEMENT_COLUMNS}, recorded_at_ms) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8)"
    ))
    .bind(i.id.to_string())
    .bind(area.to_string())
    .bind(child.to_string())
    .bind(details.organisation_id.to_string())
    .bind(details.kind.code())
    .bind(details.from.to_string())
    .bind(stamp.by.to_string())
    .bind(stamp.at.as_millisecond())
    .execute(&mut *tx)
    .await?;
    let detail = serde_json::json!({ "organisation_id": details.organisation_id, "kind": details.kind.code(), "from": details.from.to_string() });
    log_change(&mut tx, area, stamp, Some(child), "involvement", &i.id.to_string(), "create", detail).await?;
    tx.commit().await?;
    Ok(i)
}

pub(crate) async fn involvements(pool: &AnyPool, area: AreaId, child: ChildId) -> StoreResult<Vec<Involvement>> {
    let sql = format!(
        "SELECT {INVOLVEMENT_COLUMNS} FROM involvements WHERE area_id = $1 AND child_id = $2 ORDER BY from_date, id"
    );
    let rows = sqlx::query(&sql).bind(area.to_string()).bind(child.to_string()).fetch_all(pool).await?;
    rows.iter().map(involvement).collect()
}

/// Ends an involvement from `until` (the first day it no longer applies).
pub(crate) async fn end_involvement(
    pool: &AnyPool,
    engine: Engine,
    area: AreaId,
    id: InvolvementId,
    until: Date,
    stamp: &Stamp,
) -> StoreResult<Involvement> {
    let mut tx = begin_write(pool, engine).await?;
    let sql = format!("SELECT {INVOLVEMENT_COLUMNS} FROM involvements WHERE area_id = $1 AND id = $2");
    let row = sqlx::query(&sql).bind(area.to_string()).bind(id.to_string()).fetch_optional(&mut *tx).await?;
    let mut i = involvement(&row.ok_or(StoreError::NotFound)?)?;
    if let Some(u) = i.until {
        return Err(StoreError::Refused(format!("this involvement already ended on {u}")));
    }
    if until < i.details.from {
        return Err(StoreError::Refused(format!("it cannot end before it began, on {}", i.details.from)));
    }
    sqlx::query("UPDATE involvements SET until_date = $1 WHERE area_id = $2 AND id = $3")
        .bind(until.to_string())
        .bind(area.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    let detail = serde_json::json!({ "until": until.to_string() });
    log_change(&mut tx, area, stamp, Some(i.child_id), "involvement", &id.to_string(), "end", detail).await?;
    tx.commit().await?;
    i.until = Some(until);
    Ok(i)
}

/// What is true of child `id` at `at`, for the access policy; `None` if
/// there is no such child in the area.
pub(crate) async fn child_facts(
    pool: &AnyPool,
    area: AreaId,
    id: ChildId,
    at: Timestamp,
) -> StoreResult<Option<ChildFacts>> {
    let today = date_in_england(at);
    let mut conn = pool.acquire().await?;
    let child: Option<(String,)> = sqlx::query_as("SELECT date_of_birth FROM children WHERE area_id = $1 AND id = $2")
        .bind(area.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    let Some((dob,)) = child else { return Ok(None) };
    let dob = parse_date(&dob).map_err(|e| StoreError::Corrupt(format!("children.date_of_birth: {e}")))?;
    let lead: Option<(String,)> = sqlx::query_as(
        "SELECT p.team FROM lead_assignments l JOIN professionals p ON p.id = l.professional_id \
         WHERE l.child_id = $1 AND l.until_ms IS NULL",
    )
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let involved: Vec<(String, String)> = sqlx::query_as(
        "SELECT organisation_id, kind FROM involvements WHERE child_id = $1 AND from_date <= $2 \
         AND (until_date IS NULL OR until_date > $2)",
    )
    .bind(id.to_string())
    .bind(today.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let consented: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT organisation_id FROM consents WHERE child_id = $1 AND given_on <= $2 \
         AND (withdrawn_at_ms IS NULL OR withdrawn_at_ms > $3)",
    )
    .bind(id.to_string())
    .bind(today.to_string())
    .bind(at.as_millisecond())
    .fetch_all(&mut *conn)
    .await?;
    let corrupt = |what: &str| StoreError::Corrupt(what.to_owned());
    Ok(Some(ChildFacts {
        lead_team: lead.map(|(t,)| Name::parse(&t).map_err(|_| corrupt("professionals.team"))).transpose()?,
        age: age_on(dob, today),
        involvements: involved
            .into_iter()
            .map(|(o, k)| {
                Ok((
                    o.parse().map_err(|_| corrupt("involvements.organisation_id"))?,
                    InvolvementKind::parse(&k).map_err(|_| corrupt("involvements.kind"))?,
                ))
            })
            .collect::<StoreResult<_>>()?,
        consented: consented
            .into_iter()
            .map(|(o,)| o.parse().map_err(|_| corrupt("consents.organisation_id")))
            .collect::<StoreResult<_>>()?,
    }))
}

/// The scope as a condition on `children c`, its arguments numbered from
/// `first_arg`. Must admit exactly the children [`ChildScope::admits`]
/// does (a conformance test holds the two together).
pub(crate) fn scope_condition(scope: &ChildScope, at: Timestamp, args: &mut Vec<Arg>) -> String {
    let today = date_in_england(at);
    let arg = |args: &mut Vec<Arg>, value: Arg| {
        args.push(value);
        format!("${}", args.len())
    };
    let list = |args: &mut Vec<Arg>, values: Vec<String>| -> String {
        values
            .into_iter()
            .map(|v| {
                args.push(v.into());
                format!("${}", args.len())
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match scope {
        ChildScope::Everyone => "1 = 1".into(),
        ChildScope::Nobody => "1 = 0".into(),
        ChildScope::LeadTeams(teams) if teams.is_empty() => "1 = 0".into(),
        ChildScope::LeadTeams(teams) => {
            let teams = list(args, teams.iter().map(|t| t.to_string()).collect());
            format!(
                "EXISTS (SELECT 1 FROM lead_assignments l JOIN professionals p ON p.id = l.professional_id \
                 WHERE l.child_id = c.id AND l.until_ms IS NULL AND p.team IN ({teams}))"
            )
        }
        ChildScope::Linked { children, .. } if children.is_empty() => "1 = 0".into(),
        ChildScope::Linked { children, min_age } => {
            let ids = list(args, children.iter().map(|c| c.to_string()).collect());
            let mut sql = format!("c.id IN ({ids})");
            if let Some(min) = min_age {
                let latest = arg(args, born_on_or_before(today, *min as i16).to_string().into());
                sql.push_str(&format!(" AND c.date_of_birth <= {latest}"));
            }
            sql
        }
        ChildScope::Involved { organisation, kinds, needs_consent } => {
            let org = arg(args, organisation.to_string().into());
            let kinds = list(args, kinds.iter().map(|k| k.code().to_owned()).collect());
            let day = arg(args, today.to_string().into());
            let mut sql = format!(
                "EXISTS (SELECT 1 FROM involvements i WHERE i.child_id = c.id AND i.organisation_id = {org} \
                 AND i.kind IN ({kinds}) AND i.from_date <= {day} AND (i.until_date IS NULL OR i.until_date > {day}))"
            );
            if *needs_consent {
                let now = arg(args, at.as_millisecond().into());
                sql.push_str(&format!(
                    " AND EXISTS (SELECT 1 FROM consents k WHERE k.child_id = c.id AND k.organisation_id = {org} \
                     AND k.given_on <= {day} AND (k.withdrawn_at_ms IS NULL OR k.withdrawn_at_ms > {now}))"
                ));
            }
            sql
        }
    }
}
