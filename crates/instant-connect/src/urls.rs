//! Join URLs: short (`baseUrl + short`) and long (`{join}/{vertical}/v1/login|talk?...`).

use serde::{Deserialize, Serialize};
use url::Url;

use crate::{LinkResponse, PRODUCTION_JOIN_URL, Vertical};

/// Who a link is for; the role is inside the token, the URL path only mirrors it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Host,
    Guest,
}

impl Role {
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Host => "host",
            Role::Guest => "guest",
        }
    }

    /// The join page path segment: hosts log in, guests talk.
    pub const fn page(self) -> &'static str {
        match self {
            Role::Host => "login",
            Role::Guest => "talk",
        }
    }
}

/// A finished link: the URL to hand out (short when there is one) and its parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Link {
    pub role: Role,
    pub url: String,
    pub short_url: Option<String>,
    pub long_url: String,
    pub short: Option<String>,
    pub cipher: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Links {
    pub hosts: Vec<Link>,
    pub guests: Vec<Link>,
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
    pub fn new(join_url: &str) -> Result<Self, String> {
        let parsed = Url::parse(join_url).map_err(|e| format!("`{join_url}` is not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(format!("`{join_url}` must be an http(s) URL with a host"));
        }
        Ok(Self {
            base: join_url.trim_end_matches('/').to_owned(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// The long URL of a link. A cipher is base64url with dots, so it needs no escaping;
    /// `force_login` adds `fli=true` to host links, which forces the Webex login.
    pub fn long_url(
        &self,
        role: Role,
        vertical: Vertical,
        cipher: &str,
        force_login: bool,
    ) -> String {
        let mut url = format!(
            "{}/{}/v1/{}?int=jose&v=1&data={cipher}",
            self.base,
            vertical.as_str(),
            role.page()
        );
        if force_login && role == Role::Host {
            url.push_str("&fli=true");
        }
        url
    }

    /// Every link of a broker response, finished.
    pub fn links(&self, response: &LinkResponse, vertical: Vertical, force_login: bool) -> Links {
        let finish = |role: Role, items: &[crate::LinkItem]| -> Vec<Link> {
            items
                .iter()
                .map(|item| {
                    let short_url = match (&response.base_url, &item.short) {
                        (Some(base), Some(short)) => Some(short_url(base, short)),
                        _ => None,
                    };
                    let long_url = self.long_url(role, vertical, &item.cipher, force_login);
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
