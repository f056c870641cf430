//! The resource allocation system (RAS): a published policy that turns a
//! child's answers to the allocation questionnaire into an indicative budget
//! per funding stream, exactly and explainably.
//!
//! - [`policy`]: the policy file (TOML), parsed and checked, with
//!   `FILE:LINE: what is wrong` for every problem.
//! - [`calc`]: the calculation for one child, and its plain-English
//!   explanation.
//! - [`simulate`]: what would change for every child under a new policy.
//! - [`calibrate`]: band amounts fitted to what current packages cost.
//!
//! Every amount is integer pence and every step is exact: multiplications
//! are done in 128-bit integers over scaled decimals, and the only rounding
//! is the published one (half-up to whole pounds).

pub mod calc;
pub mod calibrate;
pub mod policy;
pub mod record;
pub mod simulate;
#[cfg(test)]
mod tests;

pub use calc::{Allocation, ChildAnswers, CurrentAmounts, EvaluationError, StreamAllocation, evaluate, explain};
pub use policy::{AgeFactor, Agency, AnswerOption, Band, Factor, Percent, Policy, PolicyError, Question, Stream};
pub use record::{PublishedPolicy, StoredAllocation, StreamResult};
