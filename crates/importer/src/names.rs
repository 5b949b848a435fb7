//! How secrets and dynamic fields are named (valid names made from any text), how a secret is
//! written in a definition, and how a name is kept unique.

use node::template::SECRET_PREFIX;

/// How a definition names the secret `name`: `$(secret:name)`.
pub(crate) fn secret_ref(name: &str) -> String {
    format!("$({SECRET_PREFIX}{name})")
}

/// Whether `value` is an AWS region or service name a node signs for (lowercase letters, digits
/// and `-`, as the check asks).
pub(crate) fn is_aws_name(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A secret name (letters, digits, underscores) from any text: `X-API-Key` → `x_api_key`,
/// `brokerToken` → `broker_token`.
pub fn secret_name(text: &str) -> String {
    let mut out = String::new();
    let mut previous: Option<char> = None;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase()
                && previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
            {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
        previous = Some(c);
    }
    let out = out.trim_matches('_').to_owned();
    if out.is_empty() {
        "secret".to_owned()
    } else {
        out
    }
}

/// A dynamic field name (letters, digits, underscores; case kept) from a variable or parameter
/// name: `chat-id` → `chat_id`, `$guid` → `guid`.
pub fn field_name(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_owned();
    if out.is_empty() {
        "value".to_owned()
    } else {
        out
    }
}

/// `base` when it is not `taken`, else the first of `numbered(2)`, `numbered(3)`, … that is not.
pub(crate) fn first_free(
    base: &str,
    numbered: impl Fn(u32) -> String,
    taken: impl Fn(&str) -> bool,
) -> String {
    let mut name = base.to_owned();
    let mut n = 2;
    while taken(&name) {
        name = numbered(n);
        n += 1;
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_valid() {
        assert_eq!(secret_name("X-API-Key"), "x_api_key");
        assert_eq!(secret_name("brokerToken"), "broker_token");
        assert_eq!(secret_name("--"), "secret");
        // A run of separators is one underscore, and none leads.
        assert_eq!(secret_name("-X -- api . Key"), "x_api_key");
        assert_eq!(field_name("chat-id"), "chat_id");
        assert_eq!(field_name("$guid"), "guid");
        assert_eq!(field_name("uniquechatId"), "uniquechatId");
    }
}
