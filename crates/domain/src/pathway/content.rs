//! What a support plan says: the outcomes the child and family want, the
//! real wealth they already have, the costed support, the contingency, and
//! how the child keeps safe. A [`PlanForm`] is what a person sends; a
//! [`PlanContent`] is the checked plan a version stores.

use crate::access::Role;
use crate::code_list;
use crate::finance::budget::PaymentSchedule;
use crate::ids::OrganisationId;
use crate::invalid::Invalid;
use crate::money::Pence;
use crate::pathway::plan::{Contingency, SupportItem, SupportItemForm, Totals, totals};
use crate::text::{optional_text, required_text};
use std::collections::BTreeMap;

code_list!(
    /// The area of life an outcome belongs to: the Preparing for Adulthood
    /// areas and the Every Child Matters outcomes.
    OutcomeArea, "outcome area" {
        Employment = "employment", "Employment";
        IndependentLiving = "independent_living", "Independent living";
        FriendsAndCommunity = "friends_and_community", "Friends, relationships and community";
        GoodHealth = "good_health", "Good health";
        BeHealthy = "be_healthy", "Be healthy";
        StaySafe = "stay_safe", "Stay safe";
        EnjoyAndAchieve = "enjoy_and_achieve", "Enjoy and achieve";
        PositiveContribution = "positive_contribution", "Make a positive contribution";
        EconomicWellbeing = "economic_wellbeing", "Achieve economic well-being";
    }
);

/// The longest free text a plan field takes.
const MAX_TEXT: usize = 2_000;
/// The most entries of each kind a plan takes (a typo guard, not a policy).
const MAX_ENTRIES: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Outcome {
    pub area: OutcomeArea,
    pub wanted: String,
    pub how_we_will_know: String,
}

/// What family, friends, community and universal services already bring:
/// no cost, but part of the plan.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RealWealth {
    pub who: String,
    pub brings: String,
}

/// One line of "how I keep safe": a risk and what reduces it. Who agreed
/// is recorded as signatures on the version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeepingSafe {
    pub risk: String,
    pub reduced_by: String,
}

/// A support item with the key that keeps its identity across versions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlanItem {
    pub key: String,
    #[serde(flatten)]
    pub item: SupportItem,
}

/// A checked plan, as one version stores it.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct PlanContent {
    pub outcomes: Vec<Outcome>,
    pub real_wealth: Vec<RealWealth>,
    pub items: Vec<PlanItem>,
    pub contingency: Option<Contingency>,
    pub keeping_safe: Vec<KeepingSafe>,
    /// Stream → why the plan is over its indicative amount.
    pub over_reasons: BTreeMap<String, String>,
    /// How often the direct payment (and any ISF) is paid.
    #[serde(default)]
    pub payment_schedule: PaymentSchedule,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeForm {
    pub area: Option<String>,
    pub wanted: Option<String>,
    pub how_we_will_know: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RealWealthForm {
    pub who: Option<String>,
    pub brings: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeepingSafeForm {
    pub risk: Option<String>,
    pub reduced_by: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContingencyForm {
    pub amount: Option<String>,
    pub stream: Option<String>,
    pub purpose: Option<String>,
}

/// A plan as a person sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanForm {
    #[serde(default)]
    pub outcomes: Vec<OutcomeForm>,
    #[serde(default)]
    pub real_wealth: Vec<RealWealthForm>,
    #[serde(default)]
    pub items: Vec<SupportItemForm>,
    pub contingency: Option<ContingencyForm>,
    #[serde(default)]
    pub keeping_safe: Vec<KeepingSafeForm>,
    #[serde(default)]
    pub over_reasons: BTreeMap<String, String>,
    /// `four_weekly` (the default) or `monthly`.
    pub payment_schedule: Option<String>,
}

fn required(inv: &mut Invalid, field: &str, value: &Option<String>, missing: &str) -> String {
    required_text(inv, field, value.as_deref(), MAX_TEXT, missing)
}

fn too_many(inv: &mut Invalid, field: &str, count: usize) {
    if count > MAX_ENTRIES {
        inv.push(field, format!("a plan can have at most {MAX_ENTRIES} of these"));
    }
}

impl PlanForm {
    /// Checks the plan, reporting every bad field with its place (for
    /// example `items[2].unit_cost`). `earlier_keys` are the item keys of
    /// the plan's earlier versions (a kept item must name one of them);
    /// `streams` are the funding streams of the allocation policy in force.
    pub fn parse(&self, earlier_keys: &[String], streams: &[String]) -> Result<PlanContent, Invalid> {
        let mut inv = Invalid::default();
        too_many(&mut inv, "outcomes", self.outcomes.len());
        too_many(&mut inv, "real_wealth", self.real_wealth.len());
        too_many(&mut inv, "items", self.items.len());
        too_many(&mut inv, "keeping_safe", self.keeping_safe.len());
        let mut outcomes = Vec::new();
        for (i, o) in self.outcomes.iter().enumerate() {
            let at = |f: &str| format!("outcomes[{i}].{f}");
            let area = inv.check(&at("area"), OutcomeArea::parse(o.area.as_deref().unwrap_or("")));
            let wanted = required(&mut inv, &at("wanted"), &o.wanted, "say what the child and family want");
            let how = required(&mut inv, &at("how_we_will_know"), &o.how_we_will_know, "say how you will know");
            if let Some(area) = area {
                outcomes.push(Outcome { area, wanted, how_we_will_know: how });
            }
        }
        let real_wealth = self
            .real_wealth
            .iter()
            .enumerate()
            .map(|(i, r)| RealWealth {
                who: required(&mut inv, &format!("real_wealth[{i}].who"), &r.who, "say who"),
                brings: required(&mut inv, &format!("real_wealth[{i}].brings"), &r.brings, "say what they bring"),
            })
            .collect();
        let keeping_safe = self
            .keeping_safe
            .iter()
            .enumerate()
            .map(|(i, k)| KeepingSafe {
                risk: required(&mut inv, &format!("keeping_safe[{i}].risk"), &k.risk, "describe the risk"),
                reduced_by: required(
                    &mut inv,
                    &format!("keeping_safe[{i}].reduced_by"),
                    &k.reduced_by,
                    "say what reduces it",
                ),
            })
            .collect();
        let known_stream = |inv: &mut Invalid, field: &str, stream: &str| {
            if !streams.iter().any(|s| s == stream) {
                inv.push(field, format!("{stream} is not a funding stream of the allocation policy in force"));
            }
        };
        let mut next_key = earlier_keys
            .iter()
            .chain(self.items.iter().filter_map(|i| i.key.as_ref()))
            .filter_map(|k| k.strip_prefix("item-")?.parse::<u32>().ok())
            .max()
            .unwrap_or(0);
        let mut items = Vec::new();
        for (i, form) in self.items.iter().enumerate() {
            let key = match form.key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
                Some(k) if !earlier_keys.iter().any(|e| e == k) => {
                    inv.push(&format!("items[{i}].key"), format!("{k} is not an item of an earlier version"));
                    None
                }
                Some(k) if items.iter().any(|p: &PlanItem| p.key == k) => {
                    inv.push(&format!("items[{i}].key"), format!("{k} appears twice"));
                    None
                }
                Some(k) => Some(k.to_owned()),
                None => {
                    next_key += 1;
                    Some(format!("item-{next_key}"))
                }
            };
            match form.parse() {
                Ok(item) => {
                    known_stream(&mut inv, &format!("items[{i}].stream"), &item.stream);
                    if let Some(key) = key {
                        items.push(PlanItem { key, item });
                    }
                }
                Err(e) => {
                    for f in e.0 {
                        inv.push(&format!("items[{i}].{}", f.field), f.message);
                    }
                }
            }
        }
        let contingency = self.contingency.as_ref().and_then(|c| {
            let amount = inv.check("contingency.amount", Pence::parse(c.amount.as_deref().unwrap_or("")));
            let stream = required(&mut inv, "contingency.stream", &c.stream, "choose the funding stream");
            if !stream.is_empty() {
                known_stream(&mut inv, "contingency.stream", &stream);
            }
            let purpose = required(&mut inv, "contingency.purpose", &c.purpose, "say what the contingency is for");
            Some(Contingency { amount: amount?, stream, purpose })
        });
        let mut over_reasons = BTreeMap::new();
        for (stream, reason) in &self.over_reasons {
            match optional_text(Some(reason), MAX_TEXT) {
                Ok(Some(r)) => {
                    over_reasons.insert(stream.clone(), r);
                }
                Ok(None) => {}
                Err(e) => inv.push(&format!("over_reasons.{stream}"), e),
            }
        }
        let payment_schedule = match self.payment_schedule.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => PaymentSchedule::default(),
            Some(s) => inv.check("payment_schedule", PaymentSchedule::parse(s)).unwrap_or_default(),
        };
        inv.finish(|| PlanContent {
            outcomes,
            real_wealth,
            items,
            contingency,
            keeping_safe,
            over_reasons,
            payment_schedule,
        })
    }
}

impl PlanContent {
    pub fn totals(&self) -> Totals {
        let items: Vec<SupportItem> = self.items.iter().map(|i| i.item.clone()).collect();
        totals(&items, self.contingency.as_ref())
    }

    pub fn keys(&self) -> Vec<String> {
        self.items.iter().map(|i| i.key.clone()).collect()
    }

    /// What a viewer in `role` (of `organisation`) sees of the plan. A
    /// school or provider sees the outcomes and the items it delivers or
    /// holds money for, nothing else; finance sees the money, not the
    /// outcomes or how the child keeps safe.
    pub fn for_viewer(&self, role: Role, organisation: Option<OrganisationId>) -> PlanContent {
        match role {
            Role::SchoolSenco | Role::ProviderStaff => PlanContent {
                outcomes: self.outcomes.clone(),
                items: self
                    .items
                    .iter()
                    .filter(|i| {
                        organisation.is_some() && (i.item.provider == organisation || i.item.isf_holder == organisation)
                    })
                    .cloned()
                    .collect(),
                ..PlanContent::default()
            },
            Role::FinanceOfficer => PlanContent {
                items: self.items.clone(),
                contingency: self.contingency.clone(),
                over_reasons: self.over_reasons.clone(),
                payment_schedule: self.payment_schedule,
                ..PlanContent::default()
            },
            _ => self.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(what: &str, stream: &str) -> SupportItemForm {
        SupportItemForm {
            what: Some(what.into()),
            provided_by: Some("Bright Days Care".into()),
            unit_cost: Some("25.00".into()),
            units: Some("4".into()),
            frequency: Some("monthly".into()),
            stream: Some(stream.into()),
            route: Some("direct_payment".into()),
            ..Default::default()
        }
    }

    fn streams() -> Vec<String> {
        vec!["social_care".into(), "health".into()]
    }

    #[test]
    fn new_items_get_keys_after_the_highest_earlier_key_and_kept_items_keep_theirs() {
        let form = PlanForm {
            items: vec![
                item("Swimming", "social_care"),
                SupportItemForm { key: Some("item-7".into()), ..item("PA", "health") },
            ],
            ..Default::default()
        };
        let plan = form.parse(&["item-2".into(), "item-7".into()], &streams()).unwrap();
        assert_eq!(plan.keys(), ["item-8", "item-7"]);
        assert_eq!(plan.totals().total, Pence::new(2 * 25 * 4 * 12 * 100));
    }

    #[test]
    fn every_bad_field_is_named_with_its_place() {
        let form = PlanForm {
            outcomes: vec![OutcomeForm {
                area: Some("happiness".into()),
                wanted: Some(" ".into()),
                how_we_will_know: Some("x".into()),
            }],
            items: vec![
                SupportItemForm { key: Some("item-9".into()), ..item("Swimming", "transport") },
                SupportItemForm { unit_cost: Some("12.345".into()), ..item("PA", "health") },
            ],
            contingency: Some(ContingencyForm {
                amount: Some("1.001".into()),
                stream: Some("health".into()),
                purpose: None,
            }),
            ..Default::default()
        };
        let e = form.parse(&[], &streams()).unwrap_err();
        assert_eq!(
            e.fields(),
            [
                "outcomes[0].area",
                "outcomes[0].wanted",
                "items[0].key",
                "items[0].stream",
                "items[1].unit_cost",
                "contingency.amount",
                "contingency.purpose"
            ]
        );
    }

    #[test]
    fn a_provider_sees_only_the_items_it_delivers_and_finance_no_outcomes() {
        let ours = OrganisationId::new();
        let mut theirs = item("Short breaks", "social_care");
        theirs.provider = Some(ours.to_string());
        let form = PlanForm {
            outcomes: vec![OutcomeForm {
                area: Some("friends_and_community".into()),
                wanted: Some("Go to youth club".into()),
                how_we_will_know: Some("Goes weekly".into()),
            }],
            items: vec![theirs, item("Swimming", "social_care")],
            keeping_safe: vec![KeepingSafeForm {
                risk: Some("Runs off".into()),
                reduced_by: Some("Two adults".into()),
            }],
            ..Default::default()
        };
        let plan = form.parse(&[], &streams()).unwrap();
        let seen = plan.for_viewer(Role::ProviderStaff, Some(ours));
        assert_eq!(seen.items.len(), 1);
        assert!(seen.keeping_safe.is_empty() && seen.outcomes.len() == 1);
        assert!(plan.for_viewer(Role::ProviderStaff, None).items.is_empty());
        let finance = plan.for_viewer(Role::FinanceOfficer, None);
        assert!(finance.outcomes.is_empty() && finance.keeping_safe.is_empty() && finance.items.len() == 2);
        assert_eq!(plan.for_viewer(Role::ParentCarer, None), plan);
    }

    #[test]
    fn stored_content_reads_back_exactly() {
        let plan = PlanForm { items: vec![item("Swimming", "social_care")], ..Default::default() }
            .parse(&[], &streams())
            .unwrap();
        let json = serde_json::to_string(&plan).unwrap();
        assert_eq!(serde_json::from_str::<PlanContent>(&json).unwrap(), plan);
    }
}
