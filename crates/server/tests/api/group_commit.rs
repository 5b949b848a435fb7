//! Group commit on both databases: meetings written at once share commits, each keeps its own
//! answer, and none is lost. Exact batches are pinned by the store's unit tests (on a
//! current-thread runtime); here the writer runs beside the senders, as in the service, so
//! the tests assert what holds however the meetings fall into batches.

use server::store::{LinkRow, MeetingRow};
use tokio::task::JoinSet;

use crate::{Db, spawn_app};

fn meeting(chat_id: &str) -> MeetingRow {
    MeetingRow {
        chat_id: chat_id.to_owned(),
        created_by: "test".into(),
        vertical: "hc".into(),
        host_login: true,
        short_urls: false,
        not_before: None,
        expires_at: 2_000_000_000,
        created_at_ms: 1_000,
    }
}

fn links_of(chat_id: &str) -> Vec<LinkRow> {
    ["host", "guest"]
        .into_iter()
        .enumerate()
        .map(|(position, role)| LinkRow {
            id: format!("{chat_id}-{role}"),
            role: role.into(),
            issued_at_ms: 1_000,
            position: position as i64,
            cipher: format!("cipher-{chat_id}-{role}"),
            short: None,
            short_url: None,
            long_url: format!("https://join.example/{chat_id}/{role}"),
            not_before: None,
            expires_at: 2_000_000_000,
        })
        .collect()
}

async fn meetings_written_at_once_are_all_kept_in_fewer_commits(db: Db) {
    let app = spawn_app(db).await;
    let counts = app.store.commit_counts();
    let before = (counts.commits(), counts.meetings());
    let crowd = 100;
    let mut writes = JoinSet::new();
    // crowd-0 twice, the second with other links: one of the two is refused, nothing of it
    // written.
    let chat_ids = (0..crowd).map(|i| (format!("crowd-{i}"), format!("crowd-{i}")));
    for (chat_id, links) in chat_ids.chain([("crowd-0".to_owned(), "crowd-x".to_owned())]) {
        let store = app.store.clone();
        writes.spawn(async move {
            store
                .insert_meeting(&meeting(&chat_id), &links_of(&links))
                .await
        });
    }
    let mut new = 0;
    while let Some(written) = writes.join_next().await {
        new += usize::from(written.unwrap().unwrap());
    }
    assert_eq!(new, crowd, "every chat id once");
    let commits = counts.commits() - before.0;
    assert_eq!(counts.meetings() - before.1, crowd as u64);
    assert!(
        commits < crowd as u64,
        "{commits} commits for {crowd} meetings sent at once"
    );
    for i in 0..crowd {
        let chat_id = format!("crowd-{i}");
        assert!(app.store.meeting(&chat_id).await.unwrap().is_some());
        let links = app.store.links(&chat_id).await.unwrap();
        assert_eq!(links.len(), 2, "{chat_id}");
        let expected = if links[0].id.starts_with("crowd-x-") && i == 0 {
            "crowd-x" // the second crowd-0 won; the first's links were not written
        } else {
            &chat_id
        };
        let ids: Vec<&str> = links.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(
            ids,
            [format!("{expected}-host"), format!("{expected}-guest")]
        );
    }
}

async fn a_meeting_whose_write_fails_fails_no_other_written_beside_it(db: Db) {
    let app = spawn_app(db).await;
    assert!(
        app.store
            .insert_meeting(&meeting("first"), &links_of("first"))
            .await
            .unwrap()
    );
    // A link id already taken fails its INSERT, and with it a transaction it shares.
    let mut clash = links_of("clash");
    clash[0].id = "first-host".into();
    let (clash_meeting, fine_meeting, fine) = (meeting("clash"), meeting("fine"), links_of("fine"));
    let (clashed, fine) = tokio::join!(
        app.store.insert_meeting(&clash_meeting, &clash),
        app.store.insert_meeting(&fine_meeting, &fine),
    );
    assert!(clashed.is_err());
    assert!(fine.unwrap());
    assert!(app.store.meeting("clash").await.unwrap().is_none());
    assert!(app.store.links("clash").await.unwrap().is_empty());
    assert_eq!(app.store.links("fine").await.unwrap().len(), 2);
    assert_eq!(app.store.links("first").await.unwrap().len(), 2);
}

crate::on_both_databases!(
    meetings_written_at_once_are_all_kept_in_fewer_commits,
    a_meeting_whose_write_fails_fails_no_other_written_beside_it,
);
