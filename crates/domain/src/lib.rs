//! Allot's domain: the types and rules of personal budgets for children and
//! young people with SEND.
//!
//! Architecture invariant: this crate does no I/O, has no async, and knows
//! nothing of databases, HTTP or files. Everything here is a pure function of
//! its inputs, so it can be tested exhaustively. Values are parsed once at the
//! edge (`Pence::parse`, `Upn::parse`, `ChildForm::parse`…) and travel as
//! types from then on.

#![forbid(unsafe_code)]

pub mod access;
pub mod audit;
pub mod child;
pub mod codes;
pub mod consent;
pub mod dates;
pub mod family;
pub mod finance;
pub mod identifiers;
pub mod ids;
pub mod invalid;
pub mod involvement;
pub mod money;
pub mod organisation;
pub mod paging;
pub mod pathway;
pub mod professional;
pub mod ras;
pub mod records;
pub mod session;
pub mod text;
pub mod totp;
pub mod user;

pub use access::{Role, Section};
pub use child::{Child, ChildDetails, ChildForm, ChildView, EhcPlanStatus, PrimaryNeed, Sex};
pub use dates::{FinancialYear, age_on};
pub use identifiers::{NhsNumber, Postcode, Upn};
pub use ids::{AreaId, ChildId, ConsentId, FamilyMemberId, OrganisationId, ProfessionalId};
pub use invalid::{FieldError, Invalid};
pub use money::Pence;
pub use text::{Actor, AreaCode, ChildReference, Name, Stamp};
