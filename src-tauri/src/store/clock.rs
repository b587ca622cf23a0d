//! The device's hybrid logical clock: every change it stamps is later than every change it has
//! made or seen, even when the tablet's wall clock is wrong or is turned back.

use std::time::Duration;

use buqi_schema::change::Hlc;
use uhlc::{HLCBuilder, Timestamp, HLC, ID, NTP64};
use uuid::Uuid;

/// How far ahead of this device's wall clock another device's stamp may be before uhlc calls it a
/// drift. uhlc's default (500 ms) suits servers on NTP; tablets in the field are set by hand and
/// may be minutes or hours off, and refusing their work would lose it. A day covers a wrong time
/// zone; beyond that the stamp is still accepted, and the clock still moves past it (see
/// [`Clock::observe`]).
pub const MAX_DRIFT: Duration = Duration::from_secs(24 * 60 * 60);

/// The clock of one device.
pub struct Clock {
    hlc: HLC,
    /// The latest reading made or seen. uhlc refuses to move past a reading too far ahead of the
    /// wall clock; keeping our own floor means we never stamp a change at or before one we know.
    floor: u64,
}

impl Clock {
    /// A clock for the device with this id, which has already made or seen readings up to `seen`.
    pub fn new(device: Uuid, seen: Option<Hlc>) -> Clock {
        // A v7 UUID is never all zeros, which is the one value uhlc's ID refuses.
        let id = ID::try_from(*device.as_bytes()).unwrap_or_else(|_| ID::rand());
        let hlc = HLCBuilder::new()
            .with_id(id)
            .with_max_delta(MAX_DRIFT)
            .build();
        let mut clock = Clock { hlc, floor: 0 };
        if let Some(seen) = seen {
            clock.observe(seen);
        }
        clock
    }

    /// A new reading, later than every reading made or observed before.
    pub fn now(&mut self) -> Hlc {
        let t = self.hlc.new_timestamp().get_time().as_u64();
        let t = if t > self.floor { t } else { self.floor + 1 };
        self.floor = t;
        Hlc(t)
    }

    /// Takes note of a reading made elsewhere (or stored before a restart).
    pub fn observe(&mut self, seen: Hlc) {
        let stamp = Timestamp::new(NTP64(seen.0), *self.hlc.get_id());
        // A reading beyond MAX_DRIFT is refused by uhlc; the floor covers it.
        let _ = self.hlc.update_with_timestamp(&stamp);
        self.floor = self.floor.max(seen.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_always_increase() {
        let mut clock = Clock::new(Uuid::now_v7(), None);
        let mut last = clock.now();
        for _ in 0..10_000 {
            let next = clock.now();
            assert!(next > last);
            last = next;
        }
    }

    #[test]
    fn a_reading_from_the_far_future_is_passed_not_refused() {
        // Another tablet whose clock is set a year ahead.
        let ahead = Hlc(clock_now() + ((365u64 * 24 * 3600) << 32));
        let mut clock = Clock::new(Uuid::now_v7(), None);
        clock.observe(ahead);
        assert!(clock.now() > ahead);
        // And after a restart, from what the store remembers.
        let mut restarted = Clock::new(Uuid::now_v7(), Some(ahead));
        assert!(restarted.now() > ahead);
    }

    #[test]
    fn readings_are_close_to_the_wall_clock() {
        let mut clock = Clock::new(Uuid::now_v7(), None);
        let secs = clock.now().unix_seconds() as i64;
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!((secs - wall).abs() <= 1, "{secs} vs {wall}");
    }

    fn clock_now() -> u64 {
        uhlc::system_time_clock().as_u64()
    }
}
