//! The authorization a curl line gives: `--oauth2-bearer`, `-u` (basic or digest), and
//! `--aws-sigv4` with `-u` keys; every credential a secret. The method's authorization sends
//! the Authorization header itself, so it wins over the line's own ([`header_left_out`]).

use node::model::{AuthValue, Authorization, FieldUi, Row};

use super::fields::Fields;
use super::line::Line;
use crate::credentials::{auth_value, credential_secret, secret_value};
use crate::draft::Draft;
use crate::names::is_aws_name;
use crate::rows::bearer_row;
use crate::session::Session;

/// `--aws-sigv4`, else `-u`, as the method's authorization; `--oauth2-bearer` as the
/// Authorization header when neither is given.
pub(super) fn authorize(draft: &mut Draft, line: &Line, vars: &mut Fields, session: &mut Session) {
    if let Some(aws) = &line.aws {
        aws_authorization(draft, aws, line.user.as_deref(), vars, session);
    } else if let Some(user) = &line.user {
        user_authorization(draft, user, line.digest, vars, session);
    }
    let place = "`--oauth2-bearer`";
    if let Some(token) = &line.bearer
        && !header_left_out(line, "Authorization", place, session)
    {
        let secret = credential_secret(token, "bearer_token", place, vars, session);
        draft.remove_header("authorization");
        draft.headers.push(bearer_row(&secret));
    }
}

/// The one rule for a header `name` the line gives (`-H`'s, or `--oauth2-bearer`'s, `what`)
/// against the method's authorization: the option that gives the method one (`--aws-sigv4`,
/// else `-u`) sends the Authorization header itself, so the line's own is left out, with a note,
/// before it names a secret or a field. Whether it is left out.
pub(super) fn header_left_out(line: &Line, name: &str, what: &str, session: &mut Session) -> bool {
    let scheme = match (&line.aws, &line.user) {
        (Some(_), _) => "--aws-sigv4",
        (None, Some(_)) => "-u",
        (None, None) => return false,
    };
    if !name.eq_ignore_ascii_case("authorization") {
        return false;
    }
    session.changed(format!(
        "{what} is left out: `{scheme}` sends the Authorization header itself"
    ));
    true
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
    let region = aws_name(aws, "region", "us-east-1", fields.next(), session);
    let service = aws_name(aws, "service", "execute-api", fields.next(), session);
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

/// `--aws-sigv4`'s region or service, or `default` (said in a note) when it names none a node
/// can sign for.
fn aws_name(
    aws: &str,
    what: &str,
    default: &str,
    value: Option<&str>,
    session: &mut Session,
) -> String {
    match value {
        Some(value) if is_aws_name(value) => return value.to_owned(),
        Some(value) if !value.is_empty() => session.changed(format!(
            "`--aws-sigv4 {aws}`: the AWS {what} `{value}` is not one a node can sign for: \
             `{default}`; edit it"
        )),
        _ => session.changed(format!(
            "`--aws-sigv4 {aws}` names no {what}: `{default}`; edit it"
        )),
    }
    default.to_owned()
}
