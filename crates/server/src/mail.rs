//! Email out: a visit's messages over SMTP (`--smtp-url`), or as `.eml` files in an outbox
//! directory (what `icnode up` does by default, shown in the console), through `lettre`.
//!
//! A message is a text part and its calendar invitation (`text/calendar` with its method, also
//! named `invite.ics`), from the service's address to one person. What it says is
//! `crate::messages`'; its invitation `crate::calendar`'s.

use std::path::PathBuf;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::calendar::Method;

/// Where email goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTransport {
    /// Nowhere: a message is recorded as not sent, saying so.
    None,
    /// `.eml` files in this directory.
    Outbox(PathBuf),
    /// An SMTP server: `smtp://host:port` (STARTTLS when offered, `?tls=required` to insist),
    /// `smtps://host:port` (TLS from the start), with `user:password@` when it asks.
    Smtp(String),
}

/// What the service is told about email.
#[derive(Clone, PartialEq, Eq)]
pub struct MailSettings {
    pub transport: MailTransport,
    /// Who messages are from: `Name <address>` or an address.
    pub from: String,
}

/// The URL's password is never shown.
impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let transport = match &self.transport {
            MailTransport::Smtp(url) => format!("Smtp({})", crate::store::redact_url(url)),
            other => format!("{other:?}"),
        };
        f.debug_struct("MailSettings")
            .field("transport", &transport)
            .field("from", &self.from)
            .finish()
    }
}

/// The address messages come from unless the service is told one.
pub const DEFAULT_FROM: &str = "icnode <visits@icnode.invalid>";

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            transport: MailTransport::None,
            from: DEFAULT_FROM.to_owned(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail sender `{0}` is not an address such as `icnode <visits@example.com>`")]
    From(String),
    #[error("the SMTP URL is not one (smtp://host:port or smtps://host:port)")]
    SmtpUrl(#[source] lettre::transport::smtp::Error),
    #[error("`{0}` is not an address mail can be sent to")]
    To(String),
    #[error("the message could not be made")]
    Build(#[from] lettre::error::Error),
    #[error("the SMTP server did not take it")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("the mail outbox {} could not be made", .dir.display())]
    OutboxDir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the outbox could not be written")]
    Outbox(#[from] lettre::transport::file::Error),
    #[error("the service sends no email: start it with --smtp-url (or --mail-outbox)")]
    NotConfigured,
}

enum Transport {
    None,
    Outbox(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// Sends messages; cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    transport: std::sync::Arc<Transport>,
    from: Mailbox,
    outbox: Option<PathBuf>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.email.to_string())
            .field("outbox", &self.outbox)
            .finish_non_exhaustive()
    }
}

/// One message to one person.
#[derive(Debug, Clone)]
pub struct Email {
    /// Stable per message: a second attempt of the same message carries the same id.
    pub id: String,
    pub to_name: Option<String>,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub calendar: Option<(Method, String)>,
}

impl Mailer {
    /// Checks the sender and the transport; an outbox directory is made when missing.
    pub fn new(settings: &MailSettings) -> Result<Self, MailError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|_| MailError::From(settings.from.clone()))?;
        let (transport, outbox) = match &settings.transport {
            MailTransport::None => (Transport::None, None),
            MailTransport::Outbox(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| MailError::OutboxDir {
                    dir: dir.clone(),
                    source,
                })?;
                (
                    Transport::Outbox(AsyncFileTransport::<Tokio1Executor>::new(dir)),
                    Some(dir.clone()),
                )
            }
            MailTransport::Smtp(url) => (
                Transport::Smtp(
                    AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                        .map_err(MailError::SmtpUrl)?
                        .build(),
                ),
                None,
            ),
        };
        Ok(Self {
            transport: std::sync::Arc::new(transport),
            from,
            outbox,
        })
    }

    /// The address messages come from.
    pub fn from_address(&self) -> String {
        self.from.email.to_string()
    }

    /// The outbox directory, when email goes there.
    pub fn outbox(&self) -> Option<&std::path::Path> {
        self.outbox.as_deref()
    }

    /// Sends `email`; what the server answered, or the outbox file's name.
    pub async fn send(&self, email: &Email) -> Result<String, MailError> {
        let message = self.message(email)?;
        match &*self.transport {
            Transport::None => Err(MailError::NotConfigured),
            Transport::Outbox(outbox) => Ok(format!("{}.eml", outbox.send(message).await?)),
            Transport::Smtp(smtp) => {
                let answer = smtp.send(message).await?;
                Ok(answer.message().collect::<Vec<_>>().join(" "))
            }
        }
    }

    fn message(&self, email: &Email) -> Result<Message, MailError> {
        let address = email
            .to
            .parse()
            .map_err(|_| MailError::To(email.to.clone()))?;
        let to = Mailbox::new(email.to_name.clone(), address);
        let domain = self.from.email.domain().to_owned();
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(format!("<{}@{domain}>", email.id)));
        let text = SinglePart::plain(email.body.clone());
        let Some((method, ics)) = &email.calendar else {
            return Ok(builder.singlepart(text)?);
        };
        let content_type = format!("text/calendar; charset=utf-8; method={}", method.as_str());
        let calendar = ContentType::parse(&content_type).expect("a valid content type");
        let parts = MultiPart::mixed()
            .multipart(
                MultiPart::alternative().singlepart(text).singlepart(
                    SinglePart::builder()
                        .header(calendar.clone())
                        .body(ics.clone()),
                ),
            )
            .singlepart(Attachment::new("invite.ics".into()).body(ics.clone(), calendar));
        Ok(builder.multipart(parts)?)
    }
}

/// The messages in an outbox directory, newest first, at most `limit`: each file's name and
/// text.
pub fn outbox_messages(
    dir: &std::path::Path,
    limit: usize,
) -> std::io::Result<Vec<(String, String)>> {
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter(|entry| entry.path().extension().is_some_and(|e| e == "eml"))
        .filter_map(|entry| Some((entry.metadata().ok()?.modified().ok()?, entry.path())))
        .collect();
    files.sort_by_key(|file| std::cmp::Reverse(file.0));
    files
        .into_iter()
        .take(limit)
        .map(|(_, path)| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            std::fs::read_to_string(&path).map(|text| (name, text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_message_with_its_invitation_lands_in_the_outbox_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = Mailer::new(&MailSettings {
            transport: MailTransport::Outbox(dir.path().join("mail")),
            from: "Clinic <visits@clinic.example>".into(),
        })
        .unwrap();
        let email = Email {
            id: "m-1".into(),
            to_name: Some("Grace Hopper".into()),
            to: "grace@example.test".into(),
            subject: "Your visit".into(),
            body: "Hello Grace".into(),
            calendar: Some((
                Method::Request,
                "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".into(),
            )),
        };
        let file = mailer.send(&email).await.unwrap();
        let messages = outbox_messages(&dir.path().join("mail"), 10).unwrap();
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].0, file);
        let text = &messages[0].1;
        for part in [
            "Message-ID: <m-1@clinic.example>",
            "To: \"Grace Hopper\" <grace@example.test>",
            "From: Clinic <visits@clinic.example>",
            "text/calendar; charset=utf-8; method=REQUEST",
            "filename=\"invite.ics\"",
        ] {
            assert!(text.contains(part), "{part} in {text}");
        }
    }

    #[tokio::test]
    async fn without_a_transport_nothing_is_sent_and_it_says_why() {
        let mailer = Mailer::new(&MailSettings::default()).unwrap();
        let email = Email {
            id: "m-2".into(),
            to_name: None,
            to: "grace@example.test".into(),
            subject: "s".into(),
            body: "b".into(),
            calendar: None,
        };
        let error = mailer.send(&email).await.unwrap_err();
        assert!(error.to_string().contains("--smtp-url"), "{error}");
    }

    #[test]
    fn a_bad_sender_or_smtp_url_is_refused_at_start_and_no_password_is_shown() {
        let bad_from = MailSettings {
            from: "not an address".into(),
            ..MailSettings::default()
        };
        assert!(matches!(Mailer::new(&bad_from), Err(MailError::From(_))));
        let bad_url = MailSettings {
            transport: MailTransport::Smtp("ftp://mail.example".into()),
            ..MailSettings::default()
        };
        assert!(matches!(Mailer::new(&bad_url), Err(MailError::SmtpUrl(_))));
        let secret = MailSettings {
            transport: MailTransport::Smtp("smtp://user:hunter2@127.0.0.1:2525".into()),
            ..MailSettings::default()
        };
        assert!(!format!("{secret:?}").contains("hunter2"));
    }
}
