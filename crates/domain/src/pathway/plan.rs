//! The support plan's costed side: support items with exact annual costs,
//! totals per funding stream and per management route, and the checks a
//! plan must pass before it can be submitted for sign-off.

use crate::code_list;
use crate::ids::{OrganisationId, PersonalAssistantId};
use crate::invalid::Invalid;
use crate::money::Pence;
use std::collections::BTreeMap;

code_list!(
    /// How the money for an item is held.
    ManagementRoute, "management route" {
        DirectPayment = "direct_payment", "Direct payment";
        /// Held by a named provider or school on the family's behalf.
        Isf = "isf", "Individual service fund";
        CouncilManaged = "council_managed", "Council-managed";
        NhsManaged = "nhs_managed", "NHS-managed";
    }
);

code_list!(
    /// How often an item is bought.
    Frequency, "frequency" {
        Weekly = "weekly", "Every week";
        Fortnightly = "fortnightly", "Every two weeks";
        FourWeekly = "four_weekly", "Every four weeks";
        Monthly = "monthly", "Every month";
        Termly = "termly", "Every school term";
        Yearly = "yearly", "Once a year";
    }
);

impl Frequency {
    /// How many times a year.
    pub fn per_year(self) -> i64 {
        match self {
            Frequency::Weekly => 52,
            Frequency::Fortnightly => 26,
            Frequency::FourWeekly => 13,
            Frequency::Monthly => 12,
            // Three terms a year in England.
            Frequency::Termly => 3,
            Frequency::Yearly => 1,
        }
    }
}

/// A support item as supplied.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportItemForm {
    /// Present for an item carried over from an earlier version of a plan.
    pub key: Option<String>,
    pub what: Option<String>,
    pub provided_by: Option<String>,
    pub unit_cost: Option<String>,
    /// Units each time, up to two decimal places (2.5 hours).
    pub units: Option<String>,
    pub frequency: Option<String>,
    pub stream: Option<String>,
    pub route: Option<String>,
    /// For an ISF: the provider or school that holds it.
    pub isf_holder: Option<String>,
    /// The organisation that delivers it, if it is one in the directory.
    pub provider: Option<String>,
    /// The personal assistant it pays, if it pays one.
    pub personal_assistant: Option<String>,
}

/// A support item, checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SupportItem {
    pub what: String,
    pub provided_by: String,
    pub unit_cost: Pence,
    /// Units each time, in hundredths (250 is 2.5).
    pub units_hundredths: i64,
    pub frequency: Frequency,
    /// The funding stream (an id from the allocation policy).
    pub stream: String,
    pub route: ManagementRoute,
    pub isf_holder: Option<OrganisationId>,
    pub provider: Option<OrganisationId>,
    pub personal_assistant: Option<PersonalAssistantId>,
}

/// Parses a number of units: up to two decimal places, more than 0, at
/// most 10,000.
pub fn parse_units(input: &str) -> Result<i64, &'static str> {
    let s = input.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (s.contains('.') && !digits(frac)) || frac.len() > 2 || whole.len() > 5 {
        return Err("enter the units as a number with at most two decimal places, like 2.5");
    }
    let hundredths = whole.parse::<i64>().map_err(|_| "too many units")? * 100
        + format!("{frac:0<2}").parse::<i64>().map_err(|_| "not a number")?;
    if hundredths == 0 || hundredths > 1_000_000 {
        return Err("units must be more than 0 and at most 10,000");
    }
    Ok(hundredths)
}

impl SupportItemForm {
    pub fn parse(&self) -> Result<SupportItem, Invalid> {
        let mut inv = Invalid::default();
        let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let what = text(&self.what);
        if what.is_none() {
            inv.push("what", "say what the support is");
        }
        let provided_by = text(&self.provided_by);
        if provided_by.is_none() {
            inv.push("provided_by", "say who provides it (a provider, a personal assistant, the school…)");
        }
        let unit_cost = inv.check("unit_cost", Pence::parse(self.unit_cost.as_deref().unwrap_or(""))).and_then(|c| {
            inv.check("unit_cost", if c.pence() > 0 { Ok(c) } else { Err("a unit cost must be more than £0.00") })
        });
        let units = inv.check("units", parse_units(self.units.as_deref().unwrap_or("")));
        let frequency = inv.check("frequency", Frequency::parse(self.frequency.as_deref().unwrap_or("")));
        let stream = text(&self.stream);
        if stream.is_none() {
            inv.push("stream", "choose the funding stream");
        }
        let route = inv.check("route", ManagementRoute::parse(self.route.as_deref().unwrap_or("")));
        let isf_holder = text(&self.isf_holder).and_then(|h| inv.check("isf_holder", h.parse::<OrganisationId>()));
        let provider = text(&self.provider).and_then(|h| inv.check("provider", h.parse::<OrganisationId>()));
        let personal_assistant = text(&self.personal_assistant)
            .and_then(|h| inv.check("personal_assistant", h.parse::<PersonalAssistantId>()));
        match (route, isf_holder) {
            (Some(ManagementRoute::Isf), None) if text(&self.isf_holder).is_none() => {
                inv.push("isf_holder", "an individual service fund is held by a named provider or school: choose it")
            }
            (Some(r), Some(_)) if r != ManagementRoute::Isf => {
                inv.push("isf_holder", "only an individual service fund has a holder")
            }
            _ => {}
        }
        inv.finish(|| SupportItem {
            what: what.expect("checked"),
            provided_by: provided_by.expect("checked"),
            unit_cost: unit_cost.expect("checked"),
            units_hundredths: units.expect("checked"),
            frequency: frequency.expect("checked"),
            stream: stream.expect("checked"),
            route: route.expect("checked"),
            isf_holder,
            provider,
            personal_assistant,
        })
    }
}

impl SupportItem {
    /// Unit cost × units × times a year, in pence. Fractional units can
    /// make part of a penny: that is rounded half up, the one rounding.
    pub fn annual_cost(&self) -> Pence {
        let exact_hundredths = i128::from(self.unit_cost.pence())
            * i128::from(self.units_hundredths)
            * i128::from(self.frequency.per_year());
        let pence = (exact_hundredths + 50).div_euclid(100);
        Pence::new(i64::try_from(pence).expect("bounded by the input limits"))
    }
}

/// What a plan costs, per stream and per route.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Totals {
    pub by_stream: BTreeMap<String, Pence>,
    pub by_route: BTreeMap<ManagementRoute, Pence>,
    /// The items' total, without the contingency.
    pub items: Pence,
    pub contingency: Pence,
    pub total: Pence,
}

/// The contingency line: money set aside for the unplanned, and what for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Contingency {
    pub amount: Pence,
    pub stream: String,
    pub purpose: String,
}

/// Totals a plan's items and contingency (which counts to its stream).
pub fn totals(items: &[SupportItem], contingency: Option<&Contingency>) -> Totals {
    let mut t = Totals::default();
    let add = |map: &mut BTreeMap<String, Pence>, key: &str, amount: Pence| {
        let entry = map.entry(key.to_owned()).or_insert(Pence::new(0));
        *entry = entry.checked_add(amount).expect("bounded");
    };
    for item in items {
        let cost = item.annual_cost();
        add(&mut t.by_stream, &item.stream, cost);
        let route = t.by_route.entry(item.route).or_insert(Pence::new(0));
        *route = route.checked_add(cost).expect("bounded");
        t.items = t.items.checked_add(cost).expect("bounded");
    }
    if let Some(c) = contingency {
        add(&mut t.by_stream, &c.stream, c.amount);
        t.contingency = c.amount;
    }
    t.total = t.items.checked_add(t.contingency).expect("bounded");
    t
}

/// The streams where the plan costs more than the indicative budget, with
/// by how much.
pub fn over_indicative(totals: &Totals, indicative: &BTreeMap<String, Pence>) -> BTreeMap<String, Pence> {
    totals
        .by_stream
        .iter()
        .filter_map(|(stream, amount)| {
            let allowed = indicative.get(stream).copied().unwrap_or(Pence::new(0));
            let over = amount.checked_sub(allowed).expect("bounded");
            (over.pence() > 0).then(|| (stream.clone(), over))
        })
        .collect()
}

/// What a plan must have before it is submitted for sign-off: at least one
/// outcome, at least one item or a recorded decision that the family wants
/// no personal budget, and a written reason for every stream over its
/// indicative amount.
pub fn check_submission(
    outcome_count: usize,
    items: &[SupportItem],
    contingency: Option<&Contingency>,
    indicative: &BTreeMap<String, Pence>,
    over_reasons: &BTreeMap<String, String>,
) -> Result<Totals, Invalid> {
    let mut inv = Invalid::default();
    if outcome_count == 0 {
        inv.push("outcomes", "a plan needs at least one outcome the child and family want");
    }
    if items.is_empty() {
        inv.push("items", "a plan needs at least one support item");
    }
    let t = totals(items, contingency);
    for (stream, over) in over_indicative(&t, indicative) {
        if over_reasons.get(&stream).is_none_or(|r| r.trim().is_empty()) {
            inv.push(
                &format!("over_reasons.{stream}"),
                format!("the plan is {over} over the indicative amount for {stream}: say why"),
            );
        }
    }
    inv.finish(|| t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item(cost: &str, units: &str, frequency: &str, stream: &str, route: &str) -> SupportItem {
        SupportItemForm {
            what: Some("Personal assistant".into()),
            provided_by: Some("PA employed by the family".into()),
            unit_cost: Some(cost.into()),
            units: Some(units.into()),
            frequency: Some(frequency.into()),
            stream: Some(stream.into()),
            route: Some(route.into()),
            isf_holder: (route == "isf").then(|| OrganisationId::new().to_string()),
            ..Default::default()
        }
        .parse()
        .unwrap()
    }

    #[test]
    fn an_items_annual_cost_is_exact_to_the_penny() {
        assert_eq!(item("15.50", "3", "weekly", "social_care", "direct_payment").annual_cost(), Pence::new(241_800));
        // £12.33 × 2.5 hours × 52 weeks = £1,602.90 exactly.
        assert_eq!(item("12.33", "2.5", "weekly", "social_care", "direct_payment").annual_cost(), Pence::new(160_290));
        // £0.33 × 0.5 × 13 = 214.5p: half a penny rounds up.
        assert_eq!(item("0.33", "0.5", "four_weekly", "health", "nhs_managed").annual_cost(), Pence::new(215));
        // £0.33 × 0.25 × 3 = 24.75p → 25p; × 0.01 × 1 = 0.33p → 0p.
        assert_eq!(item("0.33", "0.25", "termly", "education", "isf").annual_cost(), Pence::new(25));
        assert_eq!(item("0.33", "0.01", "yearly", "education", "isf").annual_cost(), Pence::new(0));
    }

    #[test]
    fn bad_items_name_every_field() {
        let e = SupportItemForm {
            unit_cost: Some("12.345".into()),
            units: Some("2.555".into()),
            route: Some("isf".into()),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        assert_eq!(e.fields(), ["what", "provided_by", "unit_cost", "units", "frequency", "stream", "isf_holder"]);
        assert!(parse_units("0").is_err() && parse_units("-1").is_err() && parse_units("1e3").is_err());
        assert_eq!(parse_units("2.5"), Ok(250));
        assert_eq!(parse_units("10000"), Ok(1_000_000));
        assert!(parse_units("10000.01").is_err());
    }

    #[test]
    fn totals_per_stream_and_route_add_up_and_include_the_contingency() {
        let items = [
            item("15.50", "3", "weekly", "social_care", "direct_payment"),
            item("40.00", "1", "monthly", "social_care", "isf"),
            item("100.00", "1", "termly", "education", "council_managed"),
        ];
        let c = Contingency {
            amount: Pence::new(20_000),
            stream: "social_care".into(),
            purpose: "Respite if mum is unwell".into(),
        };
        let t = totals(&items, Some(&c));
        assert_eq!(t.by_stream["social_care"], Pence::new(241_800 + 48_000 + 20_000));
        assert_eq!(t.by_stream["education"], Pence::new(30_000));
        assert_eq!(t.by_route[&ManagementRoute::DirectPayment], Pence::new(241_800));
        assert_eq!(t.by_route[&ManagementRoute::Isf], Pence::new(48_000));
        assert_eq!(t.items, Pence::new(319_800));
        assert_eq!(t.total, Pence::new(339_800));
    }

    #[test]
    fn a_plan_over_its_indicative_amount_needs_a_reason_and_one_with_no_outcomes_is_refused() {
        let items = [item("15.50", "3", "weekly", "social_care", "direct_payment")];
        let indicative = BTreeMap::from([("social_care".to_owned(), Pence::new(241_799))]);
        let e = check_submission(0, &items, None, &indicative, &BTreeMap::new()).unwrap_err();
        assert_eq!(e.fields(), ["outcomes", "over_reasons.social_care"]);
        assert!(e.0[1].message.contains("£0.01 over"), "{e}");
        let reasons =
            BTreeMap::from([("social_care".to_owned(), "Two carers needed for moving and handling".to_owned())]);
        assert!(check_submission(1, &items, None, &indicative, &reasons).is_ok());
        let exact = BTreeMap::from([("social_care".to_owned(), Pence::new(241_800))]);
        assert!(
            check_submission(1, &items, None, &exact, &BTreeMap::new()).is_ok(),
            "exactly the indicative amount is fine"
        );
    }

    proptest! {
        /// The stream totals and the route totals each add up to the items'
        /// total, whatever the items.
        #[test]
        fn totals_always_agree(specs in proptest::collection::vec((1i64..100_000, 1i64..1000, 0usize..6, 0usize..3, 0usize..4), 0..20)) {
            let streams = ["education", "social_care", "health"];
            let items: Vec<SupportItem> = specs
                .iter()
                .map(|(cost, units, f, s, r)| SupportItem {
                    what: "x".into(),
                    provided_by: "y".into(),
                    unit_cost: Pence::new(*cost),
                    units_hundredths: *units,
                    frequency: Frequency::ALL[*f],
                    stream: streams[*s].into(),
                    route: ManagementRoute::ALL[*r],
                    isf_holder: None,
                    provider: None,
                    personal_assistant: None,
                })
                .collect();
            let t = totals(&items, None);
            let by_stream = Pence::checked_sum(t.by_stream.values().copied()).unwrap();
            let by_route = Pence::checked_sum(t.by_route.values().copied()).unwrap();
            prop_assert_eq!(by_stream, t.items);
            prop_assert_eq!(by_route, t.items);
            prop_assert_eq!(t.total, t.items);
        }
    }
}
