//! `icnode visit` and `icnode revoke`: clients of a running service's `/v1/visits` and of a
//! meeting's `revoke` (`icnode up` or `serve`), over HTTP with an API key, as any other
//! client. What it sends is the flags' text; the service checks it and names what it refuses,
//! and that answer is told on stderr: `400`, `404`, `413` and `422` (what was asked is wrong)
//! exit 2, as bad input does; any other refusal (`401`, `403`, `409`, `429`, `5xx`) or an
//! unreachable service exits 1, as a broker's refusal does. The API key is sent in its header and nowhere else: no message names it.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::CliError;
use crate::cli::{
    BookArgs, MoveArgs, Party, RevokeArgs, ServiceConnection, VisitCommand, VisitIdArgs,
    VisitListArgs,
};

/// How long a connection may take to be made.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a call may take, its answer read.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The most of an answer read: the service's pages are far smaller.
const MAX_ANSWER_BYTES: usize = 1 << 20;

pub async fn visit(command: VisitCommand) -> Result<(), CliError> {
    match command {
        VisitCommand::Book(args) => book(args).await,
        VisitCommand::Get(args) => {
            let answer = Service::new(&args.service)?
                .call(Method::GET, &visit_path(&args.id), &[], None)
                .await?;
            print_visit(&answer, args.json)
        }
        VisitCommand::List(args) => list(args).await,
        VisitCommand::Move(args) => reschedule(args).await,
        VisitCommand::Cancel(args) => cancel(args).await,
    }
}

/// `POST /v1/visits`: a body of the fields given, the others left to the service's defaults.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Booking<'a> {
    start: &'a str,
    end: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_zone: Option<&'a str>,
    hosts: &'a [Party],
    guests: &'a [Party],
    #[serde(skip_serializing_if = "Option::is_none")]
    reminders: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vertical: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<&'a str>,
}

/// `PATCH /v1/visits/{id}`: what is absent stays.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Reschedule<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    start: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_zone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reminders: Option<Vec<String>>,
}

async fn book(args: BookArgs) -> Result<(), CliError> {
    let service = Service::new(&args.service)?;
    let body = Booking {
        start: &args.start,
        end: &args.end,
        time_zone: args.schedule.time_zone.as_deref(),
        hosts: &args.hosts,
        guests: &args.guests,
        reminders: args.schedule.reminders(),
        vertical: args.vertical.map(instant_connect::Vertical::as_str),
        notes: args.notes.as_deref(),
    };
    let body = serde_json::to_value(&body).map_err(|e| CliError::runtime(&e))?;
    let answer = service
        .call(Method::POST, &["v1", "visits"], &[], Some(&body))
        .await?;
    print_visit(&answer, args.json)
}

async fn reschedule(args: MoveArgs) -> Result<(), CliError> {
    let service = Service::new(&args.service)?;
    let body = Reschedule {
        start: args.start.as_deref(),
        end: args.end.as_deref(),
        time_zone: args.schedule.time_zone.as_deref(),
        reminders: args.schedule.reminders(),
    };
    let body = serde_json::to_value(&body).map_err(|e| CliError::runtime(&e))?;
    let answer = service
        .call(Method::PATCH, &visit_path(&args.id), &[], Some(&body))
        .await?;
    print_visit(&answer, args.json)
}

async fn cancel(args: VisitIdArgs) -> Result<(), CliError> {
    let mut path = visit_path(&args.id);
    path.push("cancel");
    let answer = Service::new(&args.service)?
        .call(Method::POST, &path, &[], None)
        .await?;
    print_visit(&answer, args.json)
}

async fn list(args: VisitListArgs) -> Result<(), CliError> {
    let mut query = Vec::new();
    if let Some(limit) = args.limit {
        query.push(("limit", limit.to_string()));
    }
    if let Some(cursor) = &args.cursor {
        query.push(("cursor", cursor.clone()));
    }
    if let Some(state) = &args.state {
        query.push(("state", state.clone()));
    }
    let answer = Service::new(&args.service)?
        .call(Method::GET, &["v1", "visits"], &query, None)
        .await?;
    let page = Page::deserialize(&answer).map_err(unreadable)?;
    if let Some(cursor) = &page.next_cursor {
        eprintln!("icnode: more visits start later; the next page: add --cursor {cursor}");
    }
    if args.json {
        print_json(&answer)
    } else {
        print_page(&page);
        Ok(())
    }
}

/// `icnode revoke`: `POST /v1/meetings/{chatId}/revoke` with the scope the flags name.
pub async fn revoke(args: RevokeArgs) -> Result<(), CliError> {
    let mut body = serde_json::Map::new();
    if let Some(role) = &args.role {
        body.insert("role".into(), Value::String(role.clone()));
    }
    if let Some(link) = &args.link {
        body.insert("link".into(), Value::String(link.clone()));
    }
    let answer = Service::new(&args.service)?
        .call(
            Method::POST,
            &["v1", "meetings", &args.chat_id, "revoke"],
            &[],
            Some(&Value::Object(body)),
        )
        .await?;
    if args.json {
        return print_json(&answer);
    }
    let revoked = answer["revoked"].as_u64().ok_or_else(|| {
        CliError::Runtime("the service's answer is not what this version of icnode reads".into())
    })?;
    println!(
        "revoked {revoked} link{} of meeting {}",
        if revoked == 1 { "" } else { "s" },
        args.chat_id
    );
    Ok(())
}

/// The path of one visit; the id is one segment, escaped as one.
fn visit_path(id: &str) -> Vec<&str> {
    vec!["v1", "visits", id]
}

/// A running service, its key, and a client of it.
struct Service {
    base: url::Url,
    key: SecretString,
    client: reqwest::Client,
}

impl Service {
    fn new(connection: &ServiceConnection) -> Result<Self, CliError> {
        let key = connection.api_key.clone().ok_or_else(|| {
            CliError::Usage(
                "no API key: set ICNODE_API_KEY (`icnode keys create` makes one; `icnode up` \
                 writes one to <data-dir>/dev-api-key) or give --api-key"
                    .into(),
            )
        })?;
        if key.expose_secret().trim().is_empty() {
            return Err(CliError::Usage("the API key is empty".into()));
        }
        if connection.url.cannot_be_a_base() {
            return Err(CliError::Usage(format!(
                "--url must be an http(s) URL such as {}",
                crate::cli::DEFAULT_SERVICE_URL
            )));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| CliError::runtime(&e.without_url()))?;
        Ok(Self {
            base: connection.url.clone(),
            key,
            client,
        })
    }

    /// The service's JSON answer to a call, or its refusal told as a `CliError`.
    async fn call(
        &self,
        method: Method,
        path: &[&str],
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Value, CliError> {
        let mut url = self.base.clone();
        url.set_query(None);
        url.path_segments_mut()
            .map_err(|()| CliError::Usage("--url cannot be a base URL".into()))?
            .pop_if_empty()
            .extend(path);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mut request = self
            .client
            .request(method, url)
            .bearer_auth(self.key.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| self.failed(e))?;
        let status = response.status();
        let bytes = self.read(response).await?;
        if !status.is_success() {
            return Err(refusal(&self.shown(), status, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|_| {
            CliError::Runtime(format!(
                "the service at {} answered {} with a body that is not JSON",
                self.shown(),
                status.as_u16()
            ))
        })
    }

    /// An answer's body, up to [`MAX_ANSWER_BYTES`].
    async fn read(&self, mut response: reqwest::Response) -> Result<Vec<u8>, CliError> {
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.failed(e))? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > MAX_ANSWER_BYTES {
                return Err(CliError::Runtime(format!(
                    "the service at {} answered more than {} MiB",
                    self.shown(),
                    MAX_ANSWER_BYTES >> 20
                )));
            }
        }
        Ok(bytes)
    }

    /// A call that got no answer, with the URL it was sent to (without any credentials in it).
    fn failed(&self, error: reqwest::Error) -> CliError {
        let at = self.shown();
        let (timeout, connect) = (error.is_timeout(), error.is_connect());
        let why = resilience::report(&error.without_url());
        CliError::Runtime(if timeout {
            format!(
                "the service at {at} did not answer within {} s: {why}",
                REQUEST_TIMEOUT.as_secs()
            )
        } else if connect {
            format!("could not reach the service at {at}: {why}")
        } else {
            format!("the call to the service at {at} failed: {why}")
        })
    }

    /// The base URL as messages name it: no user or password, no query.
    fn shown(&self) -> String {
        let mut url = self.base.clone();
        let _ = url.set_password(None);
        let _ = url.set_username("");
        url.set_query(None);
        url.as_str().trim_end_matches('/').to_owned()
    }
}

/// The service's error body: `{"error": {code, message, field?, details?}}`.
#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: String,
    #[serde(default)]
    field: Option<String>,
}

/// A refusal, told with the service's message and the field it names; a body that is no error
/// of icnode's names the URL that answered it. What was asked being wrong exits 2; anything
/// else 1.
fn refusal(at: &str, status: StatusCode, body: &[u8]) -> CliError {
    let code = status.as_u16();
    let said = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(ErrorBody { error }) => {
            // The field is named once: after the message, unless the message names it.
            let field = match error.field {
                Some(field) if !error.message.contains(field.as_str()) => {
                    format!(" (field `{field}`)")
                }
                _ => String::new(),
            };
            format!("the service answered {code}: {}{field}", error.message)
        }
        Err(_) => format!(
            "the service at {at} answered {code}, not with an error of icnode's (is that an icnode service?)"
        ),
    };
    match status {
        StatusCode::BAD_REQUEST
        | StatusCode::NOT_FOUND
        | StatusCode::PAYLOAD_TOO_LARGE
        | StatusCode::UNPROCESSABLE_ENTITY => CliError::Usage(said),
        _ => CliError::Runtime(said),
    }
}

fn unreadable(error: serde_json::Error) -> CliError {
    CliError::Runtime(format!(
        "the service's answer is not what this version of icnode reads: {error}"
    ))
}

fn print_json(answer: &Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(answer).map_err(|e| CliError::runtime(&e))?;
    println!("{text}");
    Ok(())
}

/// What the summary of a visit shows, read from the service's answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Shown {
    id: String,
    state: String,
    start: String,
    end: String,
    #[serde(default)]
    time_zone: Option<String>,
    sequence: i64,
    links: LinksShown,
    #[serde(default)]
    hosts: Vec<PartyShown>,
    #[serde(default)]
    guests: Vec<PartyShown>,
    #[serde(default)]
    jobs: Vec<JobShown>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LinksShown {
    made_at: String,
    not_before: String,
    expires_at: String,
}

#[derive(Deserialize)]
struct PartyShown {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    link: Option<LinkShown>,
}

#[derive(Deserialize)]
struct LinkShown {
    url: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobShown {
    kind: String,
    #[serde(default)]
    detail: Option<String>,
    due_at: String,
    state: String,
    #[serde(default)]
    last_error: Option<String>,
}

/// A visit as the service's JSON or as a short summary.
fn print_visit(answer: &Value, json: bool) -> Result<(), CliError> {
    if json {
        return print_json(answer);
    }
    let visit = Shown::deserialize(answer).map_err(unreadable)?;
    let zone = visit
        .time_zone
        .as_deref()
        .map_or_else(String::new, |zone| format!(" ({zone})"));
    println!(
        "visit {}  {}  sequence {}",
        visit.id, visit.state, visit.sequence
    );
    println!("  when    {} – {}{zone}", visit.start, visit.end);
    println!(
        "  links   made at {}, work {} – {}",
        visit.links.made_at, visit.links.not_before, visit.links.expires_at
    );
    let hosts = visit.hosts.iter().map(|party| ("host", party));
    let guests = visit.guests.iter().map(|party| ("guest", party));
    for (role, party) in hosts.chain(guests) {
        let name = party.name.as_deref().unwrap_or("(no name)");
        let link = party
            .link
            .as_ref()
            .map_or("(link not made yet)", |link| link.url.as_str());
        println!("  {role:<7} {name:<24} {link}");
    }
    for job in &visit.jobs {
        let kind = match &job.detail {
            Some(detail) => format!("{} {detail}", job.kind),
            None => job.kind.clone(),
        };
        let why = job
            .last_error
            .as_deref()
            .map_or_else(String::new, |error| format!("  {error}"));
        println!("  job     {kind:<24} {}  {}{why}", job.due_at, job.state);
    }
    Ok(())
}

/// A page of visits, as the service's `VisitPage`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    items: Vec<Summary>,
    #[serde(default)]
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct Summary {
    id: String,
    state: String,
    start: String,
    end: String,
    hosts: usize,
    guests: usize,
}

fn print_page(page: &Page) {
    let width = page
        .items
        .iter()
        .map(|visit| visit.id.len())
        .max()
        .unwrap_or(0)
        .max(2);
    println!(
        "{:<width$}  {:<11}  {:<20}  {:<20}  HOSTS  GUESTS",
        "ID", "STATE", "START", "END"
    );
    for visit in &page.items {
        println!(
            "{:<width$}  {:<11}  {:<20}  {:<20}  {:<5}  {}",
            visit.id, visit.state, visit.start, visit.end, visit.hosts, visit.guests
        );
    }
}
