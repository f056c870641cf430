//! The pathway: statutory clocks and reviews, the support plan's costs,
//! and who may sign a plan off.

pub mod casework;
pub mod clocks;
pub mod content;
pub mod delegation;
pub mod plan;
pub mod record;
pub mod reports;
pub mod signoff;
