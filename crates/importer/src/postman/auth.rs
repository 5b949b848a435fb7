//! A request's auth (its own, its folder's or the collection's) as the method's authorization
//! or a header row, every credential a secret.

use std::collections::HashMap;

use node::model::{AuthValue, Authorization, Grant, Row};
use serde_json::Value;

use super::collection::attributes;
use super::variables::Variables;
use crate::credentials::{auth_value, credential_secret, secret_value};
use crate::draft::Draft;
use crate::names::{is_aws_name, secret_ref};
use crate::rows::bearer_row;
use crate::session::Session;
use crate::text::text_of;
use crate::variables::{as_is, convert};

/// An auth's kind and attributes, and the method it is of (for notes).
struct Auth<'a> {
    kind: &'a str,
    attributes: HashMap<String, Value>,
    method: String,
}

impl Auth<'_> {
    fn attr(&self, key: &str) -> String {
        text_of(self.attributes.get(key))
    }

    /// Where a value stands, as notes say it.
    fn place(&self, what: &str) -> String {
        format!("`{}`: the {} auth's {what}", self.method, self.kind)
    }

    /// The credential attribute `key` (its `what` in notes) as a secret: a `{{var}}`'s, else one
    /// named after `base`.
    fn secret(
        &self,
        key: &str,
        base: &str,
        what: &str,
        vars: &mut Variables,
        session: &mut Session,
    ) -> AuthValue {
        let place = self.place(what);
        secret_value(&credential_secret(
            &self.attr(key),
            base,
            &place,
            vars,
            session,
        ))
    }
}

/// The auth as the method's authorization or a header (or URL parameter) row.
pub(super) fn apply_auth(
    draft: &mut Draft,
    auth: &Value,
    vars: &mut Variables,
    session: &mut Session,
) {
    let kind = auth.get("type").and_then(Value::as_str).unwrap_or("noauth");
    let auth = Auth {
        kind,
        attributes: attributes(auth, kind),
        method: draft.name.clone(),
    };
    match kind {
        "noauth" => {}
        "bearer" => bearer(draft, &auth, vars, session),
        "basic" | "digest" => basic_or_digest(draft, &auth, vars, session),
        "apikey" => api_key(draft, &auth, vars, session),
        "oauth2" => oauth2(draft, &auth, vars, session),
        "awsv4" => aws(draft, &auth, vars, session),
        other => session.left_out(format!(
            "`{}`: {other} auth is not carried over (a node has basic, digest, OAuth 2.0, AWS \
             Signature, or a header row)",
            auth.method
        )),
    }
}

/// A bearer token: the first header, from a secret.
fn bearer(draft: &mut Draft, auth: &Auth<'_>, vars: &mut Variables, session: &mut Session) {
    let token = auth.attr("token");
    let secret = credential_secret(&token, "bearer_token", &auth.place("token"), vars, session);
    draft.remove_header("authorization");
    draft.headers.insert(0, bearer_row(&secret));
}

/// Basic or digest: the user name as written (or a field), the password a secret.
fn basic_or_digest(
    draft: &mut Draft,
    auth: &Auth<'_>,
    vars: &mut Variables,
    session: &mut Session,
) {
    let username = auth_value(
        &auth.attr("username"),
        &auth.place("username"),
        vars,
        session,
    );
    let base = format!("{}_password", auth.kind);
    let password = auth.secret("password", &base, "password", vars, session);
    draft.authorization = Some(if auth.kind == "basic" {
        Authorization::Basic { username, password }
    } else {
        Authorization::Digest { username, password }
    });
}

/// An API key: a header, or a URL parameter where Postman puts it in the query.
fn api_key(draft: &mut Draft, auth: &Auth<'_>, vars: &mut Variables, session: &mut Session) {
    let key = match auth.attr("key") {
        key if key.is_empty() => "X-API-Key".to_owned(),
        key => key,
    };
    let value = auth.attr("value");
    let secret = credential_secret(&value, &key, &auth.place("value"), vars, session);
    let row = Row::Static {
        name: key,
        value: secret_ref(&secret),
    };
    if auth.attr("in") == "query" {
        draft.url_parameters.push(row);
    } else {
        draft.add_header(row);
    }
}

/// OAuth 2.0: client credentials the node fetches tokens with; any other grant, the access
/// token Postman holds, sent as a bearer token from a secret.
fn oauth2(draft: &mut Draft, auth: &Auth<'_>, vars: &mut Variables, session: &mut Session) {
    let grant = auth.attr("grant_type");
    let token_url = convert(
        &auth.attr("accessTokenUrl"),
        false,
        &auth.place("token URL"),
        vars,
        session,
        &as_is,
    );
    let token_url_ok = node::check::token_url_problem(&token_url).is_none();
    if (grant == "client_credentials" || grant.is_empty()) && token_url_ok {
        client_credentials(draft, auth, token_url, vars, session);
        return;
    }
    let secret = credential_secret(
        &auth.attr("accessToken"),
        "oauth2_access_token",
        &auth.place("access token"),
        vars,
        session,
    );
    session.changed(format!(
        "`{}`: OAuth 2.0 grant `{grant}` is not one a node fetches (client credentials and \
         refresh token are): the method sends the access token from the secret `{secret}` as a \
         bearer token",
        auth.method
    ));
    draft.headers.insert(0, bearer_row(&secret));
}

/// The client-credentials grant: the client id as written (or a field), its secret a secret.
fn client_credentials(
    draft: &mut Draft,
    auth: &Auth<'_>,
    token_url: String,
    vars: &mut Variables,
    session: &mut Session,
) {
    let client_id = auth_value(
        &auth.attr("clientId"),
        &auth.place("client id"),
        vars,
        session,
    );
    let base = "oauth2_client_secret";
    let client_secret = auth.secret("clientSecret", base, "client secret", vars, session);
    let scopes = auth
        .attr("scope")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if auth.attr("client_authentication") == "body" {
        session.changed(format!(
            "`{}`: the client authenticates to the token endpoint with HTTP Basic here, not in \
             the body",
            auth.method
        ));
    }
    draft.authorization = Some(Authorization::Oauth2 {
        token_url,
        client_id,
        client_secret,
        grant: Grant::ClientCredentials,
        scopes,
    });
}

/// AWS Signature Version 4: the keys secrets, region and service as Postman names them.
fn aws(draft: &mut Draft, auth: &Auth<'_>, vars: &mut Variables, session: &mut Session) {
    let access_key = auth_value(
        &auth.attr("accessKey"),
        &auth.place("access key"),
        vars,
        session,
    );
    let secret_key = auth.secret("secretKey", "aws_secret_key", "secret key", vars, session);
    let session_token = (!auth.attr("sessionToken").is_empty()).then(|| {
        let base = "aws_session_token";
        auth.secret("sessionToken", base, "session token", vars, session)
    });
    let region = aws_name(auth, "region", "us-east-1", vars, session);
    let service = aws_name(auth, "service", "execute-api", vars, session);
    draft.authorization = Some(Authorization::Aws {
        access_key,
        secret_key,
        session_token,
        region,
        service,
    });
}

/// The AWS region or service, or `default` (said in a note) when it is none a node can sign
/// for.
fn aws_name(
    auth: &Auth<'_>,
    key: &str,
    default: &str,
    vars: &mut Variables,
    session: &mut Session,
) -> String {
    let value = convert(
        &auth.attr(key),
        false,
        &auth.place(key),
        vars,
        session,
        &as_is,
    );
    if is_aws_name(&value) {
        return value;
    }
    session.changed(format!(
        "`{}`: the AWS {key} `{value}` is not one a node can sign for: `{default}`; edit it",
        auth.method
    ));
    default.to_owned()
}
