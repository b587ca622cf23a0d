//! The server's clock: the `now` every pushed change is admitted against.
//!
//! The server makes no changes of its own, so it only reads its clock; it never moves it forward to
//! readings it receives. (A hybrid logical clock that observed pushed readings would be pulled
//! ahead by every capped change, and the cap would ratchet forward with it.)

use std::time::Duration;

use buqi_schema::change::Hlc;
use uhlc::{HLCBuilder, HLC};

/// How far ahead of the server's clock a change's reading may be before it is capped, by default:
/// an hour. A tablet whose clock is set ahead then wins edits for at most an hour.
pub const DEFAULT_MAX_AHEAD_SECS: u64 = 3600;

/// The server's clock (`uhlc`, readings as 64-bit NTP time since 1970, like the tablets').
pub struct ServerClock {
    hlc: HLC,
}

impl ServerClock {
    pub fn new() -> ServerClock {
        // uhlc refuses to observe readings more than 500 ms ahead by default. The server never
        // observes readings (see the module's comment), but a day's bound is what the tablets use
        // and the one to keep if it ever does.
        let hlc = HLCBuilder::new()
            .with_max_delta(Duration::from_secs(24 * 60 * 60))
            .build();
        ServerClock { hlc }
    }

    /// A reading of now; each later than the one before.
    pub fn now(&self) -> Hlc {
        Hlc(self.hlc.new_timestamp().get_time().as_u64())
    }
}

impl Default for ServerClock {
    fn default() -> ServerClock {
        ServerClock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_increase_and_follow_the_wall_clock() {
        let clock = ServerClock::new();
        let first = clock.now();
        let second = clock.now();
        assert!(second > first);
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(second.unix_seconds().abs_diff(wall) <= 1);
    }
}
