//! Times as people write them: Unix seconds, an RFC 3339 time with its offset
//! (`2027-01-15T09:00:00-05:00`, `…Z`), or a wall time (`2027-01-15T09:00:00`) when the caller
//! also names the IANA zone it is in, daylight saving included. A time without an offset and
//! without a zone is refused: read as UTC, an appointment sent from a US clinic would be hours
//! off with no word. Answers are always UTC.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};

use super::invalid::{Field, Invalid, Rule};

/// A time as a caller sent it, before it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeInput {
    /// A JSON number: Unix seconds.
    Seconds(i64),
    /// Text: Unix seconds, RFC 3339, or a wall time with a zone.
    Text(String),
}

/// A time read: when it is, and how the caller wrote it, so messages speak their form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Time {
    at: i64,
    written: String,
}

/// An IANA time zone named by a caller (`America/New_York`).
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    zone: TimeZone,
}

/// The forms a time may be written in, as a pattern: Unix seconds, or a date and time with
/// an optional offset (`Z` or `±HH:MM`). The API's document states this same pattern, so a
/// client's schema and the service agree on what is a time; a text that fits is then read
/// as a real date (`2027-02-30` fits and is refused).
pub const TIME_PATTERN: &str = r"^([0-9]+|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2})?)$";

/// What one example of each accepted form looks like, for messages.
const FORMS: &str = "Unix seconds, or an RFC 3339 time with its offset such as \
                     2027-01-15T09:00:00-05:00 or 2027-01-15T14:00:00Z";

impl Zone {
    pub fn parse(name: &str) -> Result<Self, Invalid> {
        TimeZone::get(name.trim())
            .map(|zone| Self {
                name: name.trim().to_owned(),
                zone,
            })
            .map_err(|_| {
                Invalid::says(
                    Field::TimeZone,
                    format!(
                        "must be an IANA time zone such as America/New_York or Europe/Paris, \
                         got `{name}`"
                    ),
                )
            })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.zone
    }
}

impl Time {
    /// Unix seconds.
    pub fn at(&self) -> i64 {
        self.at
    }

    /// The time as the caller wrote it.
    pub fn written(&self) -> &str {
        &self.written
    }

    /// A time the caller did not write (a default, a meeting's stored window): said in UTC.
    pub fn at_seconds(at: i64) -> Self {
        Self {
            at,
            written: instant_connect::rfc3339(at),
        }
    }

    /// Reads what a caller sent for `field`; a wall time needs `zone`.
    pub fn read(input: &TimeInput, field: Field, zone: Option<&Zone>) -> Result<Self, Invalid> {
        let (at, written) = match input {
            TimeInput::Seconds(seconds) => (Ok(*seconds), seconds.to_string()),
            TimeInput::Text(text) => (read_text(text, field.clone(), zone), text.clone()),
        };
        let at = at?;
        if at < 0 {
            return Err(Invalid::says(
                field,
                format!("must not be before 1970, got {written}"),
            ));
        }
        Ok(Self { at, written })
    }
}

fn read_text(text: &str, field: Field, zone: Option<&Zone>) -> Result<i64, Invalid> {
    static FORM: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(TIME_PATTERN).expect("TIME_PATTERN is a regex")
    });
    if !FORM.is_match(text) {
        return Err(Invalid::says(
            field,
            format!("must be {FORMS}, got `{text}`"),
        ));
    }
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    if let Ok(at) = text.parse::<jiff::Timestamp>() {
        return Ok(at.as_second());
    }
    let Ok(wall) = text.parse::<DateTime>() else {
        return Err(Invalid::says(
            field,
            format!("must be {FORMS}, got `{text}`"),
        ));
    };
    let Some(zone) = zone else {
        return Err(Invalid {
            field,
            rule: Rule::NoOffset {
                written: text.to_owned(),
                zone: Field::TimeZone,
            },
        });
    };
    let ambiguous = zone.zone.to_ambiguous_timestamp(wall);
    match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { .. } => ambiguous
            .unambiguous()
            .map(jiff::Timestamp::as_second)
            .map_err(|_| Invalid::says(field, format!("`{text}` is out of range"))),
        AmbiguousOffset::Gap { .. } => Err(Invalid::says(
            field,
            format!(
                "`{text}` does not happen in {}: the clocks skip it when daylight saving \
                 begins",
                zone.name
            ),
        )),
        AmbiguousOffset::Fold { before, after } => Err(Invalid::says(
            field,
            format!(
                "`{text}` happens twice in {} as the clocks go back: write it with its offset, \
                 {text}{} or {text}{}",
                zone.name,
                written_offset(before),
                written_offset(after),
            ),
        )),
    }
}

/// An offset as RFC 3339 writes it (`-04:00`).
fn written_offset(offset: jiff::tz::Offset) -> String {
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, zone: Option<&str>) -> Result<i64, Invalid> {
        let zone = zone.map(|name| Zone::parse(name).unwrap());
        Time::read(
            &TimeInput::Text(text.into()),
            Field::ExpiresAt,
            zone.as_ref(),
        )
        .map(|time| time.at())
    }

    #[test]
    fn an_offset_or_z_is_read_as_written_and_seconds_as_seconds() {
        let utc = read("2027-01-15T14:00:00Z", None).unwrap();
        assert_eq!(read("2027-01-15T09:00:00-05:00", None).unwrap(), utc);
        assert_eq!(read("2027-01-15T15:00:00+01:00", None).unwrap(), utc);
        assert_eq!(read(&utc.to_string(), None).unwrap(), utc);
        let number = Time::read(&TimeInput::Seconds(utc), Field::ExpiresAt, None).unwrap();
        assert_eq!(
            (number.at(), number.written()),
            (utc, utc.to_string().as_str())
        );
    }

    #[test]
    fn a_wall_time_needs_a_zone_and_then_follows_its_daylight_saving() {
        let refused = read("2027-01-15T09:00:00", None).unwrap_err();
        assert!(matches!(refused.rule, Rule::NoOffset { .. }), "{refused:?}");
        let winter = read("2027-01-15T09:00:00", Some("America/New_York")).unwrap();
        assert_eq!(winter, read("2027-01-15T14:00:00Z", None).unwrap());
        let summer = read("2027-07-15T09:00:00", Some("America/New_York")).unwrap();
        assert_eq!(summer, read("2027-07-15T13:00:00Z", None).unwrap());
        // 2027-03-14 02:30 does not happen in New York; 2027-11-07 01:30 happens twice.
        let gap = read("2027-03-14T02:30:00", Some("America/New_York")).unwrap_err();
        assert!(gap.to_string().contains("clocks skip it"), "{gap}");
        let fold = read("2027-11-07T01:30:00", Some("America/New_York")).unwrap_err();
        assert!(fold.to_string().contains("-04:00 or"), "{fold}");
    }

    #[test]
    fn a_time_that_happens_twice_is_offered_with_each_offset_utc_signed_plus() {
        // London's clocks go back from +01:00 to +00:00 at 02:00 on 2027-10-31; RFC 3339 writes
        // UTC itself +00:00 (-00:00 means "offset unknown").
        let fold = read("2027-10-31T01:30:00", Some("Europe/London")).unwrap_err();
        assert!(
            fold.to_string().ends_with(
                "write it with its offset, 2027-10-31T01:30:00+01:00 or 2027-10-31T01:30:00+00:00"
            ),
            "{fold}"
        );
    }

    #[test]
    fn the_epoch_itself_is_a_time_and_a_second_before_it_is_not() {
        assert_eq!(read("0", None).unwrap(), 0);
        assert_eq!(read("1970-01-01T00:00:00Z", None).unwrap(), 0);
        let before = read("1969-12-31T23:59:59Z", None).unwrap_err();
        assert_eq!(
            before.to_string(),
            "ExpiresAt: must not be before 1970, got 1969-12-31T23:59:59Z"
        );
        let number = Time::read(&TimeInput::Seconds(0), Field::ExpiresAt, None).unwrap();
        assert_eq!(number.at(), 0);
    }

    #[test]
    fn only_the_documented_forms_are_times() {
        for text in [
            "2027-01-15 09:00:00Z",
            " 1800000000",
            "-5",
            "2027-01-15",
            "2027-01-15T09Z",
        ] {
            assert!(read(text, None).is_err(), "{text}");
        }
        for text in ["2027-01-15T09:00Z", "2027-01-15T09:00:00.5+01:00", "0"] {
            assert!(read(text, None).is_ok(), "{text}");
        }
        assert!(
            read("2027-02-30T09:00:00Z", None).is_err(),
            "fits the form, is no date"
        );
    }

    #[test]
    fn what_is_no_time_or_no_zone_is_named_with_the_forms_accepted() {
        let text = read("next tuesday", None).unwrap_err().to_string();
        assert!(text.contains("2027-01-15T09:00:00-05:00") && text.contains("`next tuesday`"));
        let zone = Zone::parse("Mars/Olympus").unwrap_err();
        assert_eq!(zone.field, Field::TimeZone);
        assert!(read("1969-12-31T23:00:00Z", None).is_err());
    }
}
