//! Time: a monotonic tick for every record, and one wall-clock anchor per workflow.
//!
//! A tick is a read of the CPU's time-stamp counter where the kernel itself keeps time with it
//! (Linux on x86-64 with `tsc` as its clocksource: the counter is then invariant and in step on
//! every CPU), and nanoseconds from a process-wide [`Instant`] elsewhere. `rdtsc` costs ≈ 10 ns
//! against ≈ 24 ns for `Instant::now()`, and a record reads the clock twice. Ticks become
//! nanoseconds only when records are written out: the ticks-per-nanosecond scale is measured
//! once per process, against `Instant`, over a window of at least [`CALIBRATION`], the first time
//! a tick is converted (on the journal's writer thread, or when a workflow is written).
//!
//! Why not `quanta`: a reading costs the same, but quanta calibrates on the caller's thread at
//! the first reading (0.6 ms typically, up to its 200 ms deadline on a busy machine, against
//! 0.13 ms here), and trusts the CPU's invariant-TSC flag where this asks the kernel. The
//! `first_tick` and `guard` benches compare the two (BENCHMARKS.md, "Clocks").

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, SecondsFormat, TimeDelta, Timelike, Utc};

/// The least time between the two readings that measure the counter's rate: the error of the
/// rate is about 50 ns over this window (5 ppm, 18 ms an hour).
const CALIBRATION: Duration = Duration::from_millis(10);

const UNKNOWN: u8 = 0;
const TSC: u8 = 1;
const INSTANT: u8 = 2;

static SOURCE: AtomicU8 = AtomicU8::new(UNKNOWN);
/// Ticks per millisecond, roughly (within a few percent): for thresholds, never for times.
static ROUGH_PER_MS: AtomicU64 = AtomicU64::new(1_000_000);

/// The first reading of both clocks, the start of the calibration window.
static BASE: OnceLock<(Instant, u64)> = OnceLock::new();

/// A tick on this process's monotonic clock (see the module docs): only differences of ticks,
/// converted by an [`Anchor`], mean anything.
#[inline]
pub(crate) fn now() -> u64 {
    match SOURCE.load(Ordering::Relaxed) {
        TSC => tsc::read(),
        INSTANT => instant_ns(),
        _ => init_and_read(),
    }
}

#[cold]
fn init_and_read() -> u64 {
    let source = if tsc::usable() { TSC } else { INSTANT };
    if source == TSC {
        // A rough rate for `ticks_from_ms` right away (the precise one takes longer).
        let (t0, c0) = (Instant::now(), tsc::read());
        while t0.elapsed() < Duration::from_micros(100) {
            std::hint::spin_loop();
        }
        let (ns, ticks) = (t0.elapsed().as_nanos() as u64, tsc::read().wrapping_sub(c0));
        let per_ms = ticks.saturating_mul(1_000_000) / ns.max(1);
        ROUGH_PER_MS.store(per_ms.max(1), Ordering::Relaxed);
    }
    // Every thread that races here decides the same; the base is taken once.
    SOURCE.store(source, Ordering::Relaxed);
    base();
    now()
}

/// About how many ticks `ms` milliseconds are (within a few percent): for thresholds such as
/// how often a thread hands its records over.
#[inline]
pub(crate) fn ticks_from_ms(ms: u64) -> u64 {
    // With `ms == 1` (the hand-over, checked twice per record) this is one load.
    ms.saturating_mul(ROUGH_PER_MS.load(Ordering::Relaxed))
}

fn instant_ns() -> u64 {
    let (base, _) = *base();
    base.elapsed().as_nanos() as u64
}

fn base() -> &'static (Instant, u64) {
    BASE.get_or_init(|| {
        let (instant, tsc) = paired_read();
        (instant, tsc)
    })
}

/// An `Instant` and the counter read as close together as this thread can.
fn paired_read() -> (Instant, u64) {
    if !cfg!(target_arch = "x86_64") {
        return (Instant::now(), 0);
    }
    let mut best = (Instant::now(), 0, u64::MAX);
    for _ in 0..8 {
        let before = tsc::read();
        let instant = Instant::now();
        let after = tsc::read();
        let spread = after.wrapping_sub(before);
        if spread < best.2 {
            best = (instant, before + spread / 2, spread);
        }
    }
    (best.0, best.1)
}

/// Nanoseconds per tick, as a 32.32 fixed-point number; 0 until measured.
static SCALE: AtomicU64 = AtomicU64::new(0);

/// Nanoseconds per tick, as a 32.32 fixed-point number.
fn scale() -> u64 {
    match SCALE.load(Ordering::Relaxed) {
        0 => measure_scale(),
        scale => scale,
    }
}

/// Measures the scale (sleeping out what is left of the calibration window) and keeps the
/// first measurement stored. Without a lock, so that nobody waits for a thread that measures:
/// a child made by `fork()` while another thread measured would wait for ever for a thread it
/// does not have; it measures for itself instead.
#[cold]
fn measure_scale() -> u64 {
    let fixed = if SOURCE.load(Ordering::Relaxed) != TSC {
        1 << 32
    } else {
        let (t0, c0) = *base();
        let waited = t0.elapsed();
        if waited < CALIBRATION {
            std::thread::sleep(CALIBRATION - waited);
        }
        let (t1, c1) = paired_read();
        let ns = t1.duration_since(t0).as_nanos();
        let ticks = u128::from(c1.wrapping_sub(c0).max(1));
        let fixed = (ns << 32) / ticks;
        u64::try_from(fixed).unwrap_or(1 << 32).max(1)
    };
    match SCALE.compare_exchange(0, fixed, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => fixed,
        Err(first) => first,
    }
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod tsc {
    #[inline(always)]
    pub(super) fn read() -> u64 {
        // SAFETY: `rdtsc` has no preconditions on x86-64.
        #[allow(unused_unsafe)]
        unsafe {
            core::arch::x86_64::_rdtsc()
        }
    }

    /// The kernel keeps time with the counter only if it found it invariant and in step on
    /// every CPU (and it watches it and switches away if that stops being true).
    pub(super) fn usable() -> bool {
        if std::env::var_os("WORKFLOW_LOG_CLOCK").is_some_and(|v| v == "instant") {
            return false;
        }
        std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
            .is_ok_and(|s| s.trim() == "tsc")
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
mod tsc {
    #[inline(always)]
    pub(super) fn read() -> u64 {
        0
    }

    pub(super) fn usable() -> bool {
        false
    }
}

/// Ticks read back from a journal are nanoseconds from its start, shifted so that earlier ones
/// stay positive. The shift is whole microseconds, like a live workflow's anchor, so that
/// durations come out as they do in the nested file.
const JOURNAL_ZERO: i128 = (1 << 62) / 1000 * 1000;

/// No run lasts a century: offsets beyond it are corrupt, and are clamped to it so that every
/// time written stays within four-digit years.
const MAX_OFFSET_NS: i128 = 100 * 366 * 86_400 * 1_000_000_000;

/// The tick of a journal line's time, `ns` nanoseconds from the journal's start.
pub(crate) fn journal_tick(ns: i128) -> u64 {
    (JOURNAL_ZERO + ns.clamp(-MAX_OFFSET_NS, MAX_OFFSET_NS)) as u64
}

/// Maps ticks to UTC wall-clock times: the wall clock is read once, when the workflow starts, so
/// every record's times keep the monotonic clock's order.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Anchor {
    wall: DateTime<Utc>,
    tick: u64,
    /// Ticks are this process's clock (scaled when converted), or nanoseconds (a journal's).
    scaled: bool,
}

impl Anchor {
    pub(crate) fn now() -> Self {
        let tick = now();
        let wall = Utc::now();
        // The wall clock on a whole microsecond (moving the anchor by less than 1 µs): then a
        // tick's time, cut to the microsecond, is the anchor's plus the tick's whole
        // microseconds from it, and `end_time - start_time == duration_us` holds exactly.
        let wall_sub = i64::from(wall.timestamp_subsec_nanos() % 1000);
        Anchor {
            wall: wall - TimeDelta::nanoseconds(wall_sub),
            tick,
            scaled: true,
        }
    }

    /// An anchor read back from a journal: ticks are nanoseconds.
    pub(crate) fn from_parts(wall: DateTime<Utc>, tick: u64) -> Self {
        Anchor {
            wall,
            tick,
            scaled: false,
        }
    }

    /// The anchor of ticks read back from a journal that started at `wall` (see
    /// [`journal_tick`]).
    pub(crate) fn journal(wall: DateTime<Utc>) -> Self {
        Anchor::from_parts(wall, journal_tick(0))
    }

    /// `tick` of this anchor's clock as the tick a journal line gives back (see
    /// [`journal_tick`]): what a record read back from the journal has.
    pub(crate) fn journal_tick_of(&self, tick: u64) -> u64 {
        journal_tick(self.ns(tick).into())
    }

    pub(crate) fn wall(&self) -> DateTime<Utc> {
        self.wall
    }

    /// Nanoseconds from the anchor to `tick` (negative before it).
    pub(crate) fn ns(&self, tick: u64) -> i64 {
        let (delta, negative) = match tick.checked_sub(self.tick) {
            Some(d) => (d, false),
            None => (self.tick - tick, true),
        };
        let ns = if self.scaled {
            (u128::from(delta) * u128::from(scale())) >> 32
        } else {
            u128::from(delta)
        };
        let ns = i64::try_from(ns).unwrap_or(i64::MAX);
        if negative {
            -ns
        } else {
            ns
        }
    }

    pub(crate) fn at(&self, tick: u64) -> DateTime<Utc> {
        self.wall
            .checked_add_signed(TimeDelta::nanoseconds(self.ns(tick)))
            .unwrap_or(self.wall)
    }

    /// RFC 3339, UTC, microseconds: `2026-11-24T13:22:07.923426Z`.
    pub(crate) fn format(&self, tick: u64) -> String {
        rfc3339(self.at(tick))
    }

    /// Whole microseconds between two ticks, never negative.
    pub(crate) fn duration_us(&self, start: u64, end: u64) -> u64 {
        // Rounding both ends down to the microsecond, as the timestamps do, keeps
        // `end_time - start_time == duration_us`.
        let us = |tick| self.ns(tick).div_euclid(1000);
        u64::try_from(us(end) - us(start)).unwrap_or(0)
    }
}

/// Formats the ticks of one run in order, redoing the calendar only when the second changes.
#[derive(Debug)]
pub(crate) struct TimeFormat {
    secs: i64,
    /// `YYYY-MM-DDTHH:MM:SS.` of `secs`.
    head: [u8; 20],
}

impl TimeFormat {
    pub(crate) fn new() -> Self {
        TimeFormat {
            secs: i64::MIN,
            head: [0; 20],
        }
    }

    /// The same text as [`Anchor::format`], written into `buf`.
    #[cfg(test)]
    pub(crate) fn format<'b>(
        &mut self,
        anchor: &Anchor,
        tick: u64,
        buf: &'b mut [u8; 27],
    ) -> std::borrow::Cow<'b, str> {
        use std::borrow::Cow;
        if self.fill(anchor, tick, buf) {
            Cow::Borrowed(std::str::from_utf8(buf).unwrap_or(""))
        } else {
            Cow::Owned(anchor.format(tick))
        }
    }

    /// Writes [`Anchor::format`]'s text into `buf` (ASCII) and returns `true`, or `false` for a
    /// time outside the years 0 to 9999, which `Anchor::format` writes otherwise.
    pub(crate) fn fill(&mut self, anchor: &Anchor, tick: u64, buf: &mut [u8; 27]) -> bool {
        let us = anchor
            .wall
            .timestamp_micros()
            .checked_add(anchor.ns(tick).div_euclid(1000));
        let Some(us) = us else {
            return false;
        };
        let secs = us.div_euclid(1_000_000);
        if secs == self.secs {
            buf[..20].copy_from_slice(&self.head);
            let mut v = us.rem_euclid(1_000_000) as u64;
            for i in (20..26).rev() {
                buf[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
            buf[26] = b'Z';
        } else {
            if civil_micros(us, buf).is_none() {
                return false;
            }
            self.head.copy_from_slice(&buf[..20]);
            self.secs = secs;
        }
        true
    }
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` for microseconds since the Unix epoch, years 0 to 9999
/// (`None` outside them). The calendar is chrono's; it runs once per second of timestamps.
fn civil_micros(us: i64, buf: &mut [u8; 27]) -> Option<()> {
    let t = DateTime::<Utc>::from_timestamp_micros(us)?;
    let year = t.year();
    if !(0..=9999).contains(&year) {
        return None;
    }
    let (month, day) = (u64::from(t.month()), u64::from(t.day()));
    let rem = u64::from(t.num_seconds_from_midnight());
    let micros = us.rem_euclid(1_000_000) as u64;
    let mut put = |at: usize, mut v: u64, width: usize| {
        for i in (0..width).rev() {
            buf[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, year as u64, 4);
    put(5, month, 2);
    put(8, day, 2);
    put(11, rem / 3600, 2);
    put(14, rem % 3600 / 60, 2);
    put(17, rem % 60, 2);
    put(20, micros, 6);
    for (at, c) in [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
        (26, b'Z'),
    ] {
        buf[at] = c;
    }
    Some(())
}

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_the_difference_of_the_timestamps() {
        let live = Anchor::now();
        assert_eq!(live.wall().timestamp_subsec_nanos() % 1000, 0);
        let read_back = Anchor::from_parts(live.wall(), 1 << 40);
        for a in [live, read_back] {
            let micros = |tick| a.at(tick).timestamp_micros();
            for start in [a.tick, a.tick + 1, a.tick + 999, a.tick + 123_456_789] {
                for len in [0, 1, 999, 1000, 1001, 7_654_321] {
                    let end = start + len;
                    assert_eq!(
                        a.duration_us(start, end) as i64,
                        micros(end) - micros(start)
                    );
                }
            }
        }
    }

    #[test]
    fn fast_timestamps_are_chronos() {
        let live = Anchor::now();
        let mut buf = [0; 27];
        for a in [
            live,
            Anchor::from_parts(DateTime::UNIX_EPOCH, 1 << 40),
            Anchor::from_parts(
                DateTime::parse_from_rfc3339("2000-02-29T23:59:59.999999Z")
                    .unwrap()
                    .with_timezone(&Utc),
                1 << 40,
            ),
        ] {
            for delta in [0u64, 1, 999, 1000, 1_000_001, 86_399_999_999, 1 << 50] {
                for tick in [a.tick.wrapping_add(delta), a.tick.wrapping_sub(delta)] {
                    let mut f = TimeFormat::new();
                    assert_eq!(f.format(&a, tick, &mut buf), a.format(tick), "{tick}");
                    // Again, from the cached second.
                    assert_eq!(f.format(&a, tick, &mut buf), a.format(tick), "{tick}");
                }
            }
        }
        let far = Anchor::from_parts(DateTime::<Utc>::MAX_UTC, 1);
        assert_eq!(TimeFormat::new().format(&far, 1, &mut buf), far.format(1));
    }

    #[test]
    fn ticks_are_monotonic_and_scale_to_real_time() {
        let a = Anchor::now();
        let t0 = Instant::now();
        let mut last = now();
        for _ in 0..10_000 {
            let t = now();
            assert!(t >= last);
            last = t;
        }
        std::thread::sleep(Duration::from_millis(20));
        let elapsed = t0.elapsed().as_nanos() as i64;
        let measured = a.ns(now());
        // Within 2 ms over ≈ 20 ms, whatever the machine's load.
        assert!(
            (measured - elapsed).abs() < 2_000_000,
            "{measured} vs {elapsed}"
        );
        assert!(a.ns(a.tick) == 0 && a.ns(a.tick - 1) <= 0);
    }
}
