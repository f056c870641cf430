//! An area's finance settings: a TOML file, published in versions like the
//! allocation and delegation policies.
//!
//! ```toml
//! # The council's bank account payments are made from.
//! [originator]
//! service_user_number = "123456"
//! sort_code = "30-94-30"
//! account_number = "00733445"
//! name = "Allot Demo Council"
//!
//! # When to look at a direct payment more closely.
//! [monitoring]
//! balance_above_weeks = 8     # a balance above this many weeks of payments
//! no_spend_weeks = 8          # no spend for this many weeks
//!
//! # Direct-payment audits and recovering unspent money.
//! [audit]
//! first_within_months = 3     # after the first payment
//! every_months = 12
//! notice_days = 28            # the least time a family has to answer a notice
//! ```

use crate::finance::bacs::{Originator, ServiceUserNumber};
use crate::finance::bank::{AccountName, AccountNumber, SortCode};
use crate::ras::policy::{PolicyError, Problems};
use serde::Deserialize;
use toml::Spanned;

/// Thresholds for direct-payment alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Monitoring {
    pub balance_above_weeks: u32,
    pub no_spend_weeks: u32,
}

/// When direct payments are audited, and the notice a family gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct AuditRules {
    pub first_within_months: u32,
    pub every_months: u32,
    pub notice_days: u32,
}

/// Checked finance settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinanceSettings {
    pub originator: Originator,
    pub monitoring: Monitoring,
    pub audit: AuditRules,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    originator: Spanned<RawOriginator>,
    monitoring: Spanned<RawMonitoring>,
    audit: Spanned<RawAudit>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOriginator {
    service_user_number: String,
    sort_code: String,
    account_number: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMonitoring {
    balance_above_weeks: u32,
    no_spend_weeks: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudit {
    first_within_months: u32,
    every_months: u32,
    notice_days: u32,
}

impl FinanceSettings {
    /// Parses and checks the settings, reporting every problem with its line.
    pub fn parse(text: &str) -> Result<FinanceSettings, Vec<PolicyError>> {
        let raw: RawFile = toml::from_str(text).map_err(|e| Problems::unreadable(text, e))?;
        let mut p = Problems::new(text);
        let at = raw.originator.span().start;
        let o = raw.originator.into_inner();
        fn check<T, E: std::fmt::Display>(p: &mut Problems<'_>, at: usize, field: &str, r: Result<T, E>) -> Option<T> {
            r.map_err(|e| p.at(at, format!("{field}: {e}"))).ok()
        }
        let sun = check(&mut p, at, "service_user_number", ServiceUserNumber::parse(&o.service_user_number));
        let sort_code = check(&mut p, at, "sort_code", SortCode::parse(&o.sort_code));
        let account_number = check(&mut p, at, "account_number", AccountNumber::parse(&o.account_number));
        let name = check(&mut p, at, "name", AccountName::parse(&o.name));
        let (m_at, m) = (raw.monitoring.span().start, raw.monitoring.into_inner());
        for (field, weeks) in [("balance_above_weeks", m.balance_above_weeks), ("no_spend_weeks", m.no_spend_weeks)] {
            if !(1..=52).contains(&weeks) {
                p.at(m_at, format!("{field} must be 1 to 52 weeks"));
            }
        }
        let (a_at, a) = (raw.audit.span().start, raw.audit.into_inner());
        for (field, months) in [("first_within_months", a.first_within_months), ("every_months", a.every_months)] {
            if !(1..=36).contains(&months) {
                p.at(a_at, format!("{field} must be 1 to 36 months"));
            }
        }
        if !(14..=90).contains(&a.notice_days) {
            p.at(a_at, "notice_days must be 14 to 90 days: a family needs time to answer a notice");
        }
        match (sun, sort_code, account_number, name) {
            (Some(service_user_number), Some(sort_code), Some(account_number), Some(name)) if p.list.is_empty() => {
                Ok(FinanceSettings {
                    originator: Originator { service_user_number, sort_code, account_number, name },
                    monitoring: Monitoring {
                        balance_above_weeks: m.balance_above_weeks,
                        no_spend_weeks: m.no_spend_weeks,
                    },
                    audit: AuditRules {
                        first_within_months: a.first_within_months,
                        every_months: a.every_months,
                        notice_days: a.notice_days,
                    },
                })
            }
            _ => Err(p.list),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const EXAMPLE: &str = r#"
[originator]
service_user_number = "123456"
sort_code = "30-94-30"
account_number = "00733445"
name = "Allot Demo Council"

[monitoring]
balance_above_weeks = 8
no_spend_weeks = 8

[audit]
first_within_months = 3
every_months = 12
notice_days = 28
"#;

    #[test]
    fn the_example_settings_parse() {
        let s = FinanceSettings::parse(EXAMPLE).unwrap();
        assert_eq!(s.originator.sort_code.digits(), "309430");
        assert_eq!(s.originator.name.bacs(), "ALLOT DEMO COUNCIL");
        assert_eq!(s.monitoring, Monitoring { balance_above_weeks: 8, no_spend_weeks: 8 });
        assert_eq!(s.audit.notice_days, 28);
    }

    #[test]
    fn every_bad_setting_is_reported_with_its_line() {
        let bad = EXAMPLE
            .replace("\"30-94-30\"", "\"30-94\"")
            .replace("\"00733445\"", "\"7334\"")
            .replace("no_spend_weeks = 8", "no_spend_weeks = 0")
            .replace("notice_days = 28", "notice_days = 3");
        let problems = FinanceSettings::parse(&bad).unwrap_err();
        let lines: Vec<(usize, &str)> = problems.iter().map(|e| (e.line, e.message.as_str())).collect();
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert_eq!(lines[0].0, 2);
        assert!(lines[0].1.starts_with("sort_code:"), "{lines:?}");
        assert!(lines[1].1.starts_with("account_number:"), "{lines:?}");
        assert_eq!(lines[2], (8, "no_spend_weeks must be 1 to 52 weeks"));
        assert_eq!(lines[3].0, 12);
        let unknown = FinanceSettings::parse(&format!("{EXAMPLE}\n[extra]\nx = 1\n")).unwrap_err();
        assert_eq!(unknown.len(), 1);
    }
}
