use instant_connect::{
    AUDIENCE, ContentEnc, FieldError, JwsAlg, KeyAlg, LinkRequest, SmsInviteRequest, Vertical,
};
use serde_json::{Value, json};

const NOW: i64 = 1_800_000_000;

fn parse(body: Value) -> LinkRequest {
    LinkRequest::from_json(body.to_string().as_bytes()).unwrap()
}

/// The fields named by every rule `body` breaks.
fn broken_fields(body: Value) -> Vec<String> {
    match LinkRequest::from_json(body.to_string().as_bytes()) {
        Err(errors) => errors.errors().iter().map(|e| e.field.clone()).collect(),
        Ok(request) => match request.validate(NOW) {
            Ok(_) => vec![],
            Err(errors) => errors.errors().iter().map(|e| e.field.clone()).collect(),
        },
    }
}

fn base() -> Value {
    json!({"aud": AUDIENCE, "jwt": {"sub": "visit-1"}})
}

fn with(mut body: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    body.pointer_mut(parent).unwrap()[key] = value;
    body
}

#[test]
fn the_seeds_body_gets_the_documented_defaults() {
    let request = parse(json!({"jwt": {"sub": "chat-42"}, "loginUrlForHost": true,
        "aud": AUDIENCE, "numHost": 1, "numGuest": 1, "provideShortUrls": true, "verticalType": "gen"}));
    let plan = request.validate(NOW).unwrap();
    assert_eq!(plan.sub, "chat-42");
    assert_eq!(
        plan.exp,
        NOW + 15 * 60,
        "default exp is 15 minutes after the request"
    );
    assert_eq!((plan.num_host, plan.num_guest), (1, 1));
    assert!(plan.short_urls && plan.login_url_for_host);
    assert_eq!(plan.vertical, Vertical::Gen);
    assert_eq!(plan.jwe_alg, KeyAlg::Pbes2Hs512A256Kw);
    assert_eq!(plan.enc, ContentEnc::A256Gcm);
    assert_eq!(plan.jws_alg, JwsAlg::Hs512);
    assert_eq!((plan.salt_length, plan.iterations), (None, None));

    let minimal = parse(base()).validate(NOW).unwrap();
    assert_eq!(minimal.vertical, Vertical::Hc);
    assert!(!minimal.short_urls);
}

#[test]
fn booleans_may_be_strings_as_a_public_lab_sends_them() {
    let request = parse(with(
        with(base(), "/provideShortUrls", json!("true")),
        "/loginUrlForHost",
        json!("false"),
    ));
    let plan = request.validate(NOW).unwrap();
    assert!(plan.short_urls);
    assert!(!plan.login_url_for_host);
    assert_eq!(
        broken_fields(with(base(), "/provideShortUrls", json!("yes"))),
        ["provideShortUrls"]
    );
    assert_eq!(
        broken_fields(with(base(), "/provideShortUrls", json!(1))),
        ["provideShortUrls"]
    );
}

#[test]
fn each_rule_names_its_field() {
    let cases: Vec<(Value, &[&str])> = vec![
        (json!({"jwt": {"sub": "x"}}), &["aud"]),
        (json!({"aud": AUDIENCE}), &["jwt"]),
        (json!({"aud": AUDIENCE, "jwt": {}}), &["jwt.sub"]),
        (with(base(), "/aud", json!("someone-else")), &["aud"]),
        (with(base(), "/jwt/sub", json!("")), &["jwt.sub"]),
        (with(base(), "/jwt/sub", json!("   ")), &["jwt.sub"]),
        (
            with(base(), "/jwt/sub", json!("x".repeat(1025))),
            &["jwt.sub"],
        ),
        (with(base(), "/jwt/sub", json!(42)), &["jwt.sub"]),
        (
            with(base(), "/numHost", json!(26)),
            &["numHost", "numHost+numGuest"],
        ),
        (
            with(base(), "/numGuest", json!(-1)),
            &["numGuest", "numHost+numGuest"],
        ),
        (
            with(with(base(), "/numHost", json!(0)), "/numGuest", json!(0)),
            &["numHost+numGuest"],
        ),
        (
            with(with(base(), "/numHost", json!(13)), "/numGuest", json!(13)),
            &["numHost+numGuest"],
        ),
        (with(base(), "/numHost", json!("1")), &["numHost"]),
        (with(base(), "/jwt/exp", json!(NOW - 1)), &["jwt.exp"]),
        (with(base(), "/jwt/exp", json!(NOW)), &["jwt.exp"]),
        (
            with(base(), "/jwt/exp", json!((NOW + 3600) * 1000)),
            &["jwt.exp"],
        ),
        (with(base(), "/jwt/nbf", json!(NOW * 1000)), &["jwt.nbf"]),
        (with(base(), "/jwt/nbf", json!(-5)), &["jwt.nbf"]),
        (
            with(
                with(base(), "/jwt/nbf", json!(NOW + 100)),
                "/jwt/exp",
                json!(NOW + 100),
            ),
            &["jwt.nbf"],
        ),
        (with(base(), "/jwt/nbf", json!(NOW + 86_400)), &["jwt.nbf"]),
        (with(base(), "/jwt/Exp", json!(NOW + 60)), &["jwt.Exp"]),
        (
            with(base(), "/jwt/flow", json!({"id": "knock"})),
            &["jwt.flow.id"],
        ),
        (
            with(
                base(),
                "/jwt/flow",
                json!({"id": "sip-no-knock", "data": [{"uri": "tel:123"}]}),
            ),
            &["jwt.flow.data[0].uri"],
        ),
        (
            with(base(), "/verticalType", json!("cc")),
            &["verticalType"],
        ),
        (with(base(), "/jweAlg", json!("dir")), &["jweAlg"]),
        (with(base(), "/enc", json!("A256CTR")), &["enc"]),
        (with(base(), "/jwsAlg", json!("none")), &["jwsAlg"]),
        (with(base(), "/saltLength", json!(7)), &["saltLength"]),
        (with(base(), "/saltLength", json!(129)), &["saltLength"]),
        (with(base(), "/iterations", json!(999)), &["iterations"]),
        (with(base(), "/iterations", json!(32768)), &["iterations"]),
    ];
    for (body, expected) in cases {
        assert_eq!(broken_fields(body.clone()), expected, "{body}");
    }
}

#[test]
fn all_broken_rules_are_reported_at_once_with_readable_rules() {
    let body =
        json!({"aud": "x", "jwt": {"sub": "", "exp": 1_700_000_000_000i64}, "iterations": 5});
    let errors = LinkRequest::from_json(body.to_string().as_bytes())
        .unwrap()
        .validate(NOW)
        .unwrap_err();
    let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["aud", "jwt.sub", "jwt.exp", "iterations"]);
    assert!(
        errors.errors()[2].rule.contains("milliseconds"),
        "{}",
        errors.errors()[2].rule
    );
    assert_eq!(
        errors.errors()[3],
        FieldError::new("iterations", "must be between 1000 and 32767, got 5")
    );
    assert!(errors.to_string().starts_with("aud: must be `a4d886b0"));
}

#[test]
fn capitalised_claims_from_the_guides_example_point_to_the_lowercase_names() {
    let body = with(base(), "/jwt/Nbf", json!(NOW * 1000));
    let errors = LinkRequest::from_json(body.to_string().as_bytes()).unwrap_err();
    assert_eq!(errors.first().field, "jwt.Nbf");
    assert!(
        errors
            .first()
            .rule
            .contains("unknown field `Nbf`, expected one of `sub`, `nbf`, `exp`, `flow`"),
        "{}",
        errors.first().rule
    );
}

#[test]
fn limits_at_their_edges_are_accepted() {
    let body = json!({"aud": AUDIENCE, "jwt": {"sub": "é".repeat(512), "nbf": NOW - 10, "exp": NOW + 1,
        "flow": {"id": "sip-no-knock", "data": [{"uri": "sip:room@example.com"}]}},
        "numHost": 0, "numGuest": 25, "saltLength": 128, "iterations": 1000,
        "jweAlg": "PBES2-HS256+A128KW", "enc": "A128CBC-HS256", "jwsAlg": "HS256", "unknownTopLevel": 1});
    let plan = parse(body).validate(NOW).unwrap();
    assert_eq!((plan.num_host, plan.num_guest), (0, 25));
    assert_eq!((plan.salt_length, plan.iterations), (Some(128), Some(1000)));
    assert_eq!(plan.nbf, Some(NOW - 10));
}

#[test]
fn bodies_that_are_not_json_objects_are_reported_as_body() {
    for body in ["", "{", "[]", "{\"aud\": 1} trailing"] {
        let errors = LinkRequest::from_json(body.as_bytes()).unwrap_err();
        assert_eq!(
            errors.first().field,
            if body == "{\"aud\": 1} trailing" {
                "aud"
            } else {
                "body"
            },
            "{body:?}"
        );
    }
}

#[test]
fn a_request_serializes_only_what_was_set() {
    let mut request = LinkRequest::new("visit-9");
    request.num_host = Some(0);
    let json = serde_json::to_value(&request).unwrap();
    assert_eq!(
        json,
        json!({"aud": AUDIENCE, "jwt": {"sub": "visit-9"}, "numHost": 0})
    );
}

#[test]
fn sms_invites_check_numbers_and_required_fields() {
    let recorded: Value =
        serde_json::from_str(&crate::data("v1-sms-meetinginvite-200-1.json")).unwrap();
    let mut body = recorded["request"]["body"].clone();
    body["mobileNumbersWithAlpha2CountryCode"]["us"] = json!(["5551234567"]);
    let invite = SmsInviteRequest::from_json(body.to_string().as_bytes()).unwrap();
    assert_eq!(invite.validate().unwrap(), ["us:5551234567"]);

    let good = SmsInviteRequest::e164("org", "visit-1", vec!["+15551234567".into()]);
    assert_eq!(good.validate().unwrap(), ["+15551234567"]);

    let fields = |invite: SmsInviteRequest| -> Vec<String> {
        invite
            .validate()
            .unwrap_err()
            .errors()
            .iter()
            .map(|e| e.field.clone())
            .collect()
    };
    assert_eq!(
        fields(SmsInviteRequest::e164(
            "org",
            "v",
            vec!["5551234567".into()]
        )),
        ["mobileNumbersWithCountryCode[0]"]
    );
    assert_eq!(
        fields(SmsInviteRequest::e164("org", "v", vec!["+1555abc".into()])),
        ["mobileNumbersWithCountryCode[0]"]
    );
    assert_eq!(
        fields(SmsInviteRequest::e164("org", "v", vec![])),
        ["mobileNumbersWithCountryCode"]
    );
    assert_eq!(
        fields(SmsInviteRequest::e164("", "", vec!["+15551234567".into()])),
        ["orgId", "meetingId"]
    );
    let mut wrong = good.clone();
    wrong.integration = "webex".into();
    wrong.mobile_numbers_with_alpha2_country_code =
        Some([("usa".to_string(), vec!["12".to_string()])].into());
    assert_eq!(
        fields(wrong),
        [
            "integration",
            "mobileNumbersWithAlpha2CountryCode.usa",
            "mobileNumbersWithAlpha2CountryCode.usa[0]"
        ]
    );
}
