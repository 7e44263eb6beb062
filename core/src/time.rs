//! The core's own notion of time.
//!
//! The protocol never reads a clock: every input carries `now` as an [`Instant`] chosen by
//! the driver. Natively that is milliseconds since the agent started; in the simulator it
//! is virtual time, which can jump straight to the next wake-up. Milliseconds are fine
//! enough for failure detection (protocol periods are hundreds of milliseconds) and keep
//! the type a plain `u64` that wasm and the wire handle without a clock shim.

use core::fmt;
use core::ops::{Add, AddAssign, Mul, Sub};
use core::str::FromStr;

/// A point in time, in milliseconds since an epoch chosen by the driver.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Instant(u64);

/// A span of time in milliseconds. As text (settings, config files, JSON strings) it
/// reads `250ms`, `1.5s` or `2m`, and prints as [`fmt::Display`] does; a JSON number
/// and binary formats carry the milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(u64);

impl Instant {
    /// The driver's epoch.
    pub const ZERO: Instant = Instant(0);

    /// The instant `millis` milliseconds after the epoch.
    pub const fn from_millis(millis: u64) -> Self {
        Instant(millis)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Time elapsed from `earlier` to `self`, or zero if `earlier` is later.
    pub fn saturating_since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration(0);

    /// A duration of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        Duration(millis)
    }

    /// A duration of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Duration(secs.saturating_mul(1000))
    }

    /// The duration in whole milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The duration in seconds, with the fraction.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// The duration scaled by a non-negative factor, rounded to the nearest millisecond.
    pub fn mul_f64(self, factor: f64) -> Duration {
        Duration((self.0 as f64 * factor.max(0.0)).round() as u64)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, rhs: Duration) -> Duration {
        Duration(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Duration {
    type Output = Duration;
    fn sub(self, rhs: Duration) -> Duration {
        Duration(self.0.saturating_sub(rhs.0))
    }
}

impl Mul<u32> for Duration {
    type Output = Duration;
    fn mul(self, rhs: u32) -> Duration {
        Duration(self.0.saturating_mul(u64::from(rhs)))
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}

/// The shortest text in the largest whole unit that reads back ([`FromStr`]) as the same
/// time, as one would write it in a settings file: `250ms`, `1.25s`, `45s`, `90m`, `1h`
/// (exactly for any duration under 2^51 ms, some 70,000 years: text is read as `f64`).
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HOUR: u64 = 3_600_000;
        const MINUTE: u64 = 60_000;
        match self.0 {
            0 => f.write_str("0s"),
            ms if ms % HOUR == 0 => write!(f, "{}h", ms / HOUR),
            ms if ms % MINUTE == 0 => write!(f, "{}m", ms / MINUTE),
            ms if ms % 1000 == 0 => write!(f, "{}s", ms / 1000),
            ms if ms < 1000 => write!(f, "{ms}ms"),
            ms => {
                let thousandths = format!("{:03}", ms % 1000);
                write!(f, "{}.{}s", ms / 1000, thousandths.trim_end_matches('0'))
            }
        }
    }
}

impl FromStr for Duration {
    type Err = String;

    /// `250ms`, `1.5s`, `2m` or `1h`, rounded to the nearest millisecond. A bare number
    /// is refused (but for 0): read as milliseconds, a `2` meant as seconds would make a
    /// cluster probe 500 times as often as intended. So is a time above zero that rounds
    /// to none (`0.1ms`): a millisecond is the finest step, and 0 often means "off".
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
            (ms, 1.0)
        } else if let Some(s) = text.strip_suffix('s') {
            (s, 1_000.0)
        } else if let Some(m) = text.strip_suffix('m') {
            (m, 60_000.0)
        } else if let Some(h) = text.strip_suffix('h') {
            (h, 3_600_000.0)
        } else if text.parse::<f64>() == Ok(0.0) {
            (text, 1.0)
        } else if text.parse::<f64>().is_ok() {
            return Err(format!(
                "a duration with its unit, such as {text}ms or {text}s: {text} alone names none"
            ));
        } else {
            (text, 1.0)
        };
        match number.trim().parse::<f64>() {
            Ok(n) if n > 0.0 && (n * scale).round() == 0.0 => Err(format!(
                "{text} is under a millisecond, the finest step a duration takes"
            )),
            Ok(n) if n.is_finite() && n >= 0.0 && n * scale < u64::MAX as f64 => {
                Ok(Duration((n * scale).round() as u64))
            }
            _ => Err("a duration such as 500ms, 1.5s, 2m or 1h".into()),
        }
    }
}

impl serde::Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            serializer.serialize_u64(self.0)
        }
    }
}

impl<'de> serde::Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;

        impl serde::de::Visitor<'_> for DurationVisitor {
            type Value = Duration;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as 500ms, 1.5s, 2m or 1h, or a number of milliseconds")
            }

            fn visit_u64<E: serde::de::Error>(self, millis: u64) -> Result<Duration, E> {
                Ok(Duration(millis))
            }

            fn visit_i64<E: serde::de::Error>(self, millis: i64) -> Result<Duration, E> {
                u64::try_from(millis)
                    .map(Duration)
                    .map_err(|_| E::custom("a duration cannot be negative"))
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Duration, E> {
                text.parse().map_err(E::custom)
            }
        }

        if deserializer.is_human_readable() {
            deserializer.deserialize_any(DurationVisitor)
        } else {
            deserializer.deserialize_u64(DurationVisitor)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        let late = Instant::from_millis(u64::MAX - 1);
        assert_eq!(
            late + Duration::from_secs(1),
            Instant::from_millis(u64::MAX)
        );
        assert_eq!(
            Duration::from_millis(5) - Duration::from_millis(9),
            Duration::ZERO
        );
        assert_eq!(
            Instant::from_millis(3).saturating_since(Instant::from_millis(10)),
            Duration::ZERO
        );
    }

    #[test]
    fn scaling_and_display() {
        assert_eq!(
            Duration::from_millis(500).mul_f64(2.5),
            Duration::from_millis(1250)
        );
        assert_eq!(Duration::from_millis(500) * 3, Duration::from_millis(1500));
        let shown = |ms: u64| Duration::from_millis(ms).to_string();
        assert_eq!(shown(1250), "1.25s");
        assert_eq!(shown(1001), "1.001s");
        assert_eq!(shown(250), "250ms");
        assert_eq!(shown(0), "0s");
        assert_eq!(shown(1000), "1s");
        assert_eq!(shown(90_000), "90s");
        assert_eq!(shown(300_000), "5m");
        assert_eq!(shown(5_400_000), "90m");
        assert_eq!(shown(7_200_000), "2h");
        assert_eq!(Instant::from_millis(61_005).to_string(), "61.005s");
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use super::*;

        proptest::proptest! {
            #![proptest_config(proptest::prelude::ProptestConfig {
                cases: 5_000,
                rng_seed: proptest::test_runner::RngSeed::Fixed(20_261_203),
                failure_persistence: None,
                ..proptest::prelude::ProptestConfig::default()
            })]

            /// What a duration shows is what a settings file may say: it reads back the same.
            #[test]
            fn a_duration_reads_back_from_its_text(
                ms in proptest::prop_oneof![
                    0u64..2_000,
                    0u64..100_000_000,
                    proptest::strategy::Strategy::prop_map(0u64..1_000, |minutes| minutes * 60_000),
                    0u64..(1 << 44),
                ]
            ) {
                let duration = Duration::from_millis(ms);
                proptest::prop_assert_eq!(duration.to_string().parse(), Ok(duration));
            }
        }
    }

    #[test]
    fn text_reads_with_a_unit_and_a_bare_number_only_as_zero() {
        let read = |text: &str| text.parse::<Duration>();
        assert_eq!(read("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(read(" 1.5s "), Ok(Duration::from_millis(1500)));
        assert_eq!(read("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(read("1h"), Ok(Duration::from_secs(3_600)));
        assert_eq!(read("0"), Ok(Duration::ZERO));
        assert_eq!(read("0s"), Ok(Duration::ZERO));
        assert_eq!(read("0.6ms"), Ok(Duration::from_millis(1)));
        let tiny = read("0.0001ms").unwrap_err();
        assert!(tiny.contains("under a millisecond"), "{tiny}");
        let bare = read("500").unwrap_err();
        assert!(bare.contains("500ms or 500s"), "{bare}");
        assert!(read("-1s").is_err());
        assert!(read("soon").is_err());
    }
}
