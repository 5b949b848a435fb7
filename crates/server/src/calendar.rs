//! Calendar invitations (RFC 5545, iTIP's RFC 5546) for a visit's email: one event per visit
//! whose `UID` never changes and whose `SEQUENCE` is the visit's, which grows on each move and
//! on a cancel, so a calendar replaces what it had rather than adding a second event.
//!
//! What it is: the text of a `VCALENDAR` for one recipient (`icalendar` writes and escapes it).
//! What it is not: a parser, or anything about sending.

use icalendar::{Calendar, Component, Property};

/// What the invitation asks of a calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Add or update the event.
    Request,
    /// Remove it.
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }
}

/// One recipient's invitation to a visit.
#[derive(Debug, Clone)]
pub struct Invitation<'a> {
    pub method: Method,
    pub visit_id: &'a str,
    pub sequence: i64,
    /// Unix seconds.
    pub start: i64,
    pub end: i64,
    /// When this version was made (Unix seconds): a calendar keeps the newest of a sequence.
    pub stamp: i64,
    pub summary: &'a str,
    pub description: &'a str,
    /// The recipient's join link, once made.
    pub url: Option<&'a str>,
    /// Who sends it (the service's mail address).
    pub organizer: &'a str,
    pub attendee_name: Option<&'a str>,
    pub attendee_email: &'a str,
}

/// The UID of a visit's event, the same in every invitation for it.
pub fn uid(visit_id: &str) -> String {
    format!("{visit_id}@icnode")
}

/// A time as iCalendar writes a UTC date-time (`20270328T080000Z`).
fn utc(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|at| at.strftime("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_default()
}

impl Invitation<'_> {
    /// The `VCALENDAR` text, lines ending in CRLF.
    pub fn to_ics(&self) -> String {
        let mut event = icalendar::Event::new();
        event
            .uid(&uid(self.visit_id))
            .sequence(u32::try_from(self.sequence).unwrap_or(0))
            .summary(self.summary)
            .description(self.description)
            .add_property("DTSTAMP", utc(self.stamp))
            .add_property("DTSTART", utc(self.start))
            .add_property("DTEND", utc(self.end))
            .add_property(
                "STATUS",
                match self.method {
                    Method::Request => "CONFIRMED",
                    Method::Cancel => "CANCELLED",
                },
            );
        if let Some(url) = self.url {
            event.url(url);
        }
        event.append_property(
            Property::new("ORGANIZER", format!("mailto:{}", self.organizer)).done(),
        );
        let mut attendee = Property::new("ATTENDEE", format!("mailto:{}", self.attendee_email));
        attendee.add_parameter("ROLE", "REQ-PARTICIPANT");
        if let Some(name) = self.attendee_name {
            attendee.add_parameter("CN", name);
        }
        event.append_multi_property(attendee.done());
        let mut calendar = Calendar::new();
        calendar.append_property(("METHOD", self.method.as_str()));
        calendar.push(event.done());
        calendar.done().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invitation(method: Method, sequence: i64) -> String {
        Invitation {
            method,
            visit_id: "0192-visit",
            sequence,
            start: 1_806_220_800,
            end: 1_806_222_600,
            stamp: 1_806_000_000,
            summary: "Video visit",
            description: "Join: https://example.test/l/x; bring your card, please",
            url: Some("https://example.test/l/x"),
            organizer: "visits@example.test",
            attendee_name: Some("Grace Hopper"),
            attendee_email: "grace@example.test",
        }
        .to_ics()
    }

    #[test]
    fn an_invitation_names_its_method_uid_sequence_times_and_link() {
        let ics = invitation(Method::Request, 2);
        for line in ["METHOD:REQUEST", "UID:0192-visit@icnode", "SEQUENCE:2"] {
            assert!(ics.contains(line), "{line} in {ics}");
        }
        let start = utc(1_806_220_800);
        assert!(ics.contains(&format!("DTSTART:{start}")), "{ics}");
        assert!(ics.contains("URL:https://example.test/l/x"), "{ics}");
        assert!(ics.contains("STATUS:CONFIRMED"), "{ics}");
        assert!(ics.contains("mailto:grace@example.test"), "{ics}");
        // Text is escaped: a semicolon or comma in a description does not end it.
        assert!(ics.contains("x\\; bring your card\\, please"), "{ics}");
        assert!(
            ics.split_terminator('\n').all(|line| line.ends_with('\r')),
            "CRLF line ends"
        );
    }

    #[test]
    fn a_cancel_keeps_the_uid_and_says_cancelled() {
        let ics = invitation(Method::Cancel, 3);
        assert!(ics.contains("METHOD:CANCEL"), "{ics}");
        assert!(ics.contains("UID:0192-visit@icnode"), "{ics}");
        assert!(ics.contains("SEQUENCE:3"), "{ics}");
        assert!(ics.contains("STATUS:CANCELLED"), "{ics}");
    }

    #[test]
    fn times_are_written_as_utc_date_times() {
        assert_eq!(utc(1_806_220_800), "20270328T080000Z");
    }
}
