//! Visits: an appointment with a start and an end, the people in it (hosts and guests, each
//! reachable by phone and/or email, in a language), and reminders before it. A visit's links
//! are made when they are needed, not when it is booked: `lead` before the start (or when a
//! reminder must carry them), valid until the end and a grace after it.
//!
//! What it is: the rules of what a caller asks ([`VisitAsked::read`], every problem named),
//! reminders as ISO 8601 offsets read in the visit's zone (`-P1D` is the same wall time the day
//! before, across a change of daylight saving), and a visit's states. What it is not: the jobs
//! that run at those times, or how a message is worded.

use std::time::Duration;

use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

use super::chat_id::is_printable;
use super::invalid::{Field, Invalid, PartyPart};
use super::time::{Time, TimeInput, Zone};
use instant_connect::{Role, Vertical};

/// The parties of one role at most: each is one link, and the broker makes at most this many
/// in one request.
pub const MAX_PARTIES: usize = instant_connect::MAX_LINKS_PER_REQUEST as usize;
/// Reminders of one visit at most.
pub const MAX_REMINDERS: usize = 5;
/// What the chat id of a visit's meeting starts with, before the visit's id.
pub const VISIT_CHAT_ID_PREFIX: &str = "visit-";

/// The chat id of a visit's meeting: the visit's own id, so one visit has one meeting.
pub fn chat_id_of_visit(visit_id: &str) -> super::chat_id::ChatId {
    super::chat_id::ChatId::parse(format!("{VISIT_CHAT_ID_PREFIX}{visit_id}"))
        .expect("a visit's id is a uuid, printable and short")
}

/// The visit id a meeting's chat id names, when the meeting is a visit's.
pub fn visit_of(chat_id: &super::chat_id::ChatId) -> Option<&str> {
    chat_id.as_str().strip_prefix(VISIT_CHAT_ID_PREFIX)
}
/// The earliest reminder, before the start.
pub const MAX_REMINDER_AHEAD: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// The longest visit.
pub const MAX_LENGTH: Duration = Duration::from_secs(24 * 60 * 60);
/// The furthest ahead a visit may start.
pub const MAX_AHEAD: Duration = Duration::from_secs(400 * 24 * 60 * 60);
pub const MAX_NAME_CHARS: usize = 100;
/// RFC 5321's longest path, less its angle brackets.
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_NOTES_CHARS: usize = 2000;
/// A language tag as BCP 47 writes its common forms (`en`, `de-CH`, `zh-Hant-TW`).
pub const LANGUAGE_PATTERN: &str = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$";
pub const DEFAULT_LANGUAGE: &str = "en";
/// The reminders of a visit booked without any said.
pub const DEFAULT_REMINDERS: &[&str] = &["-PT15M"];
/// When links are made before the start, and how long after the end they still work, unless
/// the service is told otherwise.
pub const DEFAULT_LEAD: Duration = Duration::from_secs(15 * 60);
pub const DEFAULT_GRACE: Duration = Duration::from_secs(15 * 60);

/// When a visit's links work: from `lead` before its start until `grace` after its end. The
/// same grace is how long after its start a visit waits for anyone before it is a no-show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkTimes {
    pub lead: Duration,
    pub grace: Duration,
}

impl Default for LinkTimes {
    fn default() -> Self {
        Self {
            lead: DEFAULT_LEAD,
            grace: DEFAULT_GRACE,
        }
    }
}

/// A person in a visit as asked: every part optional.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PartyAsked {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub language: Option<String>,
}

/// A person in a visit: how to call them and reach them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub name: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub language: String,
}

/// A reminder: an offset before the start, as ISO 8601 writes it (`-P1D`, `-PT15M`).
#[derive(Debug, Clone)]
pub struct Reminder {
    written: String,
    span: Span,
}

/// The same offset, unit by unit (`-P1D` is not `-PT24H`: across daylight saving they differ).
impl PartialEq for Reminder {
    fn eq(&self, other: &Self) -> bool {
        self.span.fieldwise() == other.span
    }
}

/// What a caller's notes say: kept with the visit, never put in a message or a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Notes(String);

impl std::fmt::Debug for Notes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Notes({} chars)", self.0.chars().count())
    }
}

impl Notes {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Notes as stored.
    pub fn stored(text: String) -> Self {
        Self(text)
    }
}

/// A new visit, as asked.
#[derive(Debug, Default, Clone)]
pub struct VisitAsked {
    pub start: Option<TimeInput>,
    pub end: Option<TimeInput>,
    /// The IANA zone wall times are in, and reminders are counted in.
    pub time_zone: Option<String>,
    pub hosts: Vec<PartyAsked>,
    pub guests: Vec<PartyAsked>,
    /// [`DEFAULT_REMINDERS`] when absent; none when empty.
    pub reminders: Option<Vec<String>>,
    pub vertical: Option<String>,
    pub notes: Option<String>,
}

/// A visit's times, read.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub start: i64,
    pub end: i64,
    /// Where reminders are counted; UTC when the caller named none.
    pub zone: Option<Zone>,
    pub reminders: Vec<Reminder>,
}

/// A new visit, read: everything a booking keeps.
#[derive(Debug, Clone)]
pub struct VisitPlan {
    pub schedule: Schedule,
    pub hosts: Vec<Party>,
    pub guests: Vec<Party>,
    pub vertical: Vertical,
    pub notes: Option<Notes>,
}

/// A reschedule, as asked: what is absent stays.
#[derive(Debug, Default, Clone)]
pub struct RescheduleAsked {
    pub start: Option<TimeInput>,
    pub end: Option<TimeInput>,
    pub time_zone: Option<String>,
    pub reminders: Option<Vec<String>>,
}

/// Where a visit is in its life. Each change is kept with its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitState {
    /// Booked; its links are not made yet.
    Scheduled,
    /// Its links are made.
    Ready,
    /// Its start has passed.
    InProgress,
    /// Its end has passed.
    Ended,
    Cancelled,
    /// Nobody opened a link of it nor joined it by its start and the grace.
    NoShow,
}

impl VisitState {
    pub fn as_str(self) -> &'static str {
        match self {
            VisitState::Scheduled => "scheduled",
            VisitState::Ready => "ready",
            VisitState::InProgress => "in_progress",
            VisitState::Ended => "ended",
            VisitState::Cancelled => "cancelled",
            VisitState::NoShow => "no_show",
        }
    }

    pub const ALL: [VisitState; 6] = [
        VisitState::Scheduled,
        VisitState::Ready,
        VisitState::InProgress,
        VisitState::Ended,
        VisitState::Cancelled,
        VisitState::NoShow,
    ];

    /// Whether nothing more happens to it: it cannot be moved, and cancelling it again
    /// changes nothing.
    pub fn is_over(self) -> bool {
        matches!(
            self,
            VisitState::Ended | VisitState::Cancelled | VisitState::NoShow
        )
    }
}

/// What must happen for a visit at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Make the visit's links (at the lead time, or with the first reminder).
    Mint,
    /// Remind the people of the visit, its links with it.
    Remind,
    /// The start: the visit is in progress.
    Begin,
    /// The end: the visit is over.
    End,
    /// Tell everyone with an address what changed (its detail: booked, moved or cancelled).
    Notify,
    /// The start and the grace: the visit is a no-show if nobody came.
    NoShow,
    /// A guest has waited with no host for `--alert-host-after` (its detail: since when):
    /// email the hosts, if they still wait.
    AlertHost,
}

impl JobKind {
    pub const ALL: [JobKind; 7] = [
        JobKind::Mint,
        JobKind::Remind,
        JobKind::Begin,
        JobKind::End,
        JobKind::Notify,
        JobKind::NoShow,
        JobKind::AlertHost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Mint => "mint",
            JobKind::Remind => "remind",
            JobKind::Begin => "begin",
            JobKind::End => "end",
            JobKind::Notify => "notify",
            JobKind::NoShow => "no_show",
            JobKind::AlertHost => "alert_host",
        }
    }
}

impl std::str::FromStr for JobKind {
    type Err = ();
    fn from_str(text: &str) -> Result<Self, ()> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or(())
    }
}

impl std::str::FromStr for VisitState {
    type Err = ();
    fn from_str(text: &str) -> Result<Self, ()> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
            .ok_or(())
    }
}

impl Reminder {
    /// Reads the `index`-th reminder: a negative or zero ISO 8601 duration, within
    /// [`MAX_REMINDER_AHEAD`] of the start.
    pub fn parse(text: &str, index: usize) -> Result<Self, Invalid> {
        let field = Field::Reminders(Some(index));
        let span: Span = text.trim().parse().map_err(|_| {
            Invalid::says(
                field.clone(),
                format!(
                    "must be an ISO 8601 duration before the start, such as -P1D or -PT15M, \
                     got `{text}`"
                ),
            )
        })?;
        if span.is_positive() {
            return Err(Invalid::says(
                field,
                format!("must be before the start (negative, such as -{text}), got `{text}`"),
            ));
        }
        // Days and longer are counted on a calendar; the bound is checked on one.
        let ahead = span
            .abs()
            .total((jiff::Unit::Second, jiff::civil::date(2027, 1, 1)))
            .unwrap_or(f64::INFINITY);
        if ahead > MAX_REMINDER_AHEAD.as_secs_f64() {
            return Err(Invalid::says(
                field,
                format!("must be at most 30 days before the start, got `{text}`"),
            ));
        }
        Ok(Self {
            written: text.trim().to_owned(),
            span,
        })
    }

    pub fn written(&self) -> &str {
        &self.written
    }

    /// When it is due for a visit starting at `start`, counted in `zone`: a day before is
    /// the same wall time the day before, whatever daylight saving does between.
    pub fn due(&self, start: i64, zone: Option<&Zone>) -> i64 {
        let tz = zone.map_or(TimeZone::UTC, |zone| zone.time_zone().clone());
        Timestamp::from_second(start)
            .ok()
            .map(|at| at.to_zoned(tz))
            .and_then(|at| at.checked_add(self.span).ok())
            .map_or(start, |due| due.timestamp().as_second())
    }
}

impl VisitAsked {
    /// Reads the booking at `now`: every problem, each naming its field.
    pub fn read(self, now: i64) -> Result<VisitPlan, Vec<Invalid>> {
        let mut problems = Vec::new();
        let schedule = read_schedule(
            self.start.as_ref(),
            self.end.as_ref(),
            self.time_zone.as_deref().filter(|zone| !zone.is_empty()),
            self.reminders.as_deref(),
            now,
        );
        let hosts = read_parties(Role::Host, self.hosts, &mut problems);
        let guests = read_parties(Role::Guest, self.guests, &mut problems);
        let vertical = match self.vertical.as_deref() {
            None => Vertical::default(),
            Some(name) => name.parse().unwrap_or_else(|_| {
                problems.push(Invalid::says(
                    Field::Vertical,
                    format!("must be `hc`, `gen` or `cc`, got `{name}`"),
                ));
                Vertical::default()
            }),
        };
        let notes = self.notes.filter(|notes| !notes.trim().is_empty());
        if let Some(notes) = &notes {
            let chars = notes.chars().count();
            if chars > MAX_NOTES_CHARS {
                problems.push(Invalid::says(
                    Field::Notes,
                    format!("must be at most {MAX_NOTES_CHARS} characters, got {chars}"),
                ));
            }
        }
        let schedule = match schedule {
            Ok(schedule) if problems.is_empty() => schedule,
            Ok(_) => return Err(problems),
            Err(mut more) => {
                more.append(&mut problems);
                return Err(more);
            }
        };
        Ok(VisitPlan {
            schedule,
            hosts,
            guests,
            vertical,
            notes: notes.map(Notes),
        })
    }
}

impl RescheduleAsked {
    /// The visit's new schedule, what is not asked kept from `current`; `None` when nothing
    /// was asked to change.
    pub fn read(mut self, current: &Schedule, now: i64) -> Result<Option<Schedule>, Vec<Invalid>> {
        // Empty is absent, as a flow's unset variable sends it.
        let blank = |time: &TimeInput| matches!(time, TimeInput::Text(text) if text.is_empty());
        self.start = self.start.filter(|time| !blank(time));
        self.end = self.end.filter(|time| !blank(time));
        self.time_zone = self.time_zone.filter(|zone| !zone.is_empty());
        if self.start.is_none()
            && self.end.is_none()
            && self.time_zone.is_none()
            && self.reminders.is_none()
        {
            return Err(vec![Invalid::says(
                Field::Start,
                "or end, timeZone or reminders must be given: a reschedule moves something",
            )]);
        }
        let kept = |at: i64| TimeInput::Seconds(at);
        let start = self.start.unwrap_or(kept(current.start));
        let end = self.end.unwrap_or(kept(current.end));
        let zone = self
            .time_zone
            .or_else(|| current.zone.as_ref().map(|zone| zone.name().to_owned()));
        let reminders = self.reminders.unwrap_or_else(|| {
            current
                .reminders
                .iter()
                .map(|reminder| reminder.written.clone())
                .collect()
        });
        let schedule = read_schedule(
            Some(&start),
            Some(&end),
            zone.as_deref(),
            Some(&reminders),
            now,
        )?;
        let same = schedule.start == current.start
            && schedule.end == current.end
            && schedule.zone.as_ref().map(Zone::name) == current.zone.as_ref().map(Zone::name)
            && schedule.reminders == current.reminders;
        Ok((!same).then_some(schedule))
    }
}

impl Schedule {
    /// A schedule as stored: its reminders were read when it was kept.
    pub fn stored(start: i64, end: i64, zone: Option<&str>, reminders: &[String]) -> Self {
        Self {
            start,
            end,
            zone: zone.and_then(|name| Zone::parse(name).ok()),
            reminders: reminders
                .iter()
                .enumerate()
                .filter_map(|(i, text)| Reminder::parse(text, i).ok())
                .collect(),
        }
    }

    /// When the links are made: `lead` before the start, or at the first reminder, whichever
    /// comes first (a reminder carries them).
    pub fn links_made_at(&self, times: LinkTimes) -> i64 {
        let by_lead = self.start - seconds(times.lead);
        self.reminders_due()
            .into_iter()
            .map(|(due, _)| due)
            .fold(by_lead, i64::min)
    }

    /// Each reminder with when it is due.
    pub fn reminders_due(&self) -> Vec<(i64, &Reminder)> {
        self.reminders
            .iter()
            .map(|reminder| (reminder.due(self.start, self.zone.as_ref()), reminder))
            .collect()
    }

    /// From when its links work, and until when.
    pub fn links_window(&self, times: LinkTimes) -> (i64, i64) {
        (
            self.start - seconds(times.lead),
            self.end + seconds(times.grace),
        )
    }
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

fn read_schedule(
    start: Option<&TimeInput>,
    end: Option<&TimeInput>,
    zone: Option<&str>,
    reminders: Option<&[String]>,
    now: i64,
) -> Result<Schedule, Vec<Invalid>> {
    let mut problems = Vec::new();
    let zone = match zone.map(Zone::parse).transpose() {
        Ok(zone) => zone,
        Err(invalid) => {
            problems.push(invalid);
            None
        }
    };
    let mut time = |input: Option<&TimeInput>, field: Field| match input {
        None => {
            problems.push(Invalid::says(field, "is required"));
            None
        }
        Some(input) => Time::read(input, field, zone.as_ref())
            .map_err(|invalid| problems.push(invalid))
            .ok(),
    };
    let start = time(start, Field::Start);
    let end = time(end, Field::End);
    let reminders = match reminders {
        None => DEFAULT_REMINDERS
            .iter()
            .map(|text| (*text).to_owned())
            .collect(),
        Some(given) => given.to_vec(),
    };
    if reminders.len() > MAX_REMINDERS {
        problems.push(Invalid::says(
            Field::Reminders(None),
            format!(
                "must hold at most {MAX_REMINDERS} reminders, got {}",
                reminders.len()
            ),
        ));
    }
    let mut read_reminders: Vec<Reminder> = Vec::new();
    for (i, text) in reminders.iter().enumerate() {
        match Reminder::parse(text, i) {
            Ok(reminder) if read_reminders.contains(&reminder) => problems.push(Invalid::says(
                Field::Reminders(Some(i)),
                format!("`{text}` is given twice"),
            )),
            Ok(reminder) => read_reminders.push(reminder),
            Err(invalid) => problems.push(invalid),
        }
    }
    if let (Some(start), Some(end)) = (&start, &end) {
        check_times(start, end, now, &mut problems);
    }
    match (start, end) {
        (Some(start), Some(end)) if problems.is_empty() => Ok(Schedule {
            start: start.at(),
            end: end.at(),
            zone,
            reminders: read_reminders,
        }),
        _ => Err(problems),
    }
}

fn check_times(start: &Time, end: &Time, now: i64, problems: &mut Vec<Invalid>) {
    if start.at() <= now {
        problems.push(Invalid::says(
            Field::Start,
            format!(
                "must be in the future, got {} (now is {})",
                start.written(),
                instant_connect::rfc3339(now)
            ),
        ));
    } else if start.at() - now > seconds(MAX_AHEAD) {
        problems.push(Invalid::says(
            Field::Start,
            format!("must be at most 400 days ahead, got {}", start.written()),
        ));
    }
    if end.at() <= start.at() {
        problems.push(Invalid::says(
            Field::End,
            format!(
                "must be after start, got {} for a start of {}",
                end.written(),
                start.written()
            ),
        ));
    } else if end.at() - start.at() > seconds(MAX_LENGTH) {
        problems.push(Invalid::says(
            Field::End,
            format!(
                "must be at most 24 hours after start, got {} for a start of {}",
                end.written(),
                start.written()
            ),
        ));
    }
}

fn read_parties(role: Role, asked: Vec<PartyAsked>, problems: &mut Vec<Invalid>) -> Vec<Party> {
    let list = match role {
        Role::Host => Field::Hosts,
        Role::Guest => Field::Guests,
    };
    if asked.is_empty() {
        problems.push(Invalid::says(list.clone(), "must name at least one person"));
    }
    if asked.len() > MAX_PARTIES {
        problems.push(Invalid::says(
            list,
            format!(
                "must name at most {MAX_PARTIES} people (one link each), got {}",
                asked.len()
            ),
        ));
    }
    asked
        .into_iter()
        .enumerate()
        .map(|(index, party)| read_party(role, index, party, problems))
        .collect()
}

fn read_party(role: Role, index: usize, asked: PartyAsked, problems: &mut Vec<Invalid>) -> Party {
    let field = |part| Field::Party { role, index, part };
    // Empty is absent, as a flow's empty variable sends it; anything else is read as given.
    let present = |text: Option<String>| text.filter(|text| !text.is_empty());
    let name = present(asked.name);
    if let Some(name) = &name {
        let chars = name.chars().count();
        if chars > MAX_NAME_CHARS || !is_printable(name) {
            problems.push(Invalid::says(
                field(PartyPart::Name),
                format!("must be at most {MAX_NAME_CHARS} printable characters, got {chars}"),
            ));
        }
    }
    let phone = present(asked.phone);
    if let Some(phone) = &phone
        && !instant_connect::request::is_e164(phone)
    {
        problems.push(Invalid::says(
            field(PartyPart::Phone),
            format!("must be an E.164 number such as +14155550100, got `{phone}`"),
        ));
    }
    let email = present(asked.email);
    if let Some(email) = &email
        && !is_email(email)
    {
        problems.push(Invalid::says(
            field(PartyPart::Email),
            format!("must be an address such as ada@example.com, got `{email}`"),
        ));
    }
    let language = present(asked.language).unwrap_or_else(|| DEFAULT_LANGUAGE.to_owned());
    if !is_language(&language) {
        problems.push(Invalid::says(
            field(PartyPart::Language),
            format!("must be a language tag such as en or de-CH, got `{language}`"),
        ));
    }
    Party {
        name,
        phone,
        email,
        language,
    }
}

/// An address mail can be sent to: one `@` between a local part and a domain with a dot, no
/// spaces, quotes or angle brackets (nothing a header could be split by).
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    text.chars().count() <= MAX_EMAIL_CHARS
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && text
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | ',' | ';' | '\\'))
        && !local.contains('@')
}

pub fn is_language(text: &str) -> bool {
    static FORM: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(LANGUAGE_PATTERN).expect("LANGUAGE_PATTERN is a regex")
    });
    FORM.is_match(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn asked(start: &str, end: &str) -> VisitAsked {
        VisitAsked {
            start: Some(TimeInput::Text(start.into())),
            end: Some(TimeInput::Text(end.into())),
            hosts: vec![PartyAsked {
                name: Some("Dr. Ada".into()),
                ..PartyAsked::default()
            }],
            guests: vec![PartyAsked {
                phone: Some("+14155550100".into()),
                ..PartyAsked::default()
            }],
            ..VisitAsked::default()
        }
    }

    fn fields(problems: &[Invalid]) -> Vec<Field> {
        problems.iter().map(|p| p.field.clone()).collect()
    }

    #[test]
    fn a_day_before_is_the_same_wall_time_across_daylight_saving() {
        // Berlin's clocks go forward early on 2027-03-28: 10:00 that day is 08:00Z, and the
        // day before at 10:00 is 09:00Z, 23 hours earlier.
        let mut visit = asked("2027-03-28T10:00:00", "2027-03-28T10:30:00");
        visit.time_zone = Some("Europe/Berlin".into());
        visit.reminders = Some(vec!["-P1D".into(), "-PT15M".into()]);
        let plan = visit.read(NOW).unwrap();
        let due: Vec<i64> = plan.schedule.reminders_due().iter().map(|d| d.0).collect();
        let at = |text: &str| text.parse::<Timestamp>().unwrap().as_second();
        assert_eq!(plan.schedule.start, at("2027-03-28T08:00:00Z"));
        assert_eq!(
            due,
            [at("2027-03-27T09:00:00Z"), at("2027-03-28T07:45:00Z")]
        );
        // Counted in UTC without a zone: 24 hours.
        let mut utc = asked("2027-03-28T08:00:00Z", "2027-03-28T08:30:00Z");
        utc.reminders = Some(vec!["-P1D".into()]);
        let plan = utc.read(NOW).unwrap();
        assert_eq!(
            plan.schedule.reminders_due()[0].0,
            at("2027-03-27T08:00:00Z")
        );
    }

    #[test]
    fn links_are_made_at_the_lead_time_or_the_first_reminder() {
        let mut visit = asked("2027-03-29T08:00:00Z", "2027-03-29T08:30:00Z");
        visit.reminders = Some(vec![]);
        let plan = visit.read(NOW).unwrap();
        let start = plan.schedule.start;
        assert_eq!(
            plan.schedule.links_made_at(LinkTimes::default()),
            start - 900
        );
        let mut visit = asked("2027-03-29T08:00:00Z", "2027-03-29T08:30:00Z");
        visit.reminders = Some(vec!["-PT1H".into()]);
        let plan = visit.read(NOW).unwrap();
        assert_eq!(
            plan.schedule.links_made_at(LinkTimes::default()),
            start - 3600
        );
        assert_eq!(
            plan.schedule.links_window(LinkTimes::default()),
            (start - 900, plan.schedule.end + 900)
        );
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let visit = VisitAsked {
            start: Some(TimeInput::Text("2027-03-29T10:00:00".into())),
            end: None,
            hosts: vec![],
            guests: vec![PartyAsked {
                phone: Some("555-0100".into()),
                email: Some("ada at example.com".into()),
                language: Some("english please".into()),
                name: Some("x".repeat(101)),
            }],
            reminders: Some(vec!["PT15M".into(), "soon".into(), "-P31D".into()]),
            vertical: Some("xx".into()),
            notes: Some("n".repeat(2001)),
            ..VisitAsked::default()
        };
        let problems = visit.read(NOW).unwrap_err();
        let guest = |part| Field::Party {
            role: Role::Guest,
            index: 0,
            part,
        };
        assert_eq!(
            fields(&problems),
            [
                Field::Start,
                Field::End,
                Field::Reminders(Some(0)),
                Field::Reminders(Some(1)),
                Field::Reminders(Some(2)),
                Field::Hosts,
                guest(PartyPart::Name),
                guest(PartyPart::Phone),
                guest(PartyPart::Email),
                guest(PartyPart::Language),
                Field::Vertical,
                Field::Notes,
            ],
            "{problems:?}"
        );
        assert!(
            problems[2].to_string().contains("-PT15M"),
            "{}",
            problems[2]
        );
    }

    #[test]
    fn times_must_be_ahead_in_order_and_not_too_long() {
        let past = asked("2020-01-01T10:00:00Z", "2020-01-01T10:30:00Z");
        assert_eq!(fields(&past.read(NOW).unwrap_err()), [Field::Start]);
        let backwards = asked("2027-03-29T10:00:00Z", "2027-03-29T09:00:00Z");
        let problems = backwards.read(NOW).unwrap_err();
        assert!(
            problems[0].to_string().contains("after start"),
            "{problems:?}"
        );
        let long = asked("2027-03-29T10:00:00Z", "2027-03-30T10:00:01Z");
        assert_eq!(fields(&long.read(NOW).unwrap_err()), [Field::End]);
        let day = asked("2027-03-29T10:00:00Z", "2027-03-30T10:00:00Z");
        assert!(day.read(NOW).is_ok());
        let far = asked("2030-03-29T10:00:00Z", "2030-03-29T10:30:00Z");
        assert_eq!(fields(&far.read(NOW).unwrap_err()), [Field::Start]);
    }

    #[test]
    fn reminders_default_to_a_quarter_hour_and_may_be_none_but_not_twice() {
        let plan = asked("2027-03-29T10:00:00Z", "2027-03-29T10:30:00Z")
            .read(NOW)
            .unwrap();
        assert_eq!(plan.schedule.reminders[0].written(), "-PT15M");
        let mut none = asked("2027-03-29T10:00:00Z", "2027-03-29T10:30:00Z");
        none.reminders = Some(vec![]);
        assert!(none.read(NOW).unwrap().schedule.reminders.is_empty());
        let mut twice = asked("2027-03-29T10:00:00Z", "2027-03-29T10:30:00Z");
        twice.reminders = Some(vec!["-PT15M".into(), "-PT15M".into()]);
        assert_eq!(
            fields(&twice.read(NOW).unwrap_err()),
            [Field::Reminders(Some(1))]
        );
        let mut many = asked("2027-03-29T10:00:00Z", "2027-03-29T10:30:00Z");
        many.reminders = Some((1..=6).map(|h| format!("-PT{h}H")).collect());
        assert_eq!(
            fields(&many.read(NOW).unwrap_err()),
            [Field::Reminders(None)]
        );
        assert!(Reminder::parse("-P30D", 0).is_ok());
        assert!(Reminder::parse("PT0S", 0).is_ok(), "at the start itself");
    }

    #[test]
    fn a_reschedule_keeps_what_it_does_not_move_and_says_when_nothing_moved() {
        let plan = asked("2027-03-29T10:00:00Z", "2027-03-29T10:30:00Z")
            .read(NOW)
            .unwrap();
        let later = RescheduleAsked {
            start: Some(TimeInput::Text("2027-03-29T11:00:00Z".into())),
            end: Some(TimeInput::Text("2027-03-29T11:30:00Z".into())),
            ..RescheduleAsked::default()
        };
        let moved = later.read(&plan.schedule, NOW).unwrap().unwrap();
        assert_eq!(moved.start, plan.schedule.start + 3600);
        assert_eq!(moved.reminders, plan.schedule.reminders);
        let same = RescheduleAsked {
            start: Some(TimeInput::Seconds(plan.schedule.start)),
            ..RescheduleAsked::default()
        };
        assert!(same.read(&plan.schedule, NOW).unwrap().is_none());
        let nothing = RescheduleAsked::default().read(&plan.schedule, NOW);
        assert_eq!(fields(&nothing.unwrap_err()), [Field::Start]);
        // A start moved past the kept end is refused, naming the end.
        let past_end = RescheduleAsked {
            start: Some(TimeInput::Text("2027-03-29T12:00:00Z".into())),
            ..RescheduleAsked::default()
        };
        assert_eq!(
            fields(&past_end.read(&plan.schedule, NOW).unwrap_err()),
            [Field::End]
        );
    }

    #[test]
    fn an_empty_zone_or_time_is_absent_as_a_flows_unset_variable_sends_it() {
        let mut visit = asked("2027-03-29T10:00:00Z", "2027-03-29T10:30:00Z");
        visit.time_zone = Some(String::new());
        let plan = visit.read(NOW).unwrap();
        assert!(plan.schedule.zone.is_none());
        let moved = RescheduleAsked {
            start: Some(TimeInput::Text("2027-03-29T11:00:00Z".into())),
            end: Some(TimeInput::Text(String::new())),
            time_zone: Some(String::new()),
            reminders: None,
        }
        .read(&plan.schedule, NOW);
        // The end is kept, and a start past it is refused naming the end.
        assert_eq!(fields(&moved.unwrap_err()), [Field::End]);
        let nothing = RescheduleAsked {
            start: Some(TimeInput::Text(String::new())),
            ..RescheduleAsked::default()
        };
        assert_eq!(
            fields(&nothing.read(&plan.schedule, NOW).unwrap_err()),
            [Field::Start]
        );
    }

    #[test]
    fn notes_may_be_as_long_as_their_bound_and_one_bad_part_refuses_the_booking() {
        let mut visit = asked("2027-03-29T10:00:00Z", "2027-03-29T10:30:00Z");
        visit.notes = Some("n".repeat(MAX_NOTES_CHARS));
        let plan = visit.read(NOW).unwrap();
        assert_eq!(plan.notes.unwrap().as_str().len(), MAX_NOTES_CHARS);
        // Good times and one bad phone: the booking is refused, naming the phone.
        let mut visit = asked("2027-03-29T10:00:00Z", "2027-03-29T10:30:00Z");
        visit.guests[0].phone = Some("555-0100".into());
        let problems = visit.read(NOW).unwrap_err();
        assert_eq!(
            fields(&problems),
            [Field::Party {
                role: Role::Guest,
                index: 0,
                part: PartyPart::Phone
            }]
        );
    }

    #[test]
    fn each_bound_admits_its_own_value_and_refuses_the_next() {
        let base = || asked("2027-03-29T10:00:00Z", "2027-03-29T10:30:00Z");
        let mut five = base();
        five.reminders = Some((1..=MAX_REMINDERS).map(|h| format!("-PT{h}H")).collect());
        assert!(five.read(NOW).is_ok());
        for count in [MAX_PARTIES, MAX_PARTIES + 1, MAX_PARTIES + 5] {
            let mut many = base();
            many.guests = vec![PartyAsked::default(); count];
            assert_eq!(
                many.read(NOW).is_ok(),
                count == MAX_PARTIES,
                "{count} guests"
            );
        }
        for (chars, ok) in [(MAX_NAME_CHARS, true), (MAX_NAME_CHARS + 1, false)] {
            let mut named = base();
            named.hosts[0].name = Some("n".repeat(chars));
            assert_eq!(named.read(NOW).is_ok(), ok, "{chars} characters");
        }
        let ahead = |seconds: u64| {
            let start = NOW + seconds as i64;
            VisitAsked {
                start: Some(TimeInput::Seconds(start)),
                end: Some(TimeInput::Seconds(start + 600)),
                ..base()
            }
            .read(NOW)
        };
        assert!(ahead(MAX_AHEAD.as_secs()).is_ok());
        assert!(ahead(MAX_AHEAD.as_secs() + 1).is_err());
    }

    #[test]
    fn moving_only_the_end_or_only_the_reminders_is_a_move() {
        let plan = asked("2027-03-29T10:00:00Z", "2027-03-29T10:30:00Z")
            .read(NOW)
            .unwrap();
        let longer = RescheduleAsked {
            end: Some(TimeInput::Text("2027-03-29T11:00:00Z".into())),
            ..RescheduleAsked::default()
        };
        let moved = longer.read(&plan.schedule, NOW).unwrap().unwrap();
        assert_eq!(moved.end, plan.schedule.end + 1800);
        let reminded = RescheduleAsked {
            reminders: Some(vec!["-PT1H".into()]),
            ..RescheduleAsked::default()
        };
        assert!(reminded.read(&plan.schedule, NOW).unwrap().is_some());
        let zoned = RescheduleAsked {
            time_zone: Some("Europe/Berlin".into()),
            ..RescheduleAsked::default()
        };
        assert!(zoned.read(&plan.schedule, NOW).unwrap().is_some());
    }

    #[test]
    fn notes_never_show_in_debug() {
        let mut visit = asked("2027-03-29T10:00:00Z", "2027-03-29T10:30:00Z");
        visit.notes = Some("allergic to penicillin".into());
        let plan = visit.read(NOW).unwrap();
        let debug = format!("{plan:?}");
        assert!(!debug.contains("penicillin"), "{debug}");
        assert!(debug.contains("Notes(22 chars)"), "{debug}");
    }

    #[test]
    fn addresses_and_languages_follow_their_forms() {
        for good in ["ada@example.com", "a.b+c@mail.example.org"] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "ada",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "ada@.com",
            "a da@example.com",
            "ada@example.com\r\nBcc: x@y.z",
            "<ada@example.com>",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        for good in ["en", "de-CH", "zh-Hant-TW"] {
            assert!(is_language(good), "{good}");
        }
        for bad in ["e", "english", "en_US", ""] {
            assert!(!is_language(bad), "{bad}");
        }
    }

    #[test]
    fn states_read_back_from_their_words() {
        for state in VisitState::ALL {
            assert_eq!(state.as_str().parse::<VisitState>(), Ok(state));
        }
        assert!("done".parse::<VisitState>().is_err());
        assert!(VisitState::Cancelled.is_over() && VisitState::Ended.is_over());
        assert!(!VisitState::Ready.is_over());
        for kind in JobKind::ALL {
            assert_eq!(kind.as_str().parse::<JobKind>(), Ok(kind));
        }
        assert!("send".parse::<JobKind>().is_err());
    }
}
