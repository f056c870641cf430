//! Record identifiers. Each kind of record has its own id type so that a
//! child's id can never be passed where a family member's is expected.

use std::fmt;
use std::str::FromStr;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(uuid::Uuid);

        impl $name {
            /// A new random id.
            pub fn new() -> Self {
                Self(uuid::Uuid::new_v4())
            }
            /// An id built from 16 bytes (used for deterministic demo data).
            pub fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(uuid::Builder::from_random_bytes(bytes).into_uuid())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = &'static str;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::try_parse(s.trim()).map(Self).map_err(|_| "is not a valid id")
            }
        }
    };
}

id_type!(
    /// A local area (tenant): one council and its partners.
    AreaId
);
id_type!(
    /// A child or young person's record.
    ChildId
);
id_type!(
    /// An organisation: council, NHS body, school or provider.
    OrganisationId
);
id_type!(
    /// A family member or contact of a child.
    FamilyMemberId
);
id_type!(
    /// A consent record.
    ConsentId
);
id_type!(
    /// A professional who can be a child's lead professional.
    ProfessionalId
);
id_type!(
    /// A published allocation policy (one version of it).
    RasPolicyId
);
id_type!(
    /// A stored allocation: one completed questionnaire and its result.
    AllocationId
);
id_type!(
    /// Someone who signs in: staff, a provider, a parent or a young person.
    UserId
);
id_type!(
    /// An organisation's involvement with a child (a school placement, an
    /// ISF, a commissioned service, NHS funding).
    InvolvementId
);
id_type!(
    /// A personal assistant employed with a child's direct payment.
    PersonalAssistantId
);
id_type!(
    /// A safeguarding concern about a child.
    ConcernId
);
id_type!(
    /// A family's request for a decision to be reviewed (a challenge).
    ReviewRequestId
);
id_type!(
    /// A risk on a child's or the area's risk register.
    RiskId
);
id_type!(
    /// A manager's decision to lift a gate on a direct payment.
    GateExceptionId
);
id_type!(
    /// A transfer on the budget ledger. Supplied by whoever makes the
    /// transfer, so that sending it again is harmless (an idempotency id).
    TransferId
);
id_type!(
    /// A payment run: the payments due on one day, and their Bacs file.
    PaymentRunId
);
id_type!(
    /// An import of a file of spend (a statement or a provider's invoices).
    SpendImportId
);
id_type!(
    /// An audit of a child's direct payment.
    DpAuditId
);
id_type!(
    /// A receipt a family sent for something bought with the direct payment.
    ReceiptId
);

impl TransferId {
    /// The id of a transfer that follows from a fact (an instalment of a
    /// plan's schedule, a budget set up for a year): the same fact always
    /// gives the same id, so recording it twice is harmless.
    pub fn derived(fact: &str) -> TransferId {
        use sha2::Digest;
        let hash = sha2::Sha256::digest(fact.as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&hash[..16]);
        TransferId::from_bytes(bytes)
    }
}
