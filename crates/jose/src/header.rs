//! Protected headers: ordered JSON objects, with the members this crate owns put in place.

use serde_json::Value;

use crate::{Error, Header, b64};

/// Builds the header to protect: the caller's members in the caller's order, with each member
/// this crate owns (`alg`, `enc`, ...) holding its value. An owned member the caller listed keeps
/// its position (so a caller can reproduce a peer's exact key order); one the caller left out is
/// put first, in the order given.
pub(crate) fn with_owned_members(caller: &Header, owned: &[(&str, Value)]) -> Header {
    let mut header = Header::new();
    for (name, value) in owned {
        if !caller.contains_key(*name) {
            header.insert((*name).to_owned(), value.clone());
        }
    }
    for (name, value) in caller {
        let value = owned
            .iter()
            .find(|(owned_name, _)| owned_name == name)
            .map_or(value, |(_, owned_value)| owned_value);
        header.insert(name.clone(), value.clone());
    }
    header
}

pub(crate) fn encode(header: &Header) -> String {
    // A map of strings to JSON values always serializes.
    b64::encode(&serde_json::to_vec(header).expect("a JSON object serializes"))
}

pub(crate) fn decode(encoded: &str) -> Result<Header, Error> {
    if encoded.is_empty() {
        return Err(Error::EmptyPart { part: "header" });
    }
    let bytes = b64::decode(encoded, "header")?;
    serde_json::from_slice::<Header>(&bytes).map_err(|_| Error::HeaderNotObject)
}

pub(crate) fn str_member<'h>(header: &'h Header, member: &'static str) -> Result<&'h str, Error> {
    header
        .get(member)
        .and_then(Value::as_str)
        .ok_or(Error::HeaderMember {
            member,
            expected: "a string",
        })
}

/// Members whose meaning this crate does not implement; accepting them silently would be wrong.
pub(crate) fn refuse_unsupported(header: &Header) -> Result<(), Error> {
    for member in ["crit", "zip"] {
        if header.contains_key(member) {
            return Err(Error::UnsupportedMember(member));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Header {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn owned_members_keep_the_callers_position_and_missing_ones_go_first() {
        let caller = object(json!({"p2s": null, "aud": "a", "enc": "x", "alg": null}));
        let owned = [
            ("alg", json!("PBES2-HS512+A256KW")),
            ("enc", json!("A256GCM")),
            ("p2s", json!("c2FsdA")),
            ("p2c", json!(1000)),
        ];
        let header = with_owned_members(&caller, &owned);
        let keys: Vec<&str> = header.keys().map(String::as_str).collect();
        assert_eq!(keys, ["p2c", "p2s", "aud", "enc", "alg"]);
        assert_eq!(header["enc"], "A256GCM");
        assert_eq!(header["alg"], "PBES2-HS512+A256KW");
    }
}
