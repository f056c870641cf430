//! Plans to test money with.

use crate::ids::OrganisationId;
use crate::money::Pence;
use crate::pathway::content::{PlanContent, PlanItem};
use crate::pathway::plan::{Contingency, Frequency, ManagementRoute, SupportItem};

/// An item bought once a week at `weekly_pounds`.
pub(crate) fn item(
    key: &str,
    stream: &str,
    route: ManagementRoute,
    weekly_pounds: i64,
    isf: Option<OrganisationId>,
) -> PlanItem {
    PlanItem {
        key: key.into(),
        item: SupportItem {
            what: "Support".into(),
            provided_by: "Someone".into(),
            unit_cost: Pence::from_pounds(weekly_pounds),
            units_hundredths: 100,
            frequency: Frequency::Weekly,
            stream: stream.into(),
            route,
            isf_holder: isf,
            provider: None,
            personal_assistant: None,
        },
    }
}

/// A plan of `items`, with a contingency (stream, pence) if given.
pub(crate) fn plan(items: Vec<PlanItem>, contingency: Option<(&str, i64)>) -> PlanContent {
    PlanContent {
        items,
        contingency: contingency.map(|(stream, pence)| Contingency {
            amount: Pence::new(pence),
            stream: stream.into(),
            purpose: "Cover when the PA is ill".into(),
        }),
        ..PlanContent::default()
    }
}
