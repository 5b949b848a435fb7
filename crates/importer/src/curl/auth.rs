//! The authorization a curl line gives: `--oauth2-bearer`, `-u` (basic or digest), and
//! `--aws-sigv4` with `-u` keys; every credential a secret.

use node::model::{AuthValue, Authorization, FieldUi, Row};

use super::fields::Fields;
use super::line::Line;
use crate::credentials::{auth_value, credential_secret, secret_value};
use crate::draft::Draft;
use crate::rows::bearer_row;
use crate::session::Session;

/// `--oauth2-bearer` as the Authorization header; `--aws-sigv4`, else `-u`, as the method's
/// authorization.
pub(super) fn authorize(draft: &mut Draft, line: &Line, vars: &mut Fields, session: &mut Session) {
    if let Some(token) = &line.bearer {
        let place = "`--oauth2-bearer`";
        let secret = credential_secret(token, "bearer_token", place, vars, session);
        draft.remove_header("authorization");
        draft.headers.push(bearer_row(&secret));
    }
    if let Some(aws) = &line.aws {
        aws_authorization(draft, aws, line.user.as_deref(), vars, session);
    } else if let Some(user) = &line.user {
        user_authorization(draft, user, line.digest, vars, session);
    }
}

/// `-u user:password`: basic, or digest under `--digest`; the user written in, a secret or a
/// field, the password a secret (an empty one an optional field, as an API key given as the
/// user has none).
fn user_authorization(
    draft: &mut Draft,
    user: &str,
    digest: bool,
    vars: &mut Fields,
    session: &mut Session,
) {
    let kind = if digest { "digest" } else { "basic" };
    let (username, password) = user.split_once(':').unwrap_or((user, ""));
    let username = auth_value(username, "the `-u` user", vars, session);
    let password = if password.is_empty() {
        let mut ui = FieldUi::plain("password");
        ui.mandatory = false;
        ui.tooltip = "the `-u` password; empty if the API takes none".to_owned();
        draft.fields.push(ui);
        session.changed(format!(
            "`-u` gives no password{}: it is the optional field `password`, sent empty unless \
             given",
            if user.contains(':') {
                ""
            } else {
                " (curl would ask for one)"
            }
        ));
        AuthValue::Dynamic {
            field: "password".to_owned(),
        }
    } else {
        let base = format!("{kind}_password");
        secret_value(&credential_secret(
            password,
            &base,
            "the `-u` password",
            vars,
            session,
        ))
    };
    draft.authorization = Some(if digest {
        Authorization::Digest { username, password }
    } else {
        Authorization::Basic { username, password }
    });
    if draft.remove_header("authorization") {
        session.changed("the Authorization header is left out: `-u` sends it");
    }
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
            session.changed(format!(
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
        access_key: auth_value(access, "the `-u` access key", vars, session),
        secret_key: secret_value(&secret_key),
        session_token,
        region,
        service,
    });
}
