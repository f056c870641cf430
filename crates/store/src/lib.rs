//! Allot's storage boundary.
//!
//! [`Store`] is the one interface the web server and the CLI use to reach
//! stored records. Behind it, one SQL adapter ([`SqlStore`]) serves both
//! SQLite (the embedded default) and PostgreSQL (production): each statement
//! is written once, in the SQL the two share, and the few real differences
//! live in [`Engine`].
//!
//! Architecture invariant: nothing outside this crate writes SQL or knows
//! which engine is in use. Every change is written in one transaction
//! together with its change-log row.

#![forbid(unsafe_code)]

mod access;
mod audit;
mod migrate;
mod money;
mod monitoring;
mod pathway;
mod receipts;
mod rows;
mod spend;
mod sql;
mod statement_file;
pub mod testing;
mod url;

pub use access::SessionChange;
pub use monitoring::{DirectPaymentReview, DpAudit, RecordedAuditEvent};
pub use spend::{SPEND_BATCH_LINES, SpendChunk, SpendImportRecord, SpendImported, SpendLineRef, StoredSpend};
pub use sql::SqlStore;
pub use statement_file::import_statement;
pub use url::{DatabaseUrl, Engine};

use allot_domain::FinancialYear;
use allot_domain::access::{ChildFacts, ChildScope};
use allot_domain::audit::{AuditEntry, Checkpoint, SealedEntry};
use allot_domain::child::{Child, ChildDetails};
use allot_domain::consent::{Consent, ConsentDetails};
use allot_domain::family::{FamilyMember, FamilyMemberDetails};
use allot_domain::finance::bank::{BankChange, BankDetails};
use allot_domain::finance::dp_audit::AuditEvent;
use allot_domain::finance::ledger::{AccountKey, Applied, Balances, Transfer, TransferError};
use allot_domain::finance::receipt::{Receipt, ReceiptDetails, ReceiptFile};
use allot_domain::finance::run::{Held, RunStatus};
use allot_domain::finance::settings::FinanceSettings;
use allot_domain::finance::spend::{LearnedField, StatementFormat};
use allot_domain::finance::statement::ChildMoney;
use allot_domain::ids::PaymentRunId;
use allot_domain::ids::RasPolicyId;
use allot_domain::ids::{DpAuditId, ReceiptId};
use allot_domain::ids::{InvolvementId, UserId};
use allot_domain::involvement::{Involvement, InvolvementDetails};
use allot_domain::organisation::{Area, Organisation};
use allot_domain::paging::{ChildQuery, Cursor};
use allot_domain::pathway::casework::CaseRecord;
use allot_domain::pathway::content::PlanContent;
use allot_domain::pathway::delegation::{DelegationPolicy, PublishedDelegation};
use allot_domain::pathway::record::PathwayEvent;
use allot_domain::pathway::signoff::{PlanDecision, PlanStatus, PlanVersion, Submission};
use allot_domain::professional::{LeadAssignment, Professional};
use allot_domain::ras::{Policy, PublishedPolicy, StoredAllocation};
use allot_domain::records::AreaRecords;
use allot_domain::session::SessionTimes;
use allot_domain::totp::TotpSecret;
use allot_domain::user::{User, UserDetails, Username};
use allot_domain::{Actor, AreaCode, AreaId, ChildId, ChildReference, ConsentId, Name, Pence, ProfessionalId, Stamp};

/// What can go wrong at the storage boundary. The first variants are
/// answers the caller must handle (the record is not there, someone else
/// changed it first…); the last are the infrastructure failing.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such record in this area. Deliberately the same whether the
    /// record does not exist or belongs to another area.
    #[error("not found")]
    NotFound,
    /// The record changed since the caller read it.
    #[error("the record has changed since version {expected}: it is now at version {current}")]
    VersionConflict { expected: i64, current: i64 },
    /// A record with the same unique key already exists.
    #[error("{0}")]
    Duplicate(String),
    /// A rule refused the change (for example, withdrawing a consent twice).
    #[error("{0}")]
    Refused(String),
    /// A rule refused the change, naming the fields at fault.
    #[error("{0}")]
    Invalid(allot_domain::Invalid),
    /// The database URL is not one Allot accepts.
    #[error("{0}")]
    BadUrl(String),
    /// A stored value no longer parses as its domain type.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The schema was migrated by a different build of Allot.
    #[error("migration problem: {0}")]
    Migration(String),
    /// Lines of a file were wrong; nothing was written.
    #[error("{} problems in the file", .0.len())]
    Lines(Vec<allot_domain::invalid::LineError>),
    /// The ledger refused a transfer.
    #[error("{0}")]
    Ledger(#[from] TransferError),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Shorthand for storage results.
pub type StoreResult<T> = Result<T, StoreError>;

/// One page of a list, and where the next page starts.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Present when there may be more rows after this page.
    pub next: Option<Cursor>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct ImportSummary {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// One change to a record, from the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    pub at: jiff::Timestamp,
    pub actor: String,
    pub role: String,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    pub detail: serde_json::Value,
}

/// What someone signs in with. Never leaves the store except for checking.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// An argon2id hash in PHC form; `None` for someone who signs in only
    /// through the council's identity provider.
    pub password_hash: Option<String>,
    pub totp_secret: Option<TotpSecret>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(..)")
    }
}

/// A signed-in session. The token itself is never stored, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub user_id: UserId,
    /// Sent back with every form and unsafe API call made with the cookie.
    pub csrf_token: String,
    pub times: SessionTimes,
}

/// A sign-in through the council's identity provider, between the
/// redirect there and the callback.
#[derive(Clone, PartialEq, Eq)]
pub struct OidcLogin {
    pub state: String,
    pub nonce: String,
    pub code_verifier: String,
    pub created_at: jiff::Timestamp,
}

impl std::fmt::Debug for OidcLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OidcLogin(..)")
    }
}

/// One event of a child's pathway, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredEvent {
    pub child_id: ChildId,
    /// 1, 2, 3… per child, in the order recorded.
    pub seq: i64,
    pub event: PathwayEvent,
    pub recorded_at: jiff::Timestamp,
    pub recorded_by: Actor,
}

/// A case record as stored, with the version that guards its updates.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredCaseRecord {
    pub record: CaseRecord,
    pub row_version: i64,
    pub recorded_at: jiff::Timestamp,
    pub recorded_by: Actor,
}

/// A transfer as recorded: who sent it, when, and its place in the
/// area's ledger.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredTransfer {
    #[serde(flatten)]
    pub transfer: Transfer,
    /// 1, 2, 3… per area, in the order recorded.
    pub seq: i64,
    pub recorded_at: jiff::Timestamp,
    pub recorded_by: Actor,
}

/// A published version of an area's finance settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedFinanceSettings {
    pub version: i64,
    pub settings: FinanceSettings,
    pub content: String,
    pub content_hash: String,
    pub published_at: jiff::Timestamp,
    pub published_by: Actor,
}

/// A payment run as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PaymentRun {
    pub id: PaymentRunId,
    /// 1, 2, 3… per area.
    pub number: i64,
    pub run_date: jiff::civil::Date,
    pub status: RunStatus,
    /// How many instalments it pays.
    pub payments: i64,
    pub total: Pence,
    /// Instalments it could not pay, and why.
    pub held: Vec<Held>,
    #[serde(skip)]
    pub bacs: String,
    #[serde(skip)]
    pub journal: String,
    pub prepared_at: jiff::Timestamp,
    pub prepared_by: Actor,
    pub decided_at: Option<jiff::Timestamp>,
    pub decided_by: Option<Actor>,
    pub reason: Option<String>,
}

/// What asking for a payment run came to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunOutcome {
    /// The new run, or `None` when nothing new was due.
    pub run: Option<PaymentRun>,
    /// Instalments due but not paid (no bank details).
    pub held: Vec<Held>,
    /// Budgets or instalments that could not be set up, in words.
    pub problems: Vec<String>,
}

/// Records that belong to one child and have ids of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildRecord {
    Consent,
    Involvement,
}

/// Reports progress of a long job: `(done, total)`.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// The storage interface. Every method that touches an area's records takes
/// the area's id and never reaches outside it.
#[async_trait::async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Which engine is behind the store.
    fn engine(&self) -> Engine;
    /// Applies any migrations not yet applied; returns their names.
    async fn migrate(&self) -> StoreResult<Vec<String>>;
    /// Whether the database answers.
    async fn ready(&self) -> StoreResult<()>;
    /// Checks the database's invariants; returns each problem found.
    async fn verify(&self) -> StoreResult<Vec<String>>;

    // Areas and organisations
    async fn create_area(&self, code: &AreaCode, name: &Name, stamp: &Stamp) -> StoreResult<Area>;
    async fn area_by_code(&self, code: &AreaCode) -> StoreResult<Option<Area>>;
    async fn areas(&self) -> StoreResult<Vec<Area>>;
    async fn organisations(&self, area: AreaId) -> StoreResult<Vec<Organisation>>;
    async fn professionals(&self, area: AreaId) -> StoreResult<Vec<Professional>>;
    /// Deletes every record in the area but the area itself (used to refresh
    /// the demo area).
    async fn clear_area(&self, area: AreaId, stamp: &Stamp) -> StoreResult<()>;
    /// Loads a batch of records in one transaction.
    async fn load_records(
        &self,
        area: AreaId,
        records: &AreaRecords,
        stamp: &Stamp,
        progress: Progress<'_>,
    ) -> StoreResult<()>;

    // Children
    async fn create_child(&self, area: AreaId, details: &ChildDetails, stamp: &Stamp) -> StoreResult<Child>;
    async fn child(&self, area: AreaId, id: ChildId) -> StoreResult<Child>;
    async fn child_by_reference(&self, area: AreaId, reference: &ChildReference) -> StoreResult<Option<Child>>;
    /// Replaces a child's details if the record is still at `expected_version`.
    async fn update_child(
        &self,
        area: AreaId,
        id: ChildId,
        expected_version: i64,
        details: &ChildDetails,
        stamp: &Stamp,
    ) -> StoreResult<Child>;
    /// One page of the children in `scope` (as it stands at `at`).
    async fn list_children(
        &self,
        area: AreaId,
        scope: &ChildScope,
        at: jiff::Timestamp,
        query: &ChildQuery,
    ) -> StoreResult<Page<Child>>;
    async fn count_children(&self, area: AreaId) -> StoreResult<u64>;
    /// Creates or updates children matched on their reference, all in one
    /// transaction: either every row lands or none does.
    async fn import_children(
        &self,
        area: AreaId,
        children: &[ChildDetails],
        stamp: &Stamp,
    ) -> StoreResult<ImportSummary>;

    // Family, consent, lead professional
    async fn add_family_member(
        &self,
        area: AreaId,
        child: ChildId,
        details: &FamilyMemberDetails,
        stamp: &Stamp,
    ) -> StoreResult<FamilyMember>;
    async fn family_members(&self, area: AreaId, child: ChildId) -> StoreResult<Vec<FamilyMember>>;
    async fn record_consent(
        &self,
        area: AreaId,
        child: ChildId,
        details: &ConsentDetails,
        stamp: &Stamp,
    ) -> StoreResult<Consent>;
    /// Withdraws a consent from `stamp.at`, recording why; withdrawing
    /// twice is refused.
    async fn withdraw_consent(&self, area: AreaId, id: ConsentId, reason: &str, stamp: &Stamp) -> StoreResult<Consent>;
    async fn consents(&self, area: AreaId, child: ChildId) -> StoreResult<Vec<Consent>>;
    /// Makes `professional` the child's lead professional from `stamp.at`,
    /// closing the current spell at the same instant.
    async fn assign_lead_professional(
        &self,
        area: AreaId,
        child: ChildId,
        professional: ProfessionalId,
        reason: &str,
        stamp: &Stamp,
    ) -> StoreResult<LeadAssignment>;
    /// Every spell, oldest first.
    async fn lead_history(&self, area: AreaId, child: ChildId) -> StoreResult<Vec<LeadAssignment>>;

    // The resource allocation system
    /// Publishes a policy (its checked form and exact text). A policy id and
    /// version can be published once; a change needs a new version.
    async fn publish_policy(
        &self,
        area: AreaId,
        policy: &Policy,
        content: &str,
        stamp: &Stamp,
    ) -> StoreResult<PublishedPolicy>;
    /// Every published policy, oldest first.
    async fn policies(&self, area: AreaId) -> StoreResult<Vec<PublishedPolicy>>;
    async fn policy(&self, area: AreaId, id: RasPolicyId) -> StoreResult<PublishedPolicy>;
    /// The policy in force on `on`: the latest effective on or before it.
    async fn current_policy(&self, area: AreaId, on: jiff::civil::Date) -> StoreResult<Option<PublishedPolicy>>;
    /// Stores a completed questionnaire and its result.
    async fn record_allocation(&self, allocation: &StoredAllocation, stamp: &Stamp) -> StoreResult<()>;
    /// A child's allocations, oldest first.
    async fn allocations(&self, area: AreaId, child: ChildId) -> StoreResult<Vec<StoredAllocation>>;
    /// Each child's latest allocation, with the child's date of birth, in
    /// reference order (the population for what-if modelling).
    async fn latest_allocations(
        &self,
        area: AreaId,
    ) -> StoreResult<Vec<(ChildReference, jiff::civil::Date, StoredAllocation)>>;

    /// The changes to one record, oldest first.
    async fn changes(&self, area: AreaId, entity_id: &str) -> StoreResult<Vec<Change>>;
    /// Every change about one child (their record, family, consents,
    /// plan, pathway, case records…), oldest first.
    async fn child_changes(&self, area: AreaId, child: ChildId) -> StoreResult<Vec<Change>>;

    // People and access
    async fn create_user(
        &self,
        area: AreaId,
        details: &UserDetails,
        credentials: &Credentials,
        stamp: &Stamp,
    ) -> StoreResult<User>;
    async fn users(&self, area: AreaId) -> StoreResult<Vec<User>>;
    async fn user(&self, area: AreaId, id: UserId) -> StoreResult<User>;
    /// The user with this name, in whichever area, with their credentials.
    async fn user_for_sign_in(&self, username: &Username) -> StoreResult<Option<(User, Credentials)>>;
    /// Replaces a user's credentials and ends all their sessions at once.
    async fn set_credentials(
        &self,
        area: AreaId,
        user: UserId,
        credentials: &Credentials,
        reason: &str,
        stamp: &Stamp,
    ) -> StoreResult<()>;
    /// Disables (ending all their sessions at once) or re-enables a user.
    async fn set_user_disabled(
        &self,
        area: AreaId,
        user: UserId,
        disabled: bool,
        reason: &str,
        stamp: &Stamp,
    ) -> StoreResult<()>;
    /// Records that a TOTP time step was used; `false` if it, or a later
    /// one, was used already (a replayed code).
    async fn use_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool>;
    /// Records a sign-in attempt (and, for a known user, an audit entry).
    async fn record_sign_in_attempt(
        &self,
        username: &str,
        user: Option<&User>,
        succeeded: bool,
        reason: &str,
        at: jiff::Timestamp,
    ) -> StoreResult<()>;
    /// Failed attempts for `username` since `since` and since its last
    /// success, and when the latest was.
    async fn recent_sign_in_failures(
        &self,
        username: &str,
        since: jiff::Timestamp,
    ) -> StoreResult<(u32, Option<jiff::Timestamp>)>;
    async fn start_session(&self, session: &Session) -> StoreResult<()>;
    /// An open session and its user.
    async fn session(&self, token_hash: &str) -> StoreResult<Option<(Session, User)>>;
    async fn update_session(&self, token_hash: &str, change: SessionChange, at: jiff::Timestamp) -> StoreResult<()>;
    /// Remembers a sign-in through the identity provider that has begun.
    async fn begin_oidc_login(&self, login: &OidcLogin) -> StoreResult<()>;
    /// Takes (and forgets) the login with this state: it is used once.
    async fn take_oidc_login(&self, state: &str) -> StoreResult<Option<OidcLogin>>;

    // Involvements
    async fn add_involvement(
        &self,
        area: AreaId,
        child: ChildId,
        details: &InvolvementDetails,
        stamp: &Stamp,
    ) -> StoreResult<Involvement>;
    async fn involvements(&self, area: AreaId, child: ChildId) -> StoreResult<Vec<Involvement>>;
    /// Ends an involvement from `until`, the first day it no longer applies.
    async fn end_involvement(
        &self,
        area: AreaId,
        id: InvolvementId,
        until: jiff::civil::Date,
        stamp: &Stamp,
    ) -> StoreResult<Involvement>;
    /// The child a record belongs to; `None` if there is no such record in
    /// the area.
    async fn child_of(&self, area: AreaId, record: ChildRecord, id: &str) -> StoreResult<Option<ChildId>>;
    /// What is true of a child now, for the access policy; `None` if there
    /// is no such child in the area.
    async fn child_facts(&self, area: AreaId, child: ChildId, at: jiff::Timestamp) -> StoreResult<Option<ChildFacts>>;

    // The pathway
    /// Publishes a delegation policy as the area's next version.
    async fn publish_delegation(
        &self,
        area: AreaId,
        policy: &DelegationPolicy,
        content: &str,
        stamp: &Stamp,
    ) -> StoreResult<PublishedDelegation>;
    /// Every published delegation policy, oldest first (the last is in force).
    async fn delegation_policies(&self, area: AreaId) -> StoreResult<Vec<PublishedDelegation>>;
    /// Appends an event to a child's pathway, if the child still has
    /// `expected_count` events (the ones the event was checked against).
    async fn record_pathway_event(
        &self,
        area: AreaId,
        child: ChildId,
        expected_count: usize,
        event: &PathwayEvent,
        stamp: &Stamp,
    ) -> StoreResult<StoredEvent>;
    /// A child's events (or, with `None`, every child's), in order.
    async fn pathway_events(&self, area: AreaId, child: Option<ChildId>) -> StoreResult<Vec<StoredEvent>>;
    /// Saves a plan: edits the draft in place, or starts a new version
    /// after a frozen one. `expected` is the `(version, row_version)` the
    /// caller read (`None` for a child with no plan yet).
    async fn save_plan_draft(
        &self,
        area: AreaId,
        child: ChildId,
        expected: Option<(i64, i64)>,
        content: &PlanContent,
        author: allot_domain::ids::UserId,
        stamp: &Stamp,
    ) -> StoreResult<PlanVersion>;
    /// Freezes the latest (draft) version and sends it for sign-off.
    async fn submit_plan(
        &self,
        area: AreaId,
        child: ChildId,
        expected: (i64, i64),
        submission: &Submission,
        stamp: &Stamp,
    ) -> StoreResult<PlanVersion>;
    /// Records a decision or signature on a version and its new status.
    async fn decide_plan(
        &self,
        area: AreaId,
        child: ChildId,
        expected: (i64, i64),
        decision: &PlanDecision,
        status: PlanStatus,
        stamp: &Stamp,
    ) -> StoreResult<PlanVersion>;
    /// A child's plan versions (or, with `None`, every child's), oldest
    /// first, with their decisions.
    async fn plan_versions(&self, area: AreaId, child: Option<ChildId>) -> StoreResult<Vec<PlanVersion>>;
    /// Records a new case record (`expected` is `None`) or replaces one
    /// still at row version `expected`, with the reason for the change.
    async fn save_case_record(
        &self,
        area: AreaId,
        record: &CaseRecord,
        expected: Option<i64>,
        reason: Option<&str>,
        stamp: &Stamp,
    ) -> StoreResult<StoredCaseRecord>;
    /// A child's case records (or, with `None`, the whole area's,
    /// including the area's own risks).
    async fn case_records(&self, area: AreaId, child: Option<ChildId>) -> StoreResult<Vec<StoredCaseRecord>>;

    // The audit trail
    /// Appends entries (reads and refusals; changes are recorded by the
    /// methods that make them, in their own transactions).
    async fn record_audit(&self, area: AreaId, entries: Vec<AuditEntry>) -> StoreResult<()>;
    /// Entries after `after_seq`, oldest first, at most `limit`; only the
    /// child's, if one is named.
    async fn audit_entries(
        &self,
        area: AreaId,
        child: Option<ChildId>,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<Vec<SealedEntry>>;
    /// Checks the area's chain against its head and the checkpoints given.
    async fn verify_audit(&self, area: AreaId, checkpoints: Vec<Checkpoint>) -> StoreResult<Vec<String>>;
    /// The latest entry of the area's chain, to keep as a checkpoint.
    async fn audit_checkpoint(&self, area: AreaId) -> StoreResult<Option<Checkpoint>>;

    // Money
    /// Records one transfer (an approved overspend, a correction…): "already
    /// exists" if the same transfer was recorded before; `Ledger` if the
    /// ledger's rules refuse it.
    async fn record_transfer(&self, area: AreaId, transfer: &Transfer, stamp: &Stamp) -> StoreResult<Applied>;
    /// Accounts and their balances: a child's, or every account in the area.
    async fn ledger_accounts(&self, area: AreaId, child: Option<ChildId>) -> StoreResult<Vec<(AccountKey, Balances)>>;
    /// Transfers in the order recorded: a child's, or the area's.
    async fn transfers(&self, area: AreaId, child: Option<ChildId>) -> StoreResult<Vec<StoredTransfer>>;
    /// The ledger's invariants over the whole area; each problem one sentence.
    async fn verify_ledger(&self, area: AreaId) -> StoreResult<Vec<String>>;
    /// Publishes a new version of the area's finance settings.
    async fn publish_finance_settings(
        &self,
        area: AreaId,
        content: &str,
        stamp: &Stamp,
    ) -> StoreResult<PublishedFinanceSettings>;
    /// The area's latest finance settings, if any were published.
    async fn finance_settings(&self, area: AreaId) -> StoreResult<Option<PublishedFinanceSettings>>;
    /// Proposes new bank details for a payee account (a family's direct
    /// payment or an organisation); they wait for a second person.
    async fn propose_bank_details(
        &self,
        area: AreaId,
        account: &AccountKey,
        details: &BankDetails,
        reason: &str,
        stamp: &Stamp,
    ) -> StoreResult<BankChange>;
    /// Confirms (the details become current) or rejects a proposal; never by
    /// the person who proposed it.
    async fn decide_bank_details(
        &self,
        area: AreaId,
        account: &AccountKey,
        seq: i64,
        confirm: bool,
        stamp: &Stamp,
    ) -> StoreResult<BankChange>;
    /// Bank details, oldest first per payee account: one account's, or
    /// (with `None`) every account's in the area.
    async fn bank_details(
        &self,
        area: AreaId,
        account: Option<&AccountKey>,
    ) -> StoreResult<Vec<(AccountKey, BankChange)>>;
    /// Prepares a payment run of everything due on or before `day` and not
    /// yet in a run: budgets and instalments are brought up to date first.
    /// Asking again pays nothing twice.
    async fn prepare_payment_run(&self, area: AreaId, day: jiff::civil::Date, stamp: &Stamp)
    -> StoreResult<RunOutcome>;
    /// Payment runs, newest first.
    async fn payment_runs(&self, area: AreaId) -> StoreResult<Vec<PaymentRun>>;
    /// Releases a prepared run: its instalments are paid (posted).
    async fn release_payment_run(&self, area: AreaId, id: PaymentRunId, stamp: &Stamp) -> StoreResult<PaymentRun>;
    /// Cancels a prepared run, with the reason: its instalments wait for a
    /// later run.
    async fn cancel_payment_run(
        &self,
        area: AreaId,
        id: PaymentRunId,
        reason: &str,
        stamp: &Stamp,
    ) -> StoreResult<PaymentRun>;

    // Spend
    /// Imports a statement or a provider's invoices, read and checked by
    /// the caller and sent in chunks: every line or none (`Lines` names
    /// every problem, including references to children the area does not
    /// have); a transaction seen before is skipped and counted.
    async fn import_spend(
        &self,
        area: AreaId,
        format: StatementFormat,
        file_name: &str,
        chunks: tokio::sync::mpsc::Receiver<SpendChunk>,
        stamp: &Stamp,
    ) -> StoreResult<SpendImported>;
    /// The area's latest imports of spend, newest first.
    async fn spend_imports(&self, area: AreaId, limit: u32) -> StoreResult<Vec<SpendImportRecord>>;
    /// A child's spend in a financial year, by date.
    async fn child_spend(&self, area: AreaId, child: ChildId, year: FinancialYear) -> StoreResult<Vec<StoredSpend>>;
    /// Puts a line of a child's spend against an item of their agreed plan
    /// (or, with `None`, takes it off); `remember` teaches Allot to put
    /// lines like it there too.
    async fn put_spend_against_item(
        &self,
        area: AreaId,
        child: ChildId,
        line: &SpendLineRef,
        item_key: Option<&str>,
        remember: Option<LearnedField>,
        stamp: &Stamp,
    ) -> StoreResult<StoredSpend>;
    /// A child's money in a financial year, per stream and route.
    async fn child_money(&self, area: AreaId, child: ChildId, year: FinancialYear) -> StoreResult<ChildMoney>;

    // Watching over direct payments
    /// Every family with a direct-payment account: balance, alerts, the
    /// next audit. Needs the area's finance settings.
    async fn direct_payment_reviews(
        &self,
        area: AreaId,
        today: jiff::civil::Date,
    ) -> StoreResult<Vec<DirectPaymentReview>>;
    /// Starts an audit of a child's direct payment (one at a time).
    async fn start_dp_audit(
        &self,
        area: AreaId,
        child: ChildId,
        on: jiff::civil::Date,
        stamp: &Stamp,
    ) -> StoreResult<DpAudit>;
    /// Records what happened next in an audit, if the domain's rules allow
    /// it; a recovery is posted to the ledger with it.
    async fn record_dp_audit_event(
        &self,
        area: AreaId,
        audit: DpAuditId,
        event: &AuditEvent,
        stamp: &Stamp,
    ) -> StoreResult<DpAudit>;
    /// A child's direct-payment audits, oldest first.
    async fn dp_audits(&self, area: AreaId, child: ChildId) -> StoreResult<Vec<DpAudit>>;

    // Receipts
    /// Keeps a receipt sent for a child, with its file.
    async fn add_receipt(
        &self,
        area: AreaId,
        child: ChildId,
        details: &ReceiptDetails,
        file: &ReceiptFile,
        stamp: &Stamp,
    ) -> StoreResult<Receipt>;
    /// A child's receipts, latest spend first, without their files.
    async fn receipts(&self, area: AreaId, child: ChildId) -> StoreResult<Vec<Receipt>>;
    /// One of a child's receipts and its file.
    async fn receipt_file(&self, area: AreaId, child: ChildId, id: ReceiptId) -> StoreResult<(Receipt, Vec<u8>)>;
}
