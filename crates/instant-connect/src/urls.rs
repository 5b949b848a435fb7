//! Join URLs: short (`baseUrl + short`) and long (`{join}/{vertical}/v1/login|talk?...`).
//! [`JoinUrls::path`] is the one place the long form is written; the broker's short links point
//! at it too.

use std::fmt;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::api::{PRODUCTION_BROKER_URL, PRODUCTION_JOIN_URL};
use crate::redact::{Redacted, RedactedUrl};
use crate::request::{LinkPlan, Vertical};
// `Role` lives beside `Vertical`, where the response types name it too (from here they would
// make an import circle); `urls::Role` still names it.
pub use crate::request::{Role, UnknownRole};
use crate::response::{LinkItem, LinkResponse};

/// The join page a link opens: hosts log in (`login`), guests talk (`talk`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JoinPage {
    Login,
    Talk,
}

impl JoinPage {
    pub const ALL: [JoinPage; 2] = [JoinPage::Login, JoinPage::Talk];

    pub const fn as_str(self) -> &'static str {
        match self {
            JoinPage::Login => "login",
            JoinPage::Talk => "talk",
        }
    }
}

/// How a meeting's links open: the page family, whether a host's link goes through the
/// Webex login (`loginUrlForHost`, default true) and whether it forces it (`fli=true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinStyle {
    pub vertical: Vertical,
    pub host_login: bool,
    pub force_login: bool,
}

impl JoinStyle {
    /// The page `role` opens in this style: a host logs in unless `host_login` is off.
    pub const fn page(&self, role: Role) -> JoinPage {
        match role {
            Role::Host if self.host_login => JoinPage::Login,
            _ => JoinPage::Talk,
        }
    }
}

impl Default for JoinStyle {
    fn default() -> Self {
        Self {
            vertical: Vertical::default(),
            host_login: true,
            force_login: false,
        }
    }
}

impl From<&LinkPlan> for JoinStyle {
    fn from(plan: &LinkPlan) -> Self {
        Self {
            vertical: plan.vertical,
            host_login: plan.login_url_for_host,
            force_login: false,
        }
    }
}

/// A finished link: the URL to hand out (short when there is one) and its parts. `Debug` shows
/// no cipher, short key or URL that carries one: each is a bearer credential to the meeting.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Link {
    pub role: Role,
    pub url: String,
    pub short_url: Option<String>,
    pub long_url: String,
    pub short: Option<String>,
    pub cipher: String,
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link")
            .field("role", &self.role)
            .field("url", &RedactedUrl(&self.url))
            .field("short_url", &self.short_url.as_deref().map(RedactedUrl))
            .field("long_url", &RedactedUrl(&self.long_url))
            .field("short", &self.short.as_deref().map(Redacted))
            .field("cipher", &Redacted(&self.cipher))
            .finish()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Links {
    pub hosts: Vec<Link>,
    pub guests: Vec<Link>,
}

/// A join host that is not an absolute http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinUrlError {
    #[error("`{url}` is not a URL: {reason}")]
    NotAUrl {
        url: String,
        reason: url::ParseError,
    },
    #[error("`{0}` must be an http(s) URL with a host")]
    NotHttp(String),
}

/// Builds join URLs against a join host: production's, or the local broker's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinUrls {
    /// Without a trailing slash, so paths append cleanly.
    base: String,
}

impl Default for JoinUrls {
    fn default() -> Self {
        Self {
            base: PRODUCTION_JOIN_URL.to_owned(),
        }
    }
}

impl JoinUrls {
    /// `join_url` must be an absolute http(s) URL; a path prefix is kept.
    pub fn new(join_url: &str) -> Result<Self, JoinUrlError> {
        let parsed = Url::parse(join_url).map_err(|reason| JoinUrlError::NotAUrl {
            url: join_url.to_owned(),
            reason,
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(JoinUrlError::NotHttp(join_url.to_owned()));
        }
        Ok(Self {
            base: join_url.trim_end_matches('/').to_owned(),
        })
    }

    /// The join host of `broker_url`'s links: production's join host for the production
    /// broker, else the broker itself (the local broker serves its own join pages).
    pub fn for_broker(broker_url: &Url) -> Self {
        if broker_url.as_str().trim_end_matches('/') == PRODUCTION_BROKER_URL {
            Self::default()
        } else {
            Self {
                base: broker_url.as_str().trim_end_matches('/').to_owned(),
            }
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// The path and query of a link's join page, relative to the join host:
    /// `/{vertical}/v1/{login|talk}?int=jose&v=1&data=<cipher>`, with `&fli=true` on a host
    /// link when the style forces the login. A cipher is base64url with dots: no escaping.
    pub fn path(role: Role, style: &JoinStyle, cipher: &str) -> String {
        let mut path = format!(
            "/{}/v1/{}?int=jose&v=1&data={cipher}",
            style.vertical.as_str(),
            style.page(role).as_str()
        );
        if style.force_login && role == Role::Host {
            path.push_str("&fli=true");
        }
        path
    }

    /// The long URL of a link.
    pub fn long_url(&self, role: Role, style: &JoinStyle, cipher: &str) -> String {
        format!("{}{}", self.base, Self::path(role, style, cipher))
    }

    /// Every link of a broker response, finished.
    pub fn links(&self, response: &LinkResponse, style: &JoinStyle) -> Links {
        let finish = |role: Role, items: &[LinkItem]| -> Vec<Link> {
            items
                .iter()
                .map(|item| {
                    let short_url = match (&response.base_url, &item.short) {
                        (Some(base), Some(short)) => Some(short_url(base, short)),
                        _ => None,
                    };
                    let long_url = self.long_url(role, style, &item.cipher);
                    Link {
                        role,
                        url: short_url.clone().unwrap_or_else(|| long_url.clone()),
                        short_url,
                        long_url,
                        short: item.short.clone(),
                        cipher: item.cipher.clone(),
                    }
                })
                .collect()
        };
        Links {
            hosts: finish(Role::Host, &response.host),
            guests: finish(Role::Guest, &response.guest),
        }
    }
}

/// `baseUrl + short`, tolerating a base without its trailing slash.
pub fn short_url(base_url: &str, short: &str) -> String {
    if base_url.ends_with('/') {
        format!("{base_url}{short}")
    } else {
        format!("{base_url}/{short}")
    }
}
