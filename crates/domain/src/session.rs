//! Session rules: how long a signed-in session lasts, when to warn, when a
//! money-sensitive action needs the second factor again, and how repeated
//! failed sign-ins are slowed.

use jiff::{SignedDuration, Timestamp};

/// A session ends after this long without a request.
pub const IDLE_TIMEOUT: SignedDuration = SignedDuration::from_mins(30);
/// A session ends this long after sign-in, however busy (a working day).
pub const ABSOLUTE_TIMEOUT: SignedDuration = SignedDuration::from_hours(10);
/// The page warns this long before the idle timeout, with a button to stay
/// signed in.
pub const IDLE_WARNING: SignedDuration = SignedDuration::from_mins(2);
/// Money-sensitive actions need a second factor used within this long.
pub const STEP_UP_WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// Failed sign-ins for one user name within this window count.
pub const FAILURE_WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// This many failures are allowed before sign-in is slowed.
pub const FREE_FAILURES: u32 = 5;
/// The longest wait between attempts.
pub const MAX_DELAY: SignedDuration = SignedDuration::from_mins(15);

/// When a session started and was last used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimes {
    pub created: Timestamp,
    pub last_seen: Timestamp,
    /// When the second factor was last checked in this session.
    pub second_factor_at: Option<Timestamp>,
}

/// Whether a session can be used at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// In use; it ends at `expires_at` unless used again (the absolute
    /// limit comes first if it is sooner).
    Active { expires_at: Timestamp },
    /// Ended by the idle timeout.
    Idle,
    /// Ended by the absolute timeout.
    TooOld,
}

impl SessionTimes {
    pub fn state(&self, now: Timestamp) -> SessionState {
        let absolute = self.created + ABSOLUTE_TIMEOUT;
        let idle = self.last_seen + IDLE_TIMEOUT;
        if now >= absolute {
            SessionState::TooOld
        } else if now >= idle {
            SessionState::Idle
        } else {
            SessionState::Active { expires_at: idle.min(absolute) }
        }
    }

    /// Whether a money-sensitive action at `now` must first ask for the
    /// second factor again.
    pub fn needs_step_up(&self, now: Timestamp) -> bool {
        self.second_factor_at.is_none_or(|at| now.duration_since(at) > STEP_UP_WINDOW)
    }
}

/// How long someone must wait before the next sign-in attempt, after
/// `failures` recent failures, the last at `last_failure`: nothing for the
/// first few, then doubling from one second, up to [`MAX_DELAY`].
pub fn sign_in_wait(failures: u32, last_failure: Timestamp, now: Timestamp) -> Option<SignedDuration> {
    if failures < FREE_FAILURES {
        return None;
    }
    let delay = SignedDuration::from_secs(1i64 << (failures - FREE_FAILURES).min(20)).min(MAX_DELAY);
    let wait = (last_failure + delay).duration_since(now);
    wait.is_positive().then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(mins: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap() + SignedDuration::from_mins(mins)
    }

    #[test]
    fn a_session_ends_after_30_idle_minutes() {
        let t = SessionTimes { created: at(0), last_seen: at(10), second_factor_at: Some(at(0)) };
        assert_eq!(t.state(at(39)), SessionState::Active { expires_at: at(40) });
        assert_eq!(t.state(at(40)), SessionState::Idle);
    }

    #[test]
    fn a_session_ends_ten_hours_after_sign_in_however_busy() {
        let t = SessionTimes { created: at(0), last_seen: at(599), second_factor_at: None };
        assert_eq!(t.state(at(599)), SessionState::Active { expires_at: at(600) });
        assert_eq!(t.state(at(600)), SessionState::TooOld);
    }

    #[test]
    fn money_needs_a_second_factor_from_the_last_15_minutes() {
        let t = SessionTimes { created: at(0), last_seen: at(0), second_factor_at: Some(at(0)) };
        assert!(!t.needs_step_up(at(15)));
        assert!(t.needs_step_up(at(16)));
        assert!(SessionTimes { second_factor_at: None, ..t }.needs_step_up(at(0)));
    }

    #[test]
    fn repeated_failures_are_slowed_more_and_more() {
        let last = at(0);
        assert_eq!(sign_in_wait(4, last, last), None);
        assert_eq!(sign_in_wait(5, last, last), Some(SignedDuration::from_secs(1)));
        assert_eq!(sign_in_wait(8, last, last), Some(SignedDuration::from_secs(8)));
        assert_eq!(sign_in_wait(8, last, last + SignedDuration::from_secs(8)), None);
        assert_eq!(sign_in_wait(40, last, last), Some(MAX_DELAY));
    }
}
