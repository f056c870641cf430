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

mod migrate;
mod rows;
mod sql;
pub mod testing;
mod url;

pub use sql::SqlStore;
pub use url::{DatabaseUrl, Engine};

use allot_domain::child::{Child, ChildDetails};
use allot_domain::consent::{Consent, ConsentDetails};
use allot_domain::family::{FamilyMember, FamilyMemberDetails};
use allot_domain::ids::RasPolicyId;
use allot_domain::organisation::{Area, Organisation};
use allot_domain::paging::{ChildQuery, Cursor};
use allot_domain::professional::{LeadAssignment, Professional};
use allot_domain::ras::{Policy, PublishedPolicy, StoredAllocation};
use allot_domain::records::AreaRecords;
use allot_domain::{AreaCode, AreaId, ChildId, ChildReference, ConsentId, Name, ProfessionalId, Stamp};

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
    /// The database URL is not one Allot accepts.
    #[error("{0}")]
    BadUrl(String),
    /// A stored value no longer parses as its domain type.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The schema was migrated by a different build of Allot.
    #[error("migration problem: {0}")]
    Migration(String),
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

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    pub at: jiff::Timestamp,
    pub actor: String,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    pub detail: serde_json::Value,
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
    async fn list_children(&self, area: AreaId, query: &ChildQuery) -> StoreResult<Page<Child>>;
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
    /// Withdraws a consent from `stamp.at`; withdrawing twice is refused.
    async fn withdraw_consent(&self, area: AreaId, id: ConsentId, stamp: &Stamp) -> StoreResult<Consent>;
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
    async fn record_allocation(&self, allocation: &StoredAllocation) -> StoreResult<()>;
    /// A child's allocations, oldest first.
    async fn allocations(&self, area: AreaId, child: ChildId) -> StoreResult<Vec<StoredAllocation>>;
    /// Each child's latest allocation, with the child's date of birth, in
    /// reference order (the population for what-if modelling).
    async fn latest_allocations(
        &self,
        area: AreaId,
    ) -> StoreResult<Vec<(ChildReference, jiff::civil::Date, StoredAllocation)>>;

    /// The change log for one record, oldest first.
    async fn changes(&self, area: AreaId, entity_id: &str) -> StoreResult<Vec<Change>>;
}
