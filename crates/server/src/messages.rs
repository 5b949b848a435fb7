//! What a visit's messages say: a subject and a text for each kind of message, as templates
//! (minijinja) a tenant may write per language, with safe defaults in English.
//!
//! A template sees only [`MessageContext`]: who it is for, when the visit is (in its zone),
//! and their link once made; never a visit's notes. It runs sandboxed: no files, no includes,
//! a strict undefined (a misspelt name is an error, not an empty string), a fuel limit (a loop
//! cannot run for ever) and bounds on its size and its output.

use std::sync::LazyLock;

use minijinja::{Environment, UndefinedBehavior};

/// The longest template, subject or text.
pub const MAX_TEMPLATE_CHARS: usize = 10_000;
/// The longest message a template may make.
pub const MAX_RENDERED_CHARS: usize = 20_000;
/// What a template may spend rendering (minijinja's fuel: about one per instruction).
const FUEL: u64 = 50_000;

/// What a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// The visit is booked.
    Invitation,
    /// It is coming up; the link with it.
    Reminder,
    /// It moved.
    Rescheduled,
    Cancelled,
    /// To a host: a guest has waited with no host in for a while (`--alert-host-after`).
    Waiting,
}

impl MessageKind {
    pub const ALL: [MessageKind; 5] = [
        MessageKind::Invitation,
        MessageKind::Reminder,
        MessageKind::Rescheduled,
        MessageKind::Cancelled,
        MessageKind::Waiting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Invitation => "invitation",
            MessageKind::Reminder => "reminder",
            MessageKind::Rescheduled => "rescheduled",
            MessageKind::Cancelled => "cancelled",
            MessageKind::Waiting => "waiting",
        }
    }
}

impl std::str::FromStr for MessageKind {
    type Err = ();
    fn from_str(text: &str) -> Result<Self, ()> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or(())
    }
}

/// A subject and a text, as templates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub subject: String,
    pub body: String,
}

/// A message made from a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

/// Which part of a template is at fault, and why, in minijinja's words (with the line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{part}: {reason}")]
pub struct TemplateError {
    /// `subject` or `body`.
    pub part: &'static str,
    pub reason: String,
}

/// What a template can say. Never a visit's notes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MessageContext {
    /// Their name, or `there` (as in "Hello there").
    pub name: String,
    /// `host` or `guest`.
    pub role: &'static str,
    /// When the visit starts, written in its zone (`Sunday 28 March 2027, 10:00`).
    pub start: String,
    /// When it ends, the time of day in its zone (`10:30`).
    pub end: String,
    /// Both as RFC 3339 with the zone's offset, for templates that write dates their own way.
    pub start_iso: String,
    pub end_iso: String,
    /// The IANA zone, or `UTC`.
    pub time_zone: String,
    /// Their join link, once made.
    pub link: Option<String>,
    /// When their link is made, written as `start` is.
    pub link_from: String,
}

const DEFAULT_INVITATION: (&str, &str) = (
    "Your video visit on {{ start }}",
    "Hello {{ name }},

your video visit is booked for {{ start }} to {{ end }} ({{ time_zone }}).
{% if link %}Join here: {{ link }}{% else %}Your link to join comes by {{ link_from }}.{% endif %}

The calendar invitation attached keeps it in your calendar.
",
);
const DEFAULT_REMINDER: (&str, &str) = (
    "Reminder: your video visit on {{ start }}",
    "Hello {{ name }},

your video visit is on {{ start }} to {{ end }} ({{ time_zone }}).
{% if link %}Join here: {{ link }}{% else %}Your link to join comes by {{ link_from }}.{% endif %}
",
);
const DEFAULT_RESCHEDULED: (&str, &str) = (
    "Your video visit has moved to {{ start }}",
    "Hello {{ name }},

your video visit has moved: it is now on {{ start }} to {{ end }} ({{ time_zone }}).
{% if link %}Join here: {{ link }}{% else %}Your link to join comes by {{ link_from }}.{% endif %}
The calendar invitation attached updates your calendar.
",
);
const DEFAULT_CANCELLED: (&str, &str) = (
    "Your video visit on {{ start }} is cancelled",
    "Hello {{ name }},

your video visit on {{ start }} ({{ time_zone }}) is cancelled.
The calendar invitation attached removes it from your calendar.
",
);
const DEFAULT_WAITING: (&str, &str) = (
    "A guest is waiting for your video visit of {{ start }}",
    "Hello {{ name }},

a guest is waiting for your video visit of {{ start }} ({{ time_zone }}), and no host has joined.
{% if link %}Join here: {{ link }}{% endif %}
",
);

/// The service's own template of `kind`, in English.
pub fn default_template(kind: MessageKind) -> Template {
    let (subject, body) = match kind {
        MessageKind::Invitation => DEFAULT_INVITATION,
        MessageKind::Reminder => DEFAULT_REMINDER,
        MessageKind::Rescheduled => DEFAULT_RESCHEDULED,
        MessageKind::Cancelled => DEFAULT_CANCELLED,
        MessageKind::Waiting => DEFAULT_WAITING,
    };
    Template {
        subject: subject.to_owned(),
        body: body.to_owned(),
    }
}

/// Templates run in one environment: no loader (nothing outside the template is read), no
/// auto-escaping (the messages are text), undefined names refused, fuel bounded.
static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    environment.set_fuel(Some(FUEL));
    environment.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    environment.set_keep_trailing_newline(true);
    environment
});

fn render_part(
    part: &'static str,
    source: &str,
    context: &MessageContext,
) -> Result<String, TemplateError> {
    let fault = |reason: String| TemplateError { part, reason };
    let chars = source.chars().count();
    if chars > MAX_TEMPLATE_CHARS {
        return Err(fault(format!(
            "must be at most {MAX_TEMPLATE_CHARS} characters, got {chars}"
        )));
    }
    let rendered = ENVIRONMENT
        .render_str(source, context)
        .map_err(|error| fault(described(&error)))?;
    if rendered.chars().count() > MAX_RENDERED_CHARS {
        return Err(fault(format!(
            "makes a message longer than {MAX_RENDERED_CHARS} characters"
        )));
    }
    Ok(rendered)
}

/// minijinja's error with its line, without the template's name (it has none).
fn described(error: &minijinja::Error) -> String {
    let mut said = error.kind().to_string();
    if let Some(detail) = error.detail() {
        said.push_str(": ");
        said.push_str(detail);
    }
    if let Some(line) = error.line() {
        said.push_str(&format!(" (line {line})"));
    }
    said
}

/// `template` made for `context`; a subject is one line.
pub fn render(template: &Template, context: &MessageContext) -> Result<Rendered, TemplateError> {
    let subject = render_part("subject", &template.subject, context)?;
    let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    if subject.is_empty() {
        return Err(TemplateError {
            part: "subject",
            reason: "makes an empty subject".into(),
        });
    }
    Ok(Rendered {
        subject,
        body: render_part("body", &template.body, context)?,
    })
}

/// Whether `template` renders for someone with a link and for someone without one yet.
pub fn check(template: &Template) -> Result<(), TemplateError> {
    let mut context = sample_context();
    render(template, &context)?;
    context.link = None;
    render(template, &context).map(|_| ())
}

/// The context a preview without a visit shows.
pub fn sample_context() -> MessageContext {
    MessageContext {
        name: "Grace Hopper".into(),
        role: "guest",
        start: "Sunday 28 March 2027, 10:00".into(),
        end: "10:30".into(),
        start_iso: "2027-03-28T10:00:00+02:00".into(),
        end_iso: "2027-03-28T10:30:00+02:00".into(),
        time_zone: "Europe/Berlin".into(),
        link: Some("https://example.test/visit/abc123".into()),
        link_from: "Sunday 28 March 2027, 09:45".into(),
    }
}

/// A time as messages write it, in `zone`: `Sunday 28 March 2027, 10:00`.
pub fn written_at(seconds: i64, zone: &jiff::tz::TimeZone) -> String {
    zoned(seconds, zone).map_or_else(
        || instant_connect::rfc3339(seconds),
        |at| at.strftime("%A %-d %B %Y, %H:%M").to_string(),
    )
}

/// The time of day, in `zone`: `10:30`.
pub fn time_of_day(seconds: i64, zone: &jiff::tz::TimeZone) -> String {
    zoned(seconds, zone).map_or_else(String::new, |at| at.strftime("%H:%M").to_string())
}

/// RFC 3339 with the zone's offset.
pub fn iso_at(seconds: i64, zone: &jiff::tz::TimeZone) -> String {
    zoned(seconds, zone).map_or_else(
        || instant_connect::rfc3339(seconds),
        |at| at.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
    )
}

fn zoned(seconds: i64, zone: &jiff::tz::TimeZone) -> Option<jiff::Zoned> {
    jiff::Timestamp::from_second(seconds)
        .ok()
        .map(|at| at.to_zoned(zone.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_renders_with_a_link_and_without_one() {
        for kind in MessageKind::ALL {
            let template = default_template(kind);
            check(&template).unwrap();
            let rendered = render(&template, &sample_context()).unwrap();
            assert!(
                rendered.subject.contains("Sunday 28 March 2027"),
                "{rendered:?}"
            );
            assert!(
                rendered.body.starts_with("Hello Grace Hopper,"),
                "{rendered:?}"
            );
            assert_eq!(kind.as_str().parse::<MessageKind>(), Ok(kind));
        }
        let reminder = render(&default_template(MessageKind::Reminder), &sample_context());
        assert!(
            reminder
                .unwrap()
                .body
                .contains("Join here: https://example.test/visit/abc123")
        );
    }

    #[test]
    fn a_misspelt_name_a_syntax_error_or_a_runaway_loop_is_refused_with_where() {
        let misspelt = Template {
            subject: "Hi {{ nmae }}".into(),
            body: "x".into(),
        };
        let error = check(&misspelt).unwrap_err();
        assert_eq!(error.part, "subject");
        assert!(error.reason.contains("undefined"), "{error}");
        let broken = Template {
            subject: "Hi".into(),
            body: "line\n{% if link %}unclosed".into(),
        };
        let error = check(&broken).unwrap_err();
        assert_eq!(error.part, "body");
        assert!(error.reason.contains("line 2"), "{error}");
        let runaway = Template {
            subject: "Hi".into(),
            body:
                "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
                    .into(),
        };
        assert!(check(&runaway).is_err());
        let long = Template {
            subject: "Hi".into(),
            body: "x".repeat(MAX_TEMPLATE_CHARS + 1),
        };
        assert!(check(&long).unwrap_err().reason.contains("at most"));
    }

    #[test]
    fn a_template_and_its_message_may_be_as_long_as_their_bounds_and_no_longer() {
        let text = |body: String| Template {
            subject: "Hi".into(),
            body,
        };
        let longest = "x".repeat(MAX_TEMPLATE_CHARS);
        assert!(check(&text(longest.clone())).is_ok());
        assert!(check(&text(format!("{longest}x"))).is_err());
        // Ten characters a turn: exactly the longest message, then one more.
        let turns = MAX_RENDERED_CHARS / 10;
        let exactly = format!("{{% for i in range({turns}) %}}xxxxxxxxxx{{% endfor %}}");
        let rendered = render(&text(exactly.clone()), &sample_context()).unwrap();
        assert_eq!(rendered.body.chars().count(), MAX_RENDERED_CHARS);
        let error = check(&text(format!("{exactly}x"))).unwrap_err();
        assert_eq!(error.part, "body");
        assert!(error.reason.contains("longer than"), "{error}");
    }

    #[test]
    fn a_template_reads_nothing_outside_itself() {
        let include = Template {
            subject: "Hi".into(),
            body: "{% include '/etc/passwd' %}".into(),
        };
        assert!(check(&include).is_err());
    }

    #[test]
    fn a_subject_is_one_line_and_never_empty() {
        let two_lines = Template {
            subject: "Hi\n{{ name }}\r\nBcc: x@y.z".into(),
            body: "x".into(),
        };
        let rendered = render(&two_lines, &sample_context()).unwrap();
        assert_eq!(rendered.subject, "Hi Grace Hopper Bcc: x@y.z");
        let empty = Template {
            subject: "{% if false %}x{% endif %}".into(),
            body: "x".into(),
        };
        assert!(check(&empty).is_err());
    }

    #[test]
    fn times_are_written_in_the_visits_zone() {
        let berlin = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
        assert_eq!(
            written_at(1_806_220_800, &berlin),
            "Sunday 28 March 2027, 10:00"
        );
        assert_eq!(time_of_day(1_806_222_600, &berlin), "10:30");
        assert_eq!(iso_at(1_806_220_800, &berlin), "2027-03-28T10:00:00+02:00");
    }
}
