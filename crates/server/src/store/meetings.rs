//! The store's meetings and their links: written after the broker answered, read back whole or
//! a page at a time.

use super::event_rows::{EventRow, insert_event};
use super::inserts::insert_audit;
use super::inserts::{MeetingKey, NewMeeting, insert_links};
use super::rows::AuditRow;
use super::rows::{
    LINK_READ_COLUMNS, LinkRow, MEETING_COLUMNS, MeetingCursor, MeetingRow, MeetingSummaryRow,
    link_row, meeting_row,
};
use super::sql::{Decode, Statement, values};
use super::{Backend, Store, StoreError, Wait};
use crate::domain::{Action, Actor, ChatId, Outcome, TenantId};

impl Store {
    /// Writes a meeting, its links and the audit row of `by` making it, with the other new
    /// meetings of the moment, in one transaction (`store::group_commit`); `false` (and
    /// nothing written) when its tenant has the chat id already, or another meeting has its
    /// subject.
    pub async fn insert_meeting(
        &self,
        meeting: &MeetingRow,
        links: &[LinkRow],
        by: &Actor,
    ) -> Result<bool, StoreError> {
        let audit = AuditRow::new(
            meeting.created_at_ms.div_euclid(1000),
            &meeting.tenant,
            by,
            Action::MeetingCreated,
            Some(meeting.subject.as_str()),
            Outcome::Done,
        );
        let new = NewMeeting {
            meeting: meeting.clone(),
            links: links.to_vec(),
            audit,
            event: EventRow::meeting_created(meeting, links),
        };
        self.timed(Wait::MeetingWrite, self.group_commit.insert(new))
            .await
    }

    /// Adds links to a meeting in one transaction, and moves the meeting's expiry to the
    /// latest of its links'; `false` (and nothing written) when the meeting does not exist.
    /// The foreign key is the check: a read before the writes would make SQLite refuse the
    /// transaction when another writer commits in between.
    pub async fn add_links(
        &self,
        meeting: MeetingKey<'_>,
        links: &[LinkRow],
        audit: &AuditRow,
        event: &EventRow,
    ) -> Result<bool, StoreError> {
        let (tenant, chat_id) = meeting;
        let mut statements = Vec::with_capacity(3);
        statements.extend(insert_links(meeting, links));
        if let Some(latest) = links.iter().map(|l| l.expires_at).max() {
            statements.push(Statement::new(
                "UPDATE meetings SET expires_at = $1 \
                 WHERE tenant_id = $2 AND chat_id = $3 AND expires_at < $1",
                values![latest, tenant.as_str(), chat_id.as_str()],
            ));
        }
        statements.push(insert_audit(audit));
        statements.push(insert_event(event));
        match self
            .timed(Wait::LinksWrite, self.db.transaction(statements))
            .await
        {
            Ok(_) => Ok(true),
            Err(error) if error.is_foreign_key_violation() => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// The tenant's meeting with this chat id; another tenant's is none.
    pub async fn meeting(
        &self,
        tenant: &TenantId,
        chat_id: &ChatId,
    ) -> Result<Option<MeetingRow>, StoreError> {
        let statement = Statement::new(
            format!("SELECT {MEETING_COLUMNS} FROM meetings WHERE tenant_id = $1 AND chat_id = $2"),
            values![tenant.as_str(), chat_id.as_str()],
        );
        self.db.fetch_optional(statement, meeting_row).await
    }

    /// Every link of a meeting, in the order they were issued.
    pub async fn links(&self, meeting: MeetingKey<'_>) -> Result<Vec<LinkRow>, StoreError> {
        let (tenant, chat_id) = meeting;
        let statement = Statement::new(
            format!(
                "SELECT {LINK_READ_COLUMNS} FROM links WHERE tenant_id = $1 AND chat_id = $2 \
                 ORDER BY issued_at_ms, position, id"
            ),
            values![tenant.as_str(), chat_id.as_str()],
        );
        self.db.fetch(statement, link_row).await
    }

    /// At most `limit` of the tenant's meetings whose chat id starts with `prefix`, newest
    /// first, after `cursor`.
    pub async fn meetings_page(
        &self,
        tenant: &TenantId,
        prefix: &str,
        cursor: Option<&MeetingCursor>,
        limit: u32,
    ) -> Result<Vec<MeetingSummaryRow>, StoreError> {
        self.db
            .fetch(self.page_statement(tenant, prefix, cursor, limit), |row| {
                Ok(MeetingSummaryRow {
                    meeting: meeting_row(row)?,
                    hosts: row.int("hosts")?,
                    guests: row.int("guests")?,
                })
            })
            .await
    }

    /// How the database reads a first page of the meetings whose chat id starts with
    /// `prefix`: its plan (EXPLAIN), one line a step. For the benchmarks' plans, and the test
    /// that a prefix reads only the meetings it names.
    pub async fn explain_meetings_page(
        &self,
        tenant: &TenantId,
        prefix: &str,
    ) -> Result<Vec<String>, StoreError> {
        let page = self.page_statement(tenant, prefix, None, 100);
        let (explain, decode): (&str, Decode<String>) = match self.db.backend() {
            Backend::Sqlite => ("EXPLAIN QUERY PLAN ", |row| row.text("detail")),
            Backend::Postgres => ("EXPLAIN ", |row| row.text("QUERY PLAN")),
        };
        let statement = Statement::new(format!("{explain}{}", page.sql), page.params);
        self.db.fetch(statement, decode).await
    }

    fn page_statement(
        &self,
        tenant: &TenantId,
        prefix: &str,
        cursor: Option<&MeetingCursor>,
        limit: u32,
    ) -> Statement {
        let (before_ms, before_id) = match cursor {
            Some(c) => (c.created_at_ms, c.chat_id.as_str()),
            None => (i64::MAX, ""),
        };
        // A prefix is a range of the chat id's index, [prefix, the first string after every
        // string it starts), so a listing reads the meetings it names, not every meeting; the
        // exact test stays beside it. No prefix reads the newest-first index alone: a test of
        // every chat id, even one always true, would have the planner guess otherwise.
        let mut params = values![before_ms, before_id, i64::from(limit), tenant.as_str()];
        let mut filter = String::new();
        if !prefix.is_empty() {
            let end = if self.code_point_order {
                prefix_end(prefix)
            } else {
                None
            };
            if let Some(end) = end {
                filter.push_str("m.chat_id >= $5 AND m.chat_id < $7 AND ");
                params.extend(values![prefix, prefix.chars().count() as i64, end]);
            } else {
                params.extend(values![prefix, prefix.chars().count() as i64]);
            }
            filter.push_str("substr(m.chat_id, 1, CAST($6 AS INTEGER)) = $5 AND ");
        }
        Statement::new(
            format!(
                "SELECT {MEETING_COLUMNS}, \
                 (SELECT COUNT(*) FROM links l WHERE l.tenant_id = m.tenant_id \
                 AND l.chat_id = m.chat_id AND l.role = 'host') AS hosts, \
                 (SELECT COUNT(*) FROM links l WHERE l.tenant_id = m.tenant_id \
                 AND l.chat_id = m.chat_id AND l.role = 'guest') AS guests \
                 FROM meetings m \
                 WHERE m.tenant_id = $4 AND {filter}(m.created_at_ms < $1 OR (m.created_at_ms = $1 AND m.chat_id < $2)) \
                 ORDER BY m.created_at_ms DESC, m.chat_id DESC LIMIT $3"
            ),
            params,
        )
    }
}

/// The first string after every string that starts with `prefix`, in code point order (SQLite's
/// `BINARY`, PostgreSQL's `C` and `C.UTF-8` collations): its last character that has a next
/// one, moved on, and what follows it dropped. `None` for an empty prefix, or one of nothing
/// but the last code point.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        // The next scalar value: surrogates are not characters, so U+D7FF is followed by U+E000.
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Vertical;

    #[test]
    fn a_prefix_ends_before_the_first_string_it_does_not_start() {
        assert_eq!(prefix_end("visit-"), Some("visit.".to_owned()));
        assert_eq!(prefix_end("a\u{D7FF}"), Some("a\u{E000}".to_owned()));
        assert_eq!(prefix_end("a\u{10FFFF}"), Some("b".to_owned()));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
        assert_eq!(prefix_end(""), None);
        for (prefix, inside, after) in
            [("visit-", "visit-\u{10FFFF}zz", "visit."), ("é", "éa", "ê")]
        {
            let end = prefix_end(prefix).unwrap();
            assert!(
                prefix <= inside && inside < end.as_str(),
                "{prefix} {inside} {end}"
            );
            assert!(after >= end.as_str(), "{after} {end}");
        }
    }

    fn meeting_row(chat_id: &str) -> MeetingRow {
        MeetingRow {
            tenant: TenantId::default_tenant(),
            chat_id: ChatId::parse(chat_id).unwrap(),
            subject: crate::domain::Subject::of_chat_id(&ChatId::parse(chat_id).unwrap()),
            created_by: "k".into(),
            vertical: Vertical::Hc,
            host_login: true,
            short_urls: false,
            not_before: None,
            expires_at: 2,
            created_at_ms: 1,
        }
    }

    /// A new meeting commits in place only when the write lock is free at once. While another
    /// process holds it, the meeting waits on a blocking thread: the one async thread here
    /// goes on (its timer fires long before SQLite's busy wait could end, and it releases
    /// the lock), and the meeting is then stored. Had it
    /// waited in place, the thread would sit in SQLite's busy wait until it gave up.
    #[tokio::test]
    async fn a_new_meeting_waits_for_another_process_s_write_lock_off_the_async_thread() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&crate::settings::sqlite_url_in(dir.path()), 2)
            .await
            .unwrap();
        assert!(
            store
                .insert_meeting(&meeting_row("first"), &[], &Actor::operator())
                .await
                .unwrap()
        );
        let file = dir.path().join(crate::settings::DATABASE_FILE);
        let other = rusqlite::Connection::open(&file).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();

        let waiting = {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .insert_meeting(&meeting_row("second"), &[], &Actor::operator())
                    .await
            })
        };
        let slept = std::time::Instant::now();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(
            slept.elapsed() < crate::store::sqlite::BUSY_TIMEOUT,
            "the async thread sat in SQLite's busy wait"
        );
        assert!(
            !waiting.is_finished(),
            "the meeting did not wait for the lock"
        );
        other.execute_batch("COMMIT").unwrap();
        assert!(waiting.await.unwrap().unwrap());
        assert!(
            store
                .meeting(
                    &TenantId::default_tenant(),
                    &ChatId::parse("second").unwrap()
                )
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(store.commit_counts().meetings(), 2);
    }
}
