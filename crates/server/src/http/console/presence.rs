//! The console's live parts: who is in a meeting (on the meeting's and its visit's pages) and
//! the meetings where a guest waits now (on the meetings page). The pages reload them when an
//! event about them comes down `GET /v1/events` (`data-live` in the page, the script follows).

use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

use super::layout::{error_fragment, markup, segment};
use crate::domain::EventType;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::keys::Caller;
use crate::meetings::MeetingError;

/// The events after which a meeting's presence is read again.
const MEETING_EVENTS: [EventType; 5] = [
    EventType::GuestWaiting,
    EventType::HostJoined,
    EventType::MeetingEnded,
    EventType::LinkOpened,
    EventType::LinksAdded,
];
/// The events after which "waiting now" is read again.
const WAITING_EVENTS: [EventType; 3] = [
    EventType::GuestWaiting,
    EventType::HostJoined,
    EventType::MeetingEnded,
];

fn words(events: &[EventType]) -> String {
    events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// " since <time>", in the reader's zone, when there is a time.
fn since(at: Option<i64>) -> Markup {
    html! {
        @if let Some(at) = at {
            @let at = instant_connect::rfc3339(at);
            " since " time datetime=(at) data-local { (at) }
        }
    }
}

/// Where a page shows who is in meeting `chat_id`, read again as it changes.
pub(super) fn meeting_presence(chat_id: &str) -> Markup {
    let fragment = format!("/console/f/meetings/{}/presence", segment(chat_id));
    html! {
        section #presence aria-labelledby="presence-title" role="status"
            data-load=(fragment) data-live=(words(&MEETING_EVENTS)) data-live-chat=(chat_id) {
            p { "Loading…" }
        }
    }
}

/// Where the meetings page shows the meetings a guest waits in, read again as they change.
pub(super) fn waiting_now() -> Markup {
    html! {
        section #waiting aria-labelledby="waiting-title" role="status"
            data-load="/console/f/waiting" data-live=(words(&WAITING_EVENTS)) {
            p { "Loading…" }
        }
    }
}

/// Who is in a meeting, and how often its links were opened.
pub(super) async fn presence(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(chat_id): Path<String>,
) -> Response {
    let found = match state.meetings.get(&caller, &chat_id).await {
        Ok(found) => found,
        // A visit's page asks before its links are made.
        Err(MeetingError::NotFound(_)) => {
            return markup(
                StatusCode::OK,
                html! { h2 #presence-title { "Who is in" } p { "No links made yet." } },
            );
        }
        Err(error) => return error_fragment(ApiError::from(error)),
    };
    let opens: i64 = found.links.iter().map(|l| l.opens).sum();
    markup(
        StatusCode::OK,
        html! {
            h2 #presence-title { "Who is in" }
            @match &found.room {
                Some(room) if room.room.guest_waiting() => p #presence-state .waiting {
                    strong { "A guest is waiting" }
                    (since(room.waiting_since))
                    " (" (room.room.guests()) " in, no host)."
                },
                Some(room) if room.room.hosts() + room.room.guests() > 0 => p #presence-state {
                    "In the meeting: " (room.room.hosts()) " host(s), " (room.room.guests()) " guest(s)."
                },
                Some(_) => p #presence-state { "Everyone has left." },
                None => p #presence-state { "Nobody has joined yet." },
            }
            p #link-opens { "Links opened: " (opens) }
        },
    )
}

/// The meetings where guests wait with no host, the longest waiting first.
pub(super) async fn waiting(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let rooms = match state.meetings.waiting(&caller).await {
        Ok(rooms) => rooms,
        Err(error) => return error_fragment(ApiError::from(error)),
    };
    markup(
        StatusCode::OK,
        html! {
            h2 #waiting-title { "Waiting now" }
            @if rooms.is_empty() {
                p { "No guest is waiting." }
            } @else {
                ul #waiting-list {
                    @for room in &rooms {
                        li {
                            a href={ "/meetings/" (segment(room.chat_id.as_str())) } { (room.chat_id.as_str()) }
                            ": " (room.room.guests()) " guest(s) waiting"
                            (since(room.waiting_since))
                        }
                    }
                }
            }
        },
    )
}
