//! A curl line read: its words (as a POSIX shell splits them), and what each option says,
//! gathered in a [`Line`]. Options that take a value are known by name, whether read or not.

use crate::bodies::form_encoded;
use crate::imported::ImportError;
use crate::session::Session;

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
pub(super) struct Line {
    pub method: Option<String>,
    pub urls: Vec<String>,
    pub headers: Vec<(String, String)>,
    /// Pieces of the body, each already in curl's wire form, joined with `&`.
    pub data: Vec<String>,
    pub json: bool,
    pub get: bool,
    pub user: Option<String>,
    pub digest: bool,
    pub bearer: Option<String>,
    pub max_time: Option<String>,
    pub connect_timeout: Option<String>,
    /// `--aws-sigv4`'s `provider1[:provider2[:region[:service]]]`.
    pub aws: Option<String>,
    /// `-F name=value` parts.
    pub parts: Vec<(String, String)>,
}

/// The words of a curl line after the program's name (a line may be curl's arguments alone).
pub(super) fn words(text: &str) -> Result<Vec<String>, ImportError> {
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
    Ok(words.collect())
}

impl Line {
    /// What the words say, option by option.
    pub(super) fn read(words: &[String], session: &mut Session) -> Result<Self, ImportError> {
        let mut line = Line::default();
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
            // Short flags are read one by one, a lone one (`-s`) as a run of one.
            if !word.starts_with("--") && !takes_value(&option) {
                for flag in word[1..].chars() {
                    flag_option(&format!("-{flag}"), &mut line, session);
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
                value_option(&option, value, &mut line, session);
            } else {
                flag_option(&option, &mut line, session);
            }
        }
        Ok(line)
    }
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
        "-k" | "--insecure" => session.left_out(
            "`--insecure`: a node always verifies the server's certificate; not carried over",
        ),
        _ if QUIET_FLAGS.contains(&option) => {}
        other => session.left_out(format!("curl option `{other}` is not carried over")),
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
            None => session.left_out(format!("header `{value}` has no `:`: not carried over")),
        },
        "-A" | "--user-agent" => line.headers.push(("User-Agent".to_owned(), value)),
        "-e" | "--referer" => line.headers.push(("Referer".to_owned(), value)),
        "-b" | "--cookie" if value.contains('=') => {
            line.headers.push(("Cookie".to_owned(), value));
        }
        "-b" | "--cookie" => session.left_out("a cookie file (`-b FILE`) is not carried over"),
        "-d" | "--data" | "--data-ascii" | "--data-binary" | "--json" if value.starts_with('@') => {
            session.left_out(format!(
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
            _ => session.left_out(format!(
                "`{option} {value}` sends a file: not carried over (a node's parts are text)"
            )),
        },
        other => session.left_out(format!("curl option `{other}` is not carried over")),
    }
}

/// `--data-urlencode`'s forms: `content`, `=content`, `name=content` (`@file` forms are not
/// carried over).
fn urlencode_data(value: &str, session: &mut Session) -> String {
    if let Some(content) = value.strip_prefix('=') {
        return form_encoded(content);
    }
    match value.split_once('=') {
        Some((name, content)) if !name.contains('@') => format!("{name}={}", form_encoded(content)),
        _ if value.contains('@') => {
            session.left_out(format!(
                "`--data-urlencode {value}` reads a file: not carried over"
            ));
            String::new()
        }
        _ => form_encoded(value),
    }
}
