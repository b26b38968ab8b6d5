//! Time: a monotonic tick for every record, and one wall-clock anchor per workflow.

use std::sync::OnceLock;
use std::time::Instant;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

static BASE: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds on the process's monotonic clock.
#[inline]
pub(crate) fn now() -> u64 {
    let base = *BASE.get_or_init(Instant::now);
    base.elapsed().as_nanos() as u64
}

/// Maps ticks to UTC wall-clock times: the wall clock is read once, when the workflow starts, so
/// every record's times keep the monotonic clock's order.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Anchor {
    wall: DateTime<Utc>,
    tick: u64,
}

impl Anchor {
    pub(crate) fn now() -> Self {
        let tick = now();
        let wall = Utc::now();
        // Both ends on whole microseconds (moving the anchor by less than 1 µs): then a tick's
        // time, cut to the microsecond, is the anchor's plus the tick's whole microseconds, and
        // `end_time - start_time == duration_us` holds exactly.
        let wall_sub = i64::from(wall.timestamp_subsec_nanos() % 1000);
        Anchor {
            wall: wall - TimeDelta::nanoseconds(wall_sub),
            tick: tick - tick % 1000,
        }
    }

    /// An anchor read back from a journal.
    pub(crate) fn from_parts(wall: DateTime<Utc>, tick: u64) -> Self {
        Anchor { wall, tick }
    }

    pub(crate) fn tick(&self) -> u64 {
        self.tick
    }

    pub(crate) fn wall(&self) -> DateTime<Utc> {
        self.wall
    }

    pub(crate) fn at(&self, tick: u64) -> DateTime<Utc> {
        let delta = tick as i128 - self.tick as i128;
        let delta = i64::try_from(delta).unwrap_or(if delta < 0 { i64::MIN } else { i64::MAX });
        self.wall
            .checked_add_signed(TimeDelta::nanoseconds(delta))
            .unwrap_or(self.wall)
    }

    /// RFC 3339, UTC, microseconds: `2026-11-24T13:22:07.923426Z`.
    pub(crate) fn format(&self, tick: u64) -> String {
        rfc3339(self.at(tick))
    }
}

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Whole microseconds between two ticks, never negative.
pub(crate) fn duration_us(start: u64, end: u64) -> u64 {
    // Rounding both ends down to the microsecond, as the timestamps do, keeps
    // `end_time - start_time == duration_us`.
    (end / 1000).saturating_sub(start / 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_the_difference_of_the_timestamps() {
        let a = Anchor::now();
        assert_eq!(a.tick() % 1000, 0);
        assert_eq!(a.wall().timestamp_subsec_nanos() % 1000, 0);
        let micros = |tick| a.at(tick).timestamp_micros() as u64;
        for start in [
            a.tick(),
            a.tick() + 1,
            a.tick() + 999,
            a.tick() + 123_456_789,
        ] {
            for len in [0, 1, 999, 1000, 1001, 7_654_321] {
                let end = start + len;
                assert_eq!(duration_us(start, end), micros(end) - micros(start));
            }
        }
    }
}
