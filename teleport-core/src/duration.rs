//! Go-style durations (`1m0s`, `12h`, `30h0m0s`, `1.5s`, `300ms`), the notation
//! Teleport uses in `teleport.yaml` and in resources such as `max_session_ttl`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration as StdDuration;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative duration written and read the way Go's `time.Duration` is.
///
/// Parsing accepts what Go's `time.ParseDuration` accepts (units `ns`, `us`, `µs`,
/// `ms`, `s`, `m`, `h`, fractions, several units in a row) except negative values;
/// printing gives what Go's `Duration.String` gives, so `12h` prints as `12h0m0s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(StdDuration);

/// Why a Go-style duration could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// The text was empty.
    #[error("empty duration: expected a value such as 1m0s or 12h")]
    Empty,
    /// A number was followed by no unit (only `0` may stand alone).
    #[error("missing unit in duration {0:?}: expected one of ns, us, ms, s, m, h (e.g. 1m0s)")]
    MissingUnit(String),
    /// A unit that Go does not know.
    #[error("unknown unit {unit:?} in duration {input:?}: expected one of ns, us, ms, s, m, h")]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole duration as written.
        input: String,
    },
    /// Text that is not a number where a number must stand.
    #[error("invalid duration {0:?}: expected a value such as 1m0s, 90s or 12h")]
    Invalid(String),
    /// A leading minus sign: durations in configuration are never negative.
    #[error("negative duration {0:?} is not allowed")]
    Negative(String),
    /// The value does not fit in 64-bit nanoseconds (about 292 years), as in Go.
    #[error("duration {0:?} is too large")]
    Overflow(String),
}

const NANOS_PER_UNIT: &[(&str, u128)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("μs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60 * 1_000_000_000),
    ("h", 3_600 * 1_000_000_000),
];

impl Duration {
    /// The zero duration.
    pub const ZERO: Duration = Duration(StdDuration::ZERO);

    /// A duration of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Duration(StdDuration::from_secs(secs))
    }

    /// A duration of `mins` minutes.
    pub const fn from_mins(mins: u64) -> Self {
        Duration(StdDuration::from_secs(mins * 60))
    }

    /// A duration of `hours` hours.
    pub const fn from_hours(hours: u64) -> Self {
        Duration(StdDuration::from_secs(hours * 3600))
    }

    /// The same duration as a [`std::time::Duration`].
    pub const fn as_std(&self) -> StdDuration {
        self.0
    }

    /// Whether this is the zero duration.
    pub const fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    /// Parses a Go-style duration such as `1h30m` or `1.5s`.
    pub fn parse(input: &str) -> Result<Self, DurationError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(DurationError::Empty);
        }
        let s = match s.strip_prefix('+') {
            Some(rest) => rest,
            None if s.starts_with('-') => {
                // "-0" is zero in Go; every other negative value is refused.
                if s[1..].chars().all(|c| c == '0') && s.len() > 1 {
                    return Ok(Duration::ZERO);
                }
                return Err(DurationError::Negative(input.to_string()));
            }
            None => s,
        };
        if s == "0" {
            return Ok(Duration::ZERO);
        }
        let overflow = || DurationError::Overflow(input.to_string());
        let mut total: u128 = 0;
        let mut rest = s;
        while !rest.is_empty() {
            let int_len = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            let (int_part, after_int) = rest.split_at(int_len);
            let (frac_part, after_num) = match after_int.strip_prefix('.') {
                Some(after_dot) => {
                    let frac_len = after_dot
                        .find(|c: char| !c.is_ascii_digit())
                        .unwrap_or(after_dot.len());
                    after_dot.split_at(frac_len)
                }
                None => ("", after_int),
            };
            if int_part.is_empty() && frac_part.is_empty() {
                return Err(DurationError::Invalid(input.to_string()));
            }
            let unit_len = after_num
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(after_num.len());
            let (unit, after_unit) = after_num.split_at(unit_len);
            if unit.is_empty() {
                return Err(DurationError::MissingUnit(input.to_string()));
            }
            let scale = NANOS_PER_UNIT
                .iter()
                .find(|(name, _)| *name == unit)
                .map(|(_, nanos)| *nanos)
                .ok_or_else(|| DurationError::UnknownUnit {
                    unit: unit.to_string(),
                    input: input.to_string(),
                })?;
            let whole: u128 = if int_part.is_empty() {
                0
            } else {
                int_part.parse().map_err(|_| overflow())?
            };
            let mut value = whole.checked_mul(scale).ok_or_else(overflow)?;
            // Fractions are exact to the nanosecond; digits past that are dropped as Go does.
            let mut place = scale;
            for digit in frac_part.bytes() {
                place /= 10;
                if place == 0 {
                    break;
                }
                value += u128::from(digit - b'0') * place;
            }
            total = total.checked_add(value).ok_or_else(overflow)?;
            rest = after_unit;
        }
        if total > i64::MAX as u128 {
            return Err(overflow());
        }
        let nanos = u64::try_from(total).map_err(|_| overflow())?;
        Ok(Duration(StdDuration::from_nanos(nanos)))
    }
}

/// Writes `value / 10^prec` with its fraction, trailing zeros trimmed (`1500, 3` -> `1.5`).
fn write_fraction(out: &mut String, value: u128, prec: u32) {
    let unit = 10u128.pow(prec);
    let whole = value / unit;
    let frac = value % unit;
    out.push_str(&whole.to_string());
    if frac != 0 {
        let digits = format!("{frac:0width$}", width = prec as usize);
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = self.0.as_nanos();
        let mut out = String::new();
        if nanos == 0 {
            out.push_str("0s");
        } else if nanos < 1_000 {
            out.push_str(&format!("{nanos}ns"));
        } else if nanos < 1_000_000 {
            write_fraction(&mut out, nanos, 3);
            out.push_str("µs");
        } else if nanos < 1_000_000_000 {
            write_fraction(&mut out, nanos, 6);
            out.push_str("ms");
        } else {
            let minute = 60 * 1_000_000_000u128;
            let total_minutes = nanos / minute;
            let hours = total_minutes / 60;
            let minutes = total_minutes % 60;
            if hours > 0 {
                out.push_str(&format!("{hours}h"));
            }
            if total_minutes > 0 {
                out.push_str(&format!("{minutes}m"));
            }
            write_fraction(&mut out, nanos % minute, 9);
            out.push('s');
        }
        f.write_str(&out)
    }
}

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Duration::parse(s)
    }
}

impl From<StdDuration> for Duration {
    fn from(value: StdDuration) -> Self {
        Duration(value)
    }
}

impl From<Duration> for StdDuration {
    fn from(value: Duration) -> Self {
        value.0
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;

        impl Visitor<'_> for DurationVisitor {
            type Value = Duration;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as 1m0s, 90s or 12h")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
                Duration::parse(v).map_err(E::custom)
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
                if v == 0 {
                    return Ok(Duration::ZERO);
                }
                Err(E::custom(DurationError::MissingUnit(v.to_string())))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
                if v < 0 {
                    return Err(E::custom(DurationError::Negative(v.to_string())));
                }
                self.visit_u64(v.unsigned_abs())
            }
        }

        deserializer.deserialize_any(DurationVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Duration {
        Duration::parse(s).unwrap()
    }

    #[test]
    fn parses_go_forms() {
        assert_eq!(parse("1m0s"), Duration::from_mins(1));
        assert_eq!(parse("12h"), Duration::from_hours(12));
        assert_eq!(parse("30h0m0s"), Duration::from_hours(30));
        assert_eq!(parse("1h30m"), Duration::from_secs(5400));
        assert_eq!(parse("1.5h"), Duration::from_secs(5400));
        assert_eq!(parse("300ms").as_std(), StdDuration::from_millis(300));
        assert_eq!(parse("2us").as_std(), StdDuration::from_micros(2));
        assert_eq!(parse("2µs").as_std(), StdDuration::from_micros(2));
        assert_eq!(parse(".5s").as_std(), StdDuration::from_millis(500));
        assert_eq!(parse("0"), Duration::ZERO);
        assert_eq!(parse("+5m"), Duration::from_mins(5));
        assert_eq!(parse("1h1h"), Duration::from_hours(2));
    }

    #[test]
    fn prints_like_go() {
        for (d, s) in [
            (Duration::ZERO, "0s"),
            (Duration::from_secs(1), "1s"),
            (Duration::from_mins(1), "1m0s"),
            (Duration::from_mins(5), "5m0s"),
            (Duration::from_hours(1), "1h0m0s"),
            (Duration::from_hours(12), "12h0m0s"),
            (Duration::from_hours(30), "30h0m0s"),
            (Duration::from_secs(5400), "1h30m0s"),
            (Duration::from(StdDuration::from_millis(1500)), "1.5s"),
            (Duration::from(StdDuration::from_millis(300)), "300ms"),
            (Duration::from(StdDuration::from_micros(1500)), "1.5ms"),
            (Duration::from(StdDuration::from_nanos(1500)), "1.5µs"),
            (Duration::from(StdDuration::from_nanos(15)), "15ns"),
            (Duration::from(StdDuration::from_millis(61_001)), "1m1.001s"),
        ] {
            assert_eq!(d.to_string(), s);
            assert_eq!(parse(s), d, "round trip of {s}");
        }
    }

    #[test]
    fn refuses_bad_input() {
        assert_eq!(Duration::parse(""), Err(DurationError::Empty));
        assert!(matches!(
            Duration::parse("10"),
            Err(DurationError::MissingUnit(_))
        ));
        assert!(matches!(
            Duration::parse("10d"),
            Err(DurationError::UnknownUnit { .. })
        ));
        assert!(matches!(
            Duration::parse("-1m"),
            Err(DurationError::Negative(_))
        ));
        assert!(matches!(
            Duration::parse("m"),
            Err(DurationError::Invalid(_))
        ));
        assert!(matches!(
            Duration::parse("1.m5"),
            Err(DurationError::UnknownUnit { .. }) | Err(DurationError::MissingUnit(_))
        ));
        assert!(matches!(
            Duration::parse("3000000h"),
            Err(DurationError::Overflow(_))
        ));
    }

    #[test]
    fn serde_round_trip() {
        let d: Duration = serde_yaml::from_str("30h0m0s").unwrap();
        assert_eq!(d, Duration::from_hours(30));
        assert_eq!(serde_yaml::to_string(&d).unwrap().trim(), "30h0m0s");
        assert!(serde_yaml::from_str::<Duration>("60").is_err());
    }

    proptest::proptest! {
        #[test]
        fn display_parses_back(nanos in 0u64..(i64::MAX as u64)) {
            let d = Duration::from(StdDuration::from_nanos(nanos));
            proptest::prop_assert_eq!(Duration::parse(&d.to_string()).unwrap(), d);
        }
    }
}
