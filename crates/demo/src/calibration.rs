//! National figures the demo area is shaped to: EHC plans in England in
//! January 2025 by age, sex and primary need (see `data/SOURCE.md`).

use allot_domain::{PrimaryNeed, Sex};
use std::collections::BTreeMap;

/// The compiled DfE figures, embedded so the crate stays free of I/O.
const CALIBRATION_JSON: &str = include_str!("../data/calibration_england_2025.json");

/// The three tables used, as published (other fields in the file are ignored).
#[derive(Debug, serde::Deserialize)]
struct Tables {
    ehc_plans_by_age_jan2025: BTreeMap<String, u64>,
    ehc_plans_by_sex_jan2025: BTreeMap<String, u64>,
    primary_need_all_plans_jan2025: BTreeMap<String, u64>,
}

/// An age group as the DfE reports it: "under 3" is ages 0 to 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeGroup {
    pub youngest: u32,
    pub oldest: u32,
}

/// National counts of EHC plans, each category with its count.
#[derive(Debug, Clone)]
pub struct Calibration {
    pub ages: Vec<(AgeGroup, u64)>,
    pub sexes: Vec<(Sex, u64)>,
    /// `None` is "need unknown" (no primary need recorded).
    pub needs: Vec<(Option<PrimaryNeed>, u64)>,
}

impl Calibration {
    /// The embedded figures. The file is fixed at compile time and a test
    /// reads it, so a failure here is a bug in this crate, not bad input.
    pub fn embedded() -> Calibration {
        let tables: Tables =
            serde_json::from_str(CALIBRATION_JSON).expect("the embedded calibration file is valid JSON");
        let mut ages: Vec<(AgeGroup, u64)> = tables
            .ehc_plans_by_age_jan2025
            .into_iter()
            .map(|(key, count)| (age_group(&key).expect("the embedded age groups are 'under 3' or 'age N'"), count))
            .collect();
        // Keys sort as text ("age 10" before "age 3"); order them by age.
        ages.sort_by_key(|(group, _)| group.youngest);
        let sexes = tables
            .ehc_plans_by_sex_jan2025
            .into_iter()
            .map(|(key, count)| (Sex::parse(&key).expect("the embedded sexes are Female, Male or Unknown"), count))
            .collect();
        let needs = tables
            .primary_need_all_plans_jan2025
            .into_iter()
            .map(|(key, count)| {
                let need = match key.as_str() {
                    "NEED_UNKNOWN" => None,
                    code => Some(PrimaryNeed::parse(code).expect("the embedded needs are SEN2 codes")),
                };
                (need, count)
            })
            .collect();
        Calibration { ages, sexes, needs }
    }
}

/// "under 3" → 0–2; "age 10" → 10–10.
fn age_group(key: &str) -> Option<AgeGroup> {
    if key == "under 3" {
        return Some(AgeGroup { youngest: 0, oldest: 2 });
    }
    let age: u32 = key.strip_prefix("age ")?.parse().ok()?;
    Some(AgeGroup { youngest: age, oldest: age })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_figures_cover_ages_0_to_25_and_agree_on_the_national_total() {
        let c = Calibration::embedded();
        let mut next = 0;
        for (group, _) in &c.ages {
            assert_eq!(group.youngest, next, "age groups are contiguous");
            next = group.oldest + 1;
        }
        assert_eq!(next, 26);
        let total = |v: &[u64]| v.iter().sum::<u64>();
        let ages = total(&c.ages.iter().map(|(_, n)| *n).collect::<Vec<_>>());
        assert_eq!(ages, 638_745, "the DfE's national total of EHC plans in January 2025");
        assert_eq!(total(&c.sexes.iter().map(|(_, n)| *n).collect::<Vec<_>>()), ages);
        assert_eq!(total(&c.needs.iter().map(|(_, n)| *n).collect::<Vec<_>>()), ages);
        assert_eq!(c.sexes.len(), 3);
        assert_eq!(c.needs.len(), 13);
        assert!(c.needs.iter().any(|(need, _)| need.is_none()));
    }

    #[test]
    fn age_group_keys_are_read_as_published() {
        assert_eq!(age_group("under 3"), Some(AgeGroup { youngest: 0, oldest: 2 }));
        assert_eq!(age_group("age 25"), Some(AgeGroup { youngest: 25, oldest: 25 }));
        assert_eq!(age_group("age x"), None);
        assert_eq!(age_group("25"), None);
    }
}
