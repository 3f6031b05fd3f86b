//! Durations: "250ms", "10s", "2m", "1h", "30d" (humantime's units), or a number of seconds.

use std::time::Duration;

/// The longest timeout or wait a suite may give: beyond it a smoke test is not one.
pub const MAX: Duration = Duration::from_secs(24 * 3600);

/// Why a duration was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum DurationError {
    Invalid,
    Negative,
    Zero,
    /// Longer than the limit for that key.
    TooLong(Duration),
}

/// Refuses a duration longer than `max`.
pub fn at_most(duration: Duration, max: Duration) -> Result<Duration, DurationError> {
    if duration > max {
        Err(DurationError::TooLong(max))
    } else {
        Ok(duration)
    }
}

/// Parses a duration as written in a suite; `positive` refuses zero.
pub fn parse_text(text: &str, positive: bool) -> Result<Duration, DurationError> {
    let text = text.trim();
    let duration = if let Ok(seconds) = text.parse::<f64>() {
        from_seconds(seconds)?
    } else {
        humantime::parse_duration(text).map_err(|_| DurationError::Invalid)?
    };
    check(duration, positive)
}

/// A number of seconds.
pub fn parse_seconds(seconds: f64, positive: bool) -> Result<Duration, DurationError> {
    check(from_seconds(seconds)?, positive)
}

fn from_seconds(seconds: f64) -> Result<Duration, DurationError> {
    if seconds < 0.0 {
        return Err(DurationError::Negative);
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| DurationError::Invalid)
}

fn check(duration: Duration, positive: bool) -> Result<Duration, DurationError> {
    if positive && duration.is_zero() {
        Err(DurationError::Zero)
    } else {
        Ok(duration)
    }
}

/// A duration as a person writes it: "250ms", "10s", "2m30s", "30d".
pub fn show(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if duration.subsec_nanos() == 0 && seconds > 0 {
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
            if seconds.is_multiple_of(size) {
                return format!("{}{unit}", seconds / size);
            }
        }
    }
    // Below a minute, seconds with a fraction read best: "1.5s", not "1s500ms".
    if seconds > 0 && seconds < 60 && duration.subsec_nanos().is_multiple_of(1_000_000) {
        let text = format!("{seconds}.{:03}", duration.subsec_millis());
        return format!("{}s", text.trim_end_matches('0').trim_end_matches('.'));
    }
    humantime::format_duration(duration)
        .to_string()
        .replace(' ', "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_waits_as_people_write_them() {
        assert_eq!(show(Duration::from_millis(1500)), "1.5s");
        assert_eq!(show(Duration::from_millis(250)), "250ms");
        assert_eq!(show(Duration::from_secs(120)), "2m");
        assert_eq!(show(Duration::from_millis(10_050)), "10.05s");
    }

    #[test]
    fn accepts_units_and_seconds() {
        assert_eq!(parse_text("250ms", true), Ok(Duration::from_millis(250)));
        assert_eq!(parse_text("2m", true), Ok(Duration::from_secs(120)));
        assert_eq!(
            parse_text("30d", true),
            Ok(Duration::from_secs(30 * 86_400))
        );
        assert_eq!(parse_text("1.5", true), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_seconds(3.0, true), Ok(Duration::from_secs(3)));
    }

    #[test]
    fn shows_durations_in_their_largest_whole_unit() {
        assert_eq!(show(Duration::from_secs(40_000 * 86_400)), "40000d");
        assert_eq!(show(Duration::from_secs(7_200)), "2h");
        assert_eq!(show(Duration::from_millis(250)), "250ms");
        assert_eq!(show(Duration::from_secs(150)), "2m30s");
    }

    /// Editors check durations with the schema's pattern: it takes what the parser takes.
    #[test]
    fn the_schema_pattern_agrees_with_the_parser() {
        let pattern =
            regex::Regex::new(crate::config::raw::DURATION_PATTERN).expect("the pattern compiles");
        for text in [
            "250ms",
            "10s",
            "1.5s",
            "2m",
            "1h 30m",
            "1h30m",
            "10 seconds",
            " 5s ",
            "5",
            "2.5",
            "3 days",
            "1µs",
            "2 hrs",
            "10 sekonds",
            "ten",
            "5 s x",
            "",
            "1.5.2s",
            "10 sec onds",
            "s",
            "-1s",
        ] {
            assert_eq!(
                pattern.is_match(text),
                parse_text(text, false).is_ok(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn refuses_nonsense() {
        assert_eq!(parse_text("10 sec onds", true), Err(DurationError::Invalid));
        assert_eq!(parse_text("-1", true), Err(DurationError::Negative));
        assert_eq!(parse_text("0s", true), Err(DurationError::Zero));
        assert_eq!(parse_text("0s", false), Ok(Duration::ZERO));
        assert_eq!(parse_seconds(f64::NAN, false), Err(DurationError::Invalid));
        assert_eq!(
            parse_seconds(f64::INFINITY, false),
            Err(DurationError::Invalid)
        );
    }
}
