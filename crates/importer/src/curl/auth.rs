//! The authorization a curl line gives: `--oauth2-bearer`, `-u` (basic or digest), and
//! `--aws-sigv4` with `-u` keys; every credential a secret.

use node::model::{AuthValue, Authorization, Row};

use super::fields::Fields;
use super::line::Line;
use crate::credentials::{credential_secret, secret_value};
use crate::draft::Draft;
use crate::rows::bearer_row;
use crate::session::Session;
use crate::variables::{as_is, convert};

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

/// `-u user:password`: basic, or digest under `--digest`; the password a secret.
fn user_authorization(
    draft: &mut Draft,
    user: &str,
    digest: bool,
    vars: &mut Fields,
    session: &mut Session,
) {
    let kind = if digest { "digest" } else { "basic" };
    let (username, password) = match user.split_once(':') {
        Some((username, password)) => (username, password),
        None => {
            session.note("`-u` gives no password (curl would ask for one)");
            (user, "")
        }
    };
    let base = format!("{kind}_password");
    let secret = credential_secret(password, &base, "the `-u` password", vars, session);
    let username = AuthValue::Static {
        value: convert(username, false, "the `-u` user", vars, session, &as_is),
    };
    let password = secret_value(&secret);
    draft.authorization = Some(if digest {
        Authorization::Digest { username, password }
    } else {
        Authorization::Basic { username, password }
    });
    if draft.remove_header("authorization") {
        session.note("the Authorization header is left out: `-u` sends it");
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
            value: convert(access, false, "the `-u` access key", vars, session, &as_is),
        },
        secret_key: secret_value(&secret_key),
        session_token,
        region,
        service,
    });
}
