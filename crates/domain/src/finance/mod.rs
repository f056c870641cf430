//! The money side of a personal budget: the ledger of budgets and
//! payments, payment schedules and Bacs files, bank details, spend from
//! statements and invoices, and the monitoring and audit of direct
//! payments. Pure, like the rest of the domain: the store keeps what these
//! rules decide.

pub mod bacs;
pub mod bank;
pub mod budget;
pub mod dp_audit;
pub mod ledger;
pub mod monitoring;
pub mod receipt;
pub mod reports;
pub mod run;
pub mod settings;
pub mod spend;
pub mod statement;

#[cfg(test)]
mod fixtures;
