//! The pathway: statutory clocks and reviews, and who may sign off a
//! support plan.

pub mod clocks;
pub mod delegation;
