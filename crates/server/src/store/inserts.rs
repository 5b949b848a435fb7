//! The SQL that writes new meetings and links: one text for a count of rows, built once, and
//! the order its values bind in.

use std::borrow::Cow;
use std::sync::Arc;

use super::event_rows::{EVENT_COLUMN_COUNT, EVENT_COLUMNS, EventRow, event_values};
use super::rows::{
    AUDIT_COLUMN_COUNT, AUDIT_COLUMNS, AuditRow, CipherOnce, LINK_COLUMN_COUNT, LINK_COLUMNS,
    LinkRow, MEETING_COLUMN_COUNT, MEETING_COLUMNS, MeetingRow,
};
use super::sql::{Param, Statement, placeholder_rows, values};
use crate::domain::{ChatId, LinkCode, TenantId};

/// A new meeting, its links and the audit row of its making, as the group commit writes them.
pub(super) struct NewMeeting {
    pub(super) meeting: MeetingRow,
    pub(super) links: Vec<LinkRow>,
    /// Written only beside a meeting that was new; its target is the meeting's subject.
    pub(super) audit: AuditRow,
    /// `meeting.created`, written only beside a meeting that was new.
    pub(super) event: EventRow,
}

fn meeting_values(meeting: &MeetingRow) -> Vec<Param> {
    values![
        meeting.tenant.as_str(),
        meeting.chat_id.as_str(),
        meeting.subject.as_str(),
        &meeting.created_by,
        meeting.vertical.as_str(),
        meeting.host_login,
        meeting.short_urls,
        meeting.not_before,
        meeting.expires_at,
        meeting.created_at_ms,
    ]
}

/// `rows` new meetings; a row is affected for each that is new, none for a chat id its tenant
/// has taken (or a subject another meeting has, which the broker would share).
fn insert_meetings_sql(rows: usize) -> String {
    format!(
        "INSERT INTO meetings ({MEETING_COLUMNS}) VALUES {} ON CONFLICT DO NOTHING",
        placeholder_rows(rows, MEETING_COLUMN_COUNT, 1)
    )
}

/// A new meeting; one row affected when it is new, none when the chat id is taken.
pub(super) fn insert_meeting(meeting: &MeetingRow) -> Statement {
    // Built once: it is every SQLite write of a new meeting.
    static ONE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| insert_meetings_sql(1));
    Statement::new(ONE.as_str(), meeting_values(meeting))
}

fn push_link_values(params: &mut Vec<Param>, meeting: MeetingKey<'_>, links: &[LinkRow]) {
    for link in links {
        let (long_url, cipher_at) = CipherOnce::write(&link.long_url, &link.cipher);
        params.extend(values![
            &link.id,
            meeting.0.as_str(),
            meeting.1.as_str(),
            link.role.as_str(),
            link.issued_at_ms,
            link.position,
            &link.cipher,
            &link.short,
            &link.short_url,
            long_url,
            link.not_before,
            link.expires_at,
            cipher_at,
            link.code.as_ref().map(LinkCode::as_str),
            link.single_use,
        ]);
    }
}

pub(super) fn audit_values(row: &AuditRow) -> Vec<Param> {
    values![
        &row.id,
        row.at,
        row.tenant.as_str(),
        &row.actor.key_id,
        &row.actor.name,
        row.action.as_str(),
        &row.target,
        &row.actor.request_id,
        row.outcome.as_str(),
    ]
}

/// The INSERT of one row, for the transaction of the change it records.
pub(super) fn insert_audit(row: &AuditRow) -> Statement {
    Statement::new(
        format!("INSERT INTO audit ({AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
        audit_values(row),
    )
}

/// Whose links: a meeting's tenant and chat id.
pub(super) type MeetingKey<'a> = (&'a TenantId, &'a ChatId);

/// A meeting's links in one statement; none for no links.
pub(super) fn insert_links(meeting: MeetingKey<'_>, links: &[LinkRow]) -> Option<Statement> {
    if links.is_empty() {
        return None;
    }
    let mut params = Vec::with_capacity(links.len() * LINK_COLUMN_COUNT);
    push_link_values(&mut params, meeting, links);
    Some(Statement::new(insert_links_sql(links.len()), params))
}

/// The INSERT of `count` links. Built once for each count one request can ask for: building
/// it was a tenth of the service's instructions per meeting (callgrind).
fn insert_links_sql(count: usize) -> Cow<'static, str> {
    const MOST: usize = instant_connect::MAX_LINKS_PER_REQUEST as usize;
    static BY_COUNT: std::sync::LazyLock<Vec<String>> =
        std::sync::LazyLock::new(|| (0..=MOST).map(build_insert_links_sql).collect());
    match BY_COUNT.get(count) {
        Some(sql) => Cow::Borrowed(sql.as_str()),
        None => Cow::Owned(build_insert_links_sql(count)),
    }
}

fn build_insert_links_sql(count: usize) -> String {
    format!(
        "INSERT INTO links ({LINK_COLUMNS}) VALUES {}",
        placeholder_rows(count, LINK_COLUMN_COUNT, 1)
    )
}

/// New meetings, their links and audit rows in one statement that PostgreSQL commits by
/// itself: one round trip for a batch, where a transaction takes two per meeting and two more
/// (SQLite cannot insert from a `WITH` clause). Links and audit rows go in only beside a
/// meeting that was new, and the rows are the tenants and chat ids that were. A batch never
/// holds one tenant's chat id twice (`group_commit`), so a link's tenant and chat id say whose
/// it is; an audit row's target is its meeting's subject, which no two meetings share.
pub(super) fn insert_meetings_at_once(batch: &[Arc<NewMeeting>]) -> Statement {
    let mut params = Vec::new();
    for new in batch {
        params.extend(meeting_values(&new.meeting));
    }
    let mut sql = format!(
        "WITH meeting AS ({} RETURNING tenant_id, chat_id, subject)",
        insert_meetings_sql(batch.len())
    );
    let links: usize = batch.iter().map(|new| new.links.len()).sum();
    if links > 0 {
        sql.push_str(&format!(
            ", link AS (INSERT INTO links ({LINK_COLUMNS}) SELECT v.* FROM (VALUES {}) \
             AS v ({LINK_COLUMNS}) JOIN meeting \
             ON meeting.tenant_id = v.tenant_id AND meeting.chat_id = v.chat_id)",
            placeholder_rows(links, LINK_COLUMN_COUNT, params.len() + 1)
        ));
        for new in batch {
            push_link_values(&mut params, new.meeting.key(), &new.links);
        }
    }
    sql.push_str(&format!(
        ", audit AS (INSERT INTO audit ({AUDIT_COLUMNS}) SELECT v.* FROM (VALUES {}) \
         AS v ({AUDIT_COLUMNS}) JOIN meeting ON meeting.subject = v.target)",
        placeholder_rows(batch.len(), AUDIT_COLUMN_COUNT, params.len() + 1)
    ));
    for new in batch {
        params.extend(audit_values(&new.audit));
    }
    sql.push_str(&format!(
        ", event AS (INSERT INTO events ({EVENT_COLUMNS}) SELECT v.* FROM (VALUES {}) \
         AS v ({EVENT_COLUMNS}) JOIN meeting \
         ON meeting.tenant_id = v.tenant_id AND meeting.chat_id = v.chat_id)",
        placeholder_rows(batch.len(), EVENT_COLUMN_COUNT, params.len() + 1)
    ));
    for new in batch {
        params.extend(event_values(&new.event));
    }
    sql.push_str(" SELECT tenant_id, chat_id FROM meeting");
    Statement::new(sql, params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    #[test]
    fn placeholders_of_a_meeting_and_its_links_follow_their_values() {
        let links = vec![
            LinkRow {
                id: "l1".into(),
                role: Role::Host,
                issued_at_ms: 1,
                position: 0,
                cipher: "c".into(),
                short: None,
                short_url: None,
                long_url: "u".into(),
                not_before: None,
                expires_at: 2,
                code: None,
                single_use: false,
                opened_at: None,
                revoked_at: None,
            };
            2
        ];
        let meeting = MeetingRow {
            tenant: TenantId::default_tenant(),
            chat_id: ChatId::parse("m").unwrap(),
            subject: crate::domain::Subject::of_chat_id(&ChatId::parse("m").unwrap()),
            created_by: "k".into(),
            vertical: crate::domain::Vertical::Hc,
            host_login: true,
            short_urls: false,
            not_before: None,
            expires_at: 2,
            created_at_ms: 1,
        };
        let new = NewMeeting {
            event: EventRow::meeting_created(&meeting, &links),
            meeting,
            links,
            audit: AuditRow::new(
                1,
                &TenantId::default_tenant(),
                &crate::domain::Actor::operator(),
                crate::domain::Action::MeetingCreated,
                Some("m"),
                crate::domain::Outcome::Done,
            ),
        };
        let placeholders = |sql: &str| sql.matches('$').count();
        let new = Arc::new(new);
        let at_once = insert_meetings_at_once(&[Arc::clone(&new), Arc::clone(&new)]);
        assert_eq!(placeholders(&at_once.sql), at_once.params.len());
        assert_eq!(
            at_once.params.len(),
            2 * (MEETING_COLUMN_COUNT
                + 2 * LINK_COLUMN_COUNT
                + AUDIT_COLUMN_COUNT
                + EVENT_COLUMN_COUNT)
        );
        assert!(at_once.sql.contains(&format!("${}", at_once.params.len())));
        let links = insert_links(new.meeting.key(), &new.links).unwrap();
        assert_eq!(placeholders(&links.sql), links.params.len());
        assert!(insert_links(new.meeting.key(), &[]).is_none());

        assert_eq!(placeholder_rows(2, 2, 3), "($3, $4), ($5, $6)");
        let most = instant_connect::MAX_LINKS_PER_REQUEST as usize;
        for count in [1, 2, most, most + 1] {
            let sql = insert_links_sql(count);
            assert_eq!(sql, build_insert_links_sql(count));
            assert_eq!(placeholders(&sql), count * LINK_COLUMN_COUNT);
        }
    }
}
