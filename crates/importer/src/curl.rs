//! A curl command line as a node of one method: `-X`, the URL (its query as rows), `-H`,
//! `-d`/`--data*`/`--data-urlencode`/`--json`, `-u` with `--basic`/`--digest`, `-G`,
//! `--oauth2-bearer`, `--max-time` and `--connect-timeout`; other options are listed as not
//! carried over. A literal credential (an `Authorization` header, a `-u` password, a key in the
//! query or body) becomes a secret, named in a note.

use crate::{
    Draft, ImportError, Imported, Resolve, Session, Var, absolute_url, body, convert,
    credential_secret, field_name, form_template, json_template, row,
};
use node::model::{AuthValue, Authorization, BodyFormat, HttpMethod, MAX_TIMEOUT_MS, Row};
use node::template::SECRET_PREFIX;

/// A curl line has no variables of its own; `{{var}}` (as Postman writes its curl) is a
/// dynamic field, or a secret where a credential stands.
struct Fields;

impl Resolve for Fields {
    fn var(&mut self, name: &str, credential: bool, place: &str, session: &mut Session) -> Var {
        if credential || node::check::credentials::is_credential_name(name) {
            Var::Secret(session.secret_for_variable(name, place))
        } else {
            Var::Field(field_name(name))
        }
    }
}

/// Options that take a value and are read.
const READ: &[&str] = &[
    "-X",
    "--request",
    "-H",
    "--header",
    "-d",
    "--data",
    "--data-ascii",
    "--data-binary",
    "--data-raw",
    "--data-urlencode",
    "--json",
    "-u",
    "--user",
    "--url",
    "-A",
    "--user-agent",
    "-e",
    "--referer",
    "-b",
    "--cookie",
    "-m",
    "--max-time",
    "--connect-timeout",
    "--oauth2-bearer",
    "--aws-sigv4",
    "-F",
    "--form",
    "--form-string",
];

/// Options that take a value and are not carried over.
const IGNORED_WITH_VALUE: &[&str] = &[
    "-o",
    "--output",
    "-x",
    "--proxy",
    "-w",
    "--write-out",
    "--cacert",
    "--capath",
    "--cert",
    "-E",
    "--key",
    "--cert-type",
    "--key-type",
    "--retry",
    "--retry-delay",
    "--retry-max-time",
    "--resolve",
    "--connect-to",
    "-c",
    "--cookie-jar",
    "-T",
    "--upload-file",
    "--limit-rate",
    "-r",
    "--range",
    "--proto",
    "--interface",
    "-K",
    "--config",
    "-D",
    "--dump-header",
    "--tls-max",
    "--ciphers",
    "--max-redirs",
    "--trace",
    "--trace-ascii",
    "--stderr",
];

/// Flags (no value) that change nothing a node does, said nothing about.
const QUIET_FLAGS: &[&str] = &[
    "-s",
    "--silent",
    "-S",
    "--show-error",
    "-v",
    "--verbose",
    "-i",
    "--include",
    "-L",
    "--location",
    "--compressed",
    "-f",
    "--fail",
    "--fail-with-body",
    "-N",
    "--no-buffer",
    "--http1.1",
    "--http2",
    "-#",
    "--progress-bar",
    "-g",
    "--globoff",
];

/// What the words of the line said.
#[derive(Default)]
struct Line {
    method: Option<String>,
    urls: Vec<String>,
    headers: Vec<(String, String)>,
    /// Pieces of the body, each already in curl's wire form, joined with `&`.
    data: Vec<String>,
    json: bool,
    get: bool,
    user: Option<String>,
    digest: bool,
    bearer: Option<String>,
    max_time: Option<String>,
    connect_timeout: Option<String>,
    /// `--aws-sigv4`'s `provider1[:provider2[:region[:service]]]`.
    aws: Option<String>,
    /// `-F name=value` parts.
    parts: Vec<(String, String)>,
}

/// A curl command line as a node definition with one method.
pub fn curl(text: &str, name: Option<&str>) -> Result<Imported, ImportError> {
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    let words = shlex::split(&joined)
        .ok_or_else(|| ImportError::NotCurl("a quote is not closed".to_owned()))?;
    let mut words = words.into_iter().peekable();
    match words.peek().map(String::as_str) {
        Some("curl") => {
            words.next();
        }
        Some(first) if first.ends_with("/curl") => {
            words.next();
        }
        // Only curl's arguments, pasted without the program: an option or a URL first.
        Some(first) if first.starts_with('-') || first.contains("://") => {}
        Some(first) => {
            return Err(ImportError::NotCurl(format!(
                "it starts with `{first}`, not `curl`"
            )));
        }
        None => return Err(ImportError::NotCurl("the line is empty".to_owned())),
    }
    let mut session = Session::default();
    let mut line = Line::default();
    let words: Vec<String> = words.collect();
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        i += 1;
        if !word.starts_with('-') || word == "-" {
            line.urls.push(word.clone());
            continue;
        }
        // `-XPOST`, `-H'Accept: x'`: a short option with its value attached; `-sSL`: flags.
        let (option, attached) = split_short(word);
        if !word.starts_with("--") && word.len() > 2 && !takes_value(&option) {
            for flag in word[1..].chars() {
                flag_option(&format!("-{flag}"), &mut line, &mut session);
            }
            continue;
        }
        if takes_value(&option) {
            let value = match attached {
                Some(value) => value,
                None if i < words.len() => {
                    i += 1;
                    words[i - 1].clone()
                }
                None => {
                    return Err(ImportError::NotCurl(format!("`{option}` needs a value")));
                }
            };
            value_option(&option, value, &mut line, &mut session);
        } else {
            flag_option(&option, &mut line, &mut session);
        }
    }
    let method = method(line, &mut session)?;
    let node_name = name.map(str::to_owned).unwrap_or_else(|| {
        url::Url::parse(&method.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default()
    });
    crate::finish(&node_name, String::new(), vec![method], session)
}

/// `-XPOST` → (`-X`, `POST`); `-sS` → (`-s`, none); a long option: (itself, none).
fn split_short(word: &str) -> (String, Option<String>) {
    // Where the option's one letter ends: a letter need not be one byte (`-é`).
    let end = word.char_indices().nth(2).map(|(at, _)| at);
    let Some(end) = end.filter(|_| !word.starts_with("--")) else {
        return (word.to_owned(), None);
    };
    let option = word[..end].to_owned();
    let attached = takes_value(&option).then(|| word[end..].to_owned());
    (option, attached)
}

fn takes_value(option: &str) -> bool {
    READ.contains(&option) || IGNORED_WITH_VALUE.contains(&option)
}

fn flag_option(option: &str, line: &mut Line, session: &mut Session) {
    match option {
        "-G" | "--get" => line.get = true,
        "--digest" => line.digest = true,
        "--basic" => line.digest = false,
        "-I" | "--head" => line.method = Some("HEAD".to_owned()),
        "-k" | "--insecure" => session.note(
            "`--insecure`: a node always verifies the server's certificate; not carried over",
        ),
        _ if QUIET_FLAGS.contains(&option) => {}
        other => session.note(format!("curl option `{other}` is not carried over")),
    }
}

fn value_option(option: &str, value: String, line: &mut Line, session: &mut Session) {
    match option {
        "-X" | "--request" => line.method = Some(value.to_ascii_uppercase()),
        "--url" => line.urls.push(value),
        "-H" | "--header" => match value.split_once(':') {
            Some((name, v)) => line
                .headers
                .push((name.trim().to_owned(), v.trim().to_owned())),
            None => session.note(format!("header `{value}` has no `:`: not carried over")),
        },
        "-A" | "--user-agent" => line.headers.push(("User-Agent".to_owned(), value)),
        "-e" | "--referer" => line.headers.push(("Referer".to_owned(), value)),
        "-b" | "--cookie" if value.contains('=') => {
            line.headers.push(("Cookie".to_owned(), value));
        }
        "-b" | "--cookie" => session.note("a cookie file (`-b FILE`) is not carried over"),
        "-d" | "--data" | "--data-ascii" | "--data-binary" | "--json" if value.starts_with('@') => {
            session.note(format!(
                "`{option} {value}` reads a file: the body is not carried over"
            ));
            if option == "--json" {
                line.json = true;
            }
        }
        "-d" | "--data" | "--data-ascii" => {
            // curl drops carriage returns and newlines from `-d` data.
            line.data.push(value.replace(['\r', '\n'], ""));
        }
        "--data-binary" | "--data-raw" => line.data.push(value),
        "--json" => {
            line.json = true;
            line.data.push(value);
        }
        "--data-urlencode" => line.data.push(urlencode_data(&value, session)),
        "-u" | "--user" => line.user = Some(value),
        "--oauth2-bearer" => line.bearer = Some(value),
        "-m" | "--max-time" => line.max_time = Some(value),
        "--connect-timeout" => line.connect_timeout = Some(value),
        "--aws-sigv4" => line.aws = Some(value),
        "-F" | "--form" | "--form-string" => match value.split_once('=') {
            Some((name, content))
                if option == "--form-string" || !content.starts_with(['@', '<']) =>
            {
                line.parts.push((name.to_owned(), content.to_owned()));
            }
            _ => session.note(format!(
                "`{option} {value}` sends a file: not carried over (a node's parts are text)"
            )),
        },
        other => session.note(format!("curl option `{other}` is not carried over")),
    }
}

/// `--data-urlencode`'s forms: `content`, `=content`, `name=content` (`@file` forms are not
/// carried over).
fn urlencode_data(value: &str, session: &mut Session) -> String {
    let encode = |t: &str| url::form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>();
    if let Some(content) = value.strip_prefix('=') {
        return encode(content);
    }
    match value.split_once('=') {
        Some((name, content)) if !name.contains('@') => format!("{name}={}", encode(content)),
        _ if value.contains('@') => {
            session.note(format!(
                "`--data-urlencode {value}` reads a file: not carried over"
            ));
            String::new()
        }
        _ => encode(value),
    }
}

/// Seconds (curl's unit, fractions allowed) as milliseconds within a node's limits.
fn timeout_ms(seconds: &str, what: &str, default: u32, session: &mut Session) -> u32 {
    match seconds.trim().parse::<f64>() {
        Ok(s) if s > 0.0 => {
            let ms = (s * 1000.0).round();
            if ms > f64::from(MAX_TIMEOUT_MS) {
                session.note(format!(
                    "the {what} of {seconds} s is more than a node allows: {MAX_TIMEOUT_MS} ms"
                ));
                MAX_TIMEOUT_MS
            } else {
                (ms as u32).max(1)
            }
        }
        _ => {
            session.note(format!(
                "the {what} `{seconds}` is not a number of seconds: {default} ms"
            ));
            default
        }
    }
}

fn method(line: Line, session: &mut Session) -> Result<node::model::Method, ImportError> {
    let mut vars = Fields;
    let Some(raw_url) = line.urls.first() else {
        return Err(ImportError::NotCurl("it has no URL".to_owned()));
    };
    if line.urls.len() > 1 {
        session.note(format!(
            "only the first URL is carried over; left out: {}",
            line.urls[1..].join(", ")
        ));
    }
    let has_data = !line.data.is_empty();
    let verb = line.method.clone().unwrap_or_else(|| {
        if (has_data && !line.get) || !line.parts.is_empty() {
            "POST".to_owned()
        } else {
            "GET".to_owned()
        }
    });
    let http_method = match verb.as_str() {
        "GET" => HttpMethod::Get,
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "PATCH" => HttpMethod::Patch,
        "DELETE" => HttpMethod::Delete,
        other => {
            return Err(ImportError::NotCurl(format!(
                "{other} is not a method a node can send (GET, POST, PUT, PATCH, DELETE)"
            )));
        }
    };
    let (base, query) = match raw_url.split_once('?') {
        Some((base, query)) => (base, Some(query.split('#').next().unwrap_or(""))),
        None => (raw_url.split('#').next().unwrap_or(""), None),
    };
    let url = convert(base, false, "the URL", &mut vars, session, &|t| {
        t.to_owned()
    });
    let url = absolute_url(&url, "http", session);
    let path = url::Url::parse(&url)
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|_| "/".to_owned());
    let mut draft = Draft::new(&format!("{verb} {path}"), http_method, url);

    let mut pairs: Vec<(String, String)> = query.into_iter().flat_map(decoded_pairs).collect();
    if line.get && has_data {
        pairs.extend(decoded_pairs(&line.data.join("&")));
    }
    for (key, value) in pairs {
        let row = row(&key, &value, "URL parameter", &mut vars, session);
        draft.url_parameters.push(row);
    }
    if line.json {
        line_header(&mut draft.headers, "Content-Type", "application/json");
        line_header(&mut draft.headers, "Accept", "application/json");
    }
    for (key, value) in &line.headers {
        let row = row(key, value, "header", &mut vars, session);
        draft
            .headers
            .retain(|h| !h.name().eq_ignore_ascii_case(key));
        draft.headers.push(row);
    }
    if let Some(token) = &line.bearer {
        let secret = credential_secret(
            token,
            "bearer_token",
            "`--oauth2-bearer`",
            &mut vars,
            session,
        );
        draft
            .headers
            .retain(|h| !h.name().eq_ignore_ascii_case("authorization"));
        draft.headers.push(Row::Static {
            name: "Authorization".to_owned(),
            value: format!("Bearer $({SECRET_PREFIX}{secret})"),
        });
    }
    if let Some(aws) = &line.aws {
        aws_authorization(&mut draft, aws, line.user.as_deref(), &mut vars, session);
    } else if let Some(user) = &line.user {
        let kind = if line.digest { "digest" } else { "basic" };
        let (username, password) = match user.split_once(':') {
            Some((username, password)) => (username, password),
            None => {
                session.note("`-u` gives no password (curl would ask for one)");
                (user.as_str(), "")
            }
        };
        let secret = credential_secret(
            password,
            &format!("{kind}_password"),
            "the `-u` password",
            &mut vars,
            session,
        );
        let username = AuthValue::Static {
            value: convert(username, false, "the `-u` user", &mut vars, session, &|t| {
                t.to_owned()
            }),
        };
        let password = AuthValue::Static {
            value: format!("$({SECRET_PREFIX}{secret})"),
        };
        draft.authorization = Some(if line.digest {
            Authorization::Digest { username, password }
        } else {
            Authorization::Basic { username, password }
        });
        let before = draft.headers.len();
        draft
            .headers
            .retain(|h| !h.name().eq_ignore_ascii_case("authorization"));
        if before != draft.headers.len() {
            session.note("the Authorization header is left out: `-u` sends it");
        }
    }
    if let Some(seconds) = &line.max_time {
        draft.request_timeout_ms =
            timeout_ms(seconds, "--max-time", crate::REQUEST_TIMEOUT_MS, session);
    }
    if let Some(seconds) = &line.connect_timeout {
        draft.connection_timeout_ms = timeout_ms(
            seconds,
            "--connect-timeout",
            crate::CONNECTION_TIMEOUT_MS,
            session,
        );
    }

    if !line.parts.is_empty() {
        let mut multipart = body(BodyFormat::Multipart, String::new());
        for (name, value) in &line.parts {
            multipart
                .parts
                .push(row(name, value, "body part", &mut vars, session));
        }
        draft.body = Some(multipart);
    } else if has_data && !line.get {
        let data = line.data.join("&");
        let content_type = line
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.to_ascii_lowercase())
            .unwrap_or_else(|| {
                if line.json {
                    "application/json".to_owned()
                } else {
                    String::new()
                }
            });
        let looks_json = matches!(data.trim_start().chars().next(), Some('{' | '['));
        if content_type.contains("json") || (content_type.is_empty() && looks_json) {
            match json_template(&data, &mut vars, session) {
                Some(template) => {
                    if content_type.is_empty() {
                        session.note(
                            "the data is JSON but no Content-Type says so (curl would send it as \
                             a form): the node sends it as JSON",
                        );
                    }
                    draft.body = Some(body(BodyFormat::Json, template));
                }
                None => {
                    session.note("the data is not JSON: sent as text");
                    let template = convert(&data, false, "the body", &mut vars, session, &|t| {
                        t.to_owned()
                    });
                    draft.body = Some(body(BodyFormat::Text, template));
                }
            }
        } else if content_type.is_empty() || content_type.contains("x-www-form-urlencoded") {
            let pairs = decoded_pairs(&data);
            let template = form_template(&pairs, &mut vars, session);
            draft.body = Some(body(BodyFormat::Form, template));
        } else {
            let template = convert(&data, false, "the body", &mut vars, session, &|t| {
                t.to_owned()
            });
            draft.body = Some(body(BodyFormat::Text, template));
        }
    }
    Ok(draft.finish())
}

/// `--aws-sigv4 aws:amz:REGION:SERVICE` with `-u ACCESS:SECRET`: AWS Signature Version 4; the
/// secret key (and an `x-amz-security-token` header) secrets.
fn aws_authorization(
    draft: &mut Draft,
    aws: &str,
    user: Option<&str>,
    vars: &mut Fields,
    session: &mut Session,
) {
    let mut fields = aws.split(':').skip(2);
    let mut name = |what: &str, default: &str, value: Option<&str>| match value {
        Some(value) if !value.is_empty() => value.to_owned(),
        _ => {
            session.note(format!(
                "`--aws-sigv4 {aws}` names no {what}: `{default}`; edit it"
            ));
            default.to_owned()
        }
    };
    let region = name("region", "us-east-1", fields.next());
    let service = name("service", "execute-api", fields.next());
    let (access, secret) = user
        .and_then(|u| u.split_once(':'))
        .unwrap_or((user.unwrap_or(""), ""));
    let secret_key = credential_secret(
        secret,
        "aws_secret_key",
        "the `-u` secret key",
        vars,
        session,
    );
    let token_header = draft
        .headers
        .iter()
        .position(|h| h.name().eq_ignore_ascii_case("x-amz-security-token"));
    let session_token = token_header.map(|k| {
        let row = draft.headers.remove(k);
        match row {
            Row::Static { value, .. } => AuthValue::Static { value },
            Row::Dynamic { .. } => AuthValue::Dynamic {
                field: row.field().unwrap_or_default().to_owned(),
            },
        }
    });
    draft.authorization = Some(Authorization::Aws {
        access_key: AuthValue::Static {
            value: convert(access, false, "the `-u` access key", vars, session, &|t| {
                t.to_owned()
            }),
        },
        secret_key: AuthValue::Static {
            value: format!("$({SECRET_PREFIX}{secret_key})"),
        },
        session_token,
        region,
        service,
    });
}

fn line_header(headers: &mut Vec<Row>, name: &str, value: &str) {
    headers.push(Row::Static {
        name: name.to_owned(),
        value: value.to_owned(),
    });
}

/// `a=1&b=x%20y` as decoded pairs; `{{var}}` is kept as written.
fn decoded_pairs(text: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(text.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}
