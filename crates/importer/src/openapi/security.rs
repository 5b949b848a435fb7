//! The operation's (else the document's) security requirement as the authorization or a row;
//! every credential a secret named after its scheme.

use serde_json::Value;

use node::model::{Authorization, Grant, Row};

use super::document::Doc;
use crate::credentials::secret_value;
use crate::draft::Draft;
use crate::names::{secret_name, secret_ref};
use crate::rows::bearer_row;
use crate::session::Session;
use crate::text::text_of;

/// The operation's security (else the document's): the first requirement, as the
/// authorization or a header/query row; every credential a secret named after the scheme.
pub(super) fn security(doc: &Doc<'_>, draft: &mut Draft, operation: &Value, session: &mut Session) {
    let requirements = operation
        .get("security")
        .or_else(|| doc.root.get("security"))
        .and_then(Value::as_array);
    let Some(requirement) = requirements
        .and_then(|r| r.first())
        .and_then(Value::as_object)
    else {
        return;
    };
    if requirements.is_some_and(|r| r.len() > 1) {
        session.changed(format!(
            "`{}`: of its alternative security requirements the first is used",
            draft.name
        ));
    }
    for (scheme_name, scopes) in requirement {
        let Some(scheme) = doc
            .root
            .pointer(&format!("/components/securitySchemes/{scheme_name}"))
            .map(|s| doc.resolve(s))
        else {
            session.left_out(format!(
                "`{}`: security scheme `{scheme_name}` is not defined: not carried over",
                draft.name
            ));
            continue;
        };
        apply_scheme(draft, scheme_name, scheme, scopes, session);
    }
}

/// A security scheme in use, and how its secrets are named and placed in notes.
struct Scheme<'a> {
    /// The method it secures.
    method: &'a str,
    /// `security scheme `name``, as notes say it.
    place: String,
    /// The base of its secrets' names: the scheme's name.
    base: String,
}

impl Scheme<'_> {
    /// The secret `<base><suffix>`, said in a note.
    fn secret(&self, suffix: &str, session: &mut Session) -> String {
        let name = secret_name(&format!("{}{suffix}", self.base));
        session.secret(
            &name,
            format!("{}: the definition names the secret `{name}`", self.place),
        );
        name
    }

    /// `Authorization: Bearer $(secret:<base>_token)`, the way a scheme without a flow the node
    /// can run is sent.
    fn bearer(&self, draft: &mut Draft, session: &mut Session) {
        draft.add_header(bearer_row(&self.secret("_token", session)));
    }
}

/// One scheme of the requirement as the authorization or a row.
fn apply_scheme(
    draft: &mut Draft,
    scheme_name: &str,
    scheme: &Value,
    scopes: &Value,
    session: &mut Session,
) {
    let kind = text_of(scheme.get("type"));
    let http_scheme = text_of(scheme.get("scheme")).to_ascii_lowercase();
    let name = draft.name.clone();
    let using = Scheme {
        method: &name,
        place: format!("security scheme `{scheme_name}`"),
        base: secret_name(scheme_name),
    };
    match (kind.as_str(), http_scheme.as_str()) {
        ("http", "bearer") => using.bearer(draft, session),
        ("openIdConnect", _) => {
            session.changed(format!(
                "`{name}`: OpenID Connect is sent as a bearer token from a secret"
            ));
            using.bearer(draft, session);
        }
        ("http", "basic" | "digest") => {
            let username = secret_value(&using.secret("_username", session));
            let password = secret_value(&using.secret("_password", session));
            draft.authorization = Some(if http_scheme == "basic" {
                Authorization::Basic { username, password }
            } else {
                Authorization::Digest { username, password }
            });
        }
        ("apiKey", _) => api_key(draft, &using, scheme, session),
        ("oauth2", _) => oauth2(draft, &using, scheme, scopes, session),
        _ => session.left_out(format!(
            "`{name}`: {} ({kind} {http_scheme}) is not carried over",
            using.place
        )),
    }
}

/// An API key: a header or a URL parameter.
fn api_key(draft: &mut Draft, using: &Scheme<'_>, scheme: &Value, session: &mut Session) {
    let row = Row::Static {
        name: text_of(scheme.get("name")),
        value: secret_ref(&using.secret("", session)),
    };
    match text_of(scheme.get("in")).as_str() {
        "header" => draft.add_header(row),
        "query" => draft.url_parameters.push(row),
        other => session.left_out(format!(
            "`{}`: an API key in a {other} is not carried over",
            using.method
        )),
    }
}

/// OAuth 2.0 with a client-credentials flow, the one a node fetches tokens with; any other, the
/// access token as a bearer token from a secret.
fn oauth2(
    draft: &mut Draft,
    using: &Scheme<'_>,
    scheme: &Value,
    scopes: &Value,
    session: &mut Session,
) {
    let token_url = scheme
        .pointer("/flows/clientCredentials/tokenUrl")
        .and_then(Value::as_str);
    let Some(token_url) = token_url else {
        session.changed(format!(
            "`{}`: {} has no client-credentials flow, the one a node fetches tokens with: the \
             access token is sent as a bearer token from a secret",
            using.method, using.place
        ));
        return using.bearer(draft, session);
    };
    let scopes = scopes
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    draft.authorization = Some(Authorization::Oauth2 {
        token_url: token_url.to_owned(),
        client_id: secret_value(&using.secret("_client_id", session)),
        client_secret: secret_value(&using.secret("_client_secret", session)),
        grant: Grant::ClientCredentials,
        scopes,
    });
}
