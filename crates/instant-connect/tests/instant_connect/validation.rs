use instant_connect::{
    AUDIENCE, Accepted, ContentEnc, FieldError, JwsAlg, KeyAlg, LinkPlan, LinkRequest,
    SmsInviteRequest, Vertical,
};
use serde_json::{Value, json};

const NOW: i64 = 1_800_000_000;

fn parse(body: Value) -> LinkRequest {
    let parsed = LinkRequest::from_json(body.to_string().as_bytes()).unwrap();
    assert_eq!(parsed.warnings, vec![], "{body}");
    parsed.value
}

/// Parsing and validating as the broker does: every warning of both steps, in order.
fn accept(body: &Value) -> Result<Accepted<LinkPlan>, instant_connect::ValidationErrors> {
    LinkRequest::from_json(body.to_string().as_bytes())?.then(|request| request.validate(NOW))
}

/// The fields named by every rule `body` breaks.
fn broken_fields(body: Value) -> Vec<String> {
    match accept(&body) {
        Ok(_) => vec![],
        Err(errors) => errors.errors().iter().map(|e| e.field.clone()).collect(),
    }
}

/// What a lenient broker accepts from `body` with warnings: the plan and `(field, rule)` pairs.
fn warned(body: Value) -> (LinkPlan, Vec<(String, String)>) {
    let accepted = accept(&body).unwrap_or_else(|e| panic!("{body}: {e}"));
    let warnings = accepted
        .warnings
        .iter()
        .map(|w| (w.field.clone(), w.rule.clone()))
        .collect();
    assert!(accepted.clone().strict().is_err(), "strict refuses {body}");
    (accepted.value, warnings)
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
    let plan = request.validate(NOW).unwrap().strict().unwrap();
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

    let minimal = parse(base()).validate(NOW).unwrap().strict().unwrap();
    assert_eq!(minimal.vertical, Vertical::Hc);
    assert!(!minimal.short_urls);
}

#[test]
fn booleans_and_counts_may_be_strings_with_a_warning_each() {
    // A public lab sends `"provideShortUrls": "true"`; a public Django form sends `"numGuest": "2"`.
    let body = with(
        with(
            with(base(), "/provideShortUrls", json!("true")),
            "/loginUrlForHost",
            json!("false"),
        ),
        "/numGuest",
        json!("2"),
    );
    let (plan, warnings) = warned(body);
    assert!(plan.short_urls);
    assert!(!plan.login_url_for_host);
    assert_eq!(plan.num_guest, 2);
    assert_eq!(
        warnings,
        [
            (
                "provideShortUrls".to_owned(),
                "is the string \"true\"; read as the boolean true".to_owned()
            ),
            (
                "loginUrlForHost".to_owned(),
                "is the string \"false\"; read as the boolean false".to_owned()
            ),
            (
                "numGuest".to_owned(),
                "is the string \"2\"; read as the number 2".to_owned()
            ),
        ]
    );
    assert_eq!(
        broken_fields(with(base(), "/provideShortUrls", json!("yes"))),
        ["provideShortUrls"]
    );
    assert_eq!(
        broken_fields(with(base(), "/provideShortUrls", json!(1))),
        ["provideShortUrls"]
    );
    assert_eq!(
        broken_fields(with(base(), "/numHost", json!("two"))),
        ["numHost"]
    );
}

#[test]
fn a_delete_call_with_nbf_and_exp_zero_makes_expired_links_with_a_warning() {
    // Caseflow "deletes" a hearing's meeting with its usual body and `nbf: 0, exp: 0`.
    let body = json!({"jwt": {"sub": "150000_1_Hearing", "nbf": 0, "exp": 0}, "aud": AUDIENCE,
        "numHost": 2, "provideShortUrls": true, "verticalType": "gen"});
    let (plan, warnings) = warned(body);
    assert_eq!((plan.nbf, plan.exp), (Some(0), 0));
    assert_eq!(
        warnings,
        [(
            "jwt.exp".to_owned(),
            format!(
                "is not in the future (now is {NOW}, got 0): the links are made already expired"
            )
        )]
    );
    let (plan, _) = warned(with(base(), "/jwt/exp", json!(NOW)));
    assert_eq!(plan.exp, NOW, "exp = now is already expired too");
}

#[test]
fn unknown_fields_are_ignored_with_a_warning_that_names_them_and_the_near_miss() {
    // The guide's sample writes `Nbf`/`Exp`; Caseflow's branches sent them capitalised.
    let body = json!({"aud": AUDIENCE, "jwt": {"sub": "visit-caps", "Nbf": NOW, "Exp": (NOW + 3600) * 1000},
        "hostDisplayName": "Agent"});
    let (plan, warnings) = warned(body);
    assert_eq!(
        (plan.nbf, plan.exp),
        (None, NOW + 15 * 60),
        "the capitals set nothing"
    );
    assert_eq!(
        warnings,
        [
            (
                "jwt.Nbf".to_owned(),
                "ignored: not a field Instant Connect reads; did you mean `nbf`?".to_owned()
            ),
            (
                "jwt.Exp".to_owned(),
                "ignored: not a field Instant Connect reads; did you mean `exp`? (it takes Unix \
                 seconds; this value looks like milliseconds)"
                    .to_owned()
            ),
            (
                "hostDisplayName".to_owned(),
                "ignored: not a field Instant Connect reads".to_owned()
            ),
        ]
    );
    let nested = with(
        base(),
        "/jwt/flow",
        json!({"id": "sip-no-knock", "data": [{"uri": "a@b.c"}, {"URI": "x", "uri": "d@e.f"}]}),
    );
    let (_, warnings) = warned(nested);
    assert_eq!(
        warnings,
        [(
            "jwt.flow.data[1].URI".to_owned(),
            "ignored: not a field Instant Connect reads; did you mean `uri`?".to_owned()
        )]
    );
}

#[test]
fn times_in_milliseconds_are_read_as_milliseconds_with_a_warning() {
    // A public booking page sends `exp: new Date(...).getTime()`.
    let (plan, warnings) = warned(with(base(), "/jwt/exp", json!((NOW + 3600) * 1000 + 999)));
    assert_eq!(plan.exp, NOW + 3600);
    assert_eq!(
        warnings,
        [(
            "jwt.exp".to_owned(),
            format!(
                "{} looks like milliseconds; read as {} seconds",
                (NOW + 3600) * 1000 + 999,
                NOW + 3600
            )
        )]
    );
}

#[test]
fn the_cc_vertical_is_accepted_with_a_warning_and_bare_sip_addresses_without_one() {
    let (plan, warnings) = warned(with(base(), "/verticalType", json!("cc")));
    assert_eq!(plan.vertical, Vertical::Cc);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].0, "verticalType");
    assert!(
        warnings[0].1.contains("/cc/ join pages"),
        "{}",
        warnings[0].1
    );

    // The guide's own example, and public clients, give the address without `sip:`.
    let bare = with(
        base(),
        "/jwt/flow",
        json!({"id": "sip-no-knock", "data": [{"uri": "room@example.room.wbx2.com"}, {"uri": "sip:b@c.d"}]}),
    );
    let plan = accept(&bare).unwrap().strict().unwrap();
    assert_eq!(plan.flow.unwrap().data[0].uri, "room@example.room.wbx2.com");
}

#[test]
fn each_rule_names_its_field() {
    let cases: Vec<(Value, &[&str])> = vec![
        (json!({"jwt": {"sub": "x"}}), &["aud"]),
        (json!({"aud": AUDIENCE}), &["jwt.sub"]),
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
        (
            with(base(), "/jwt/flow", json!({"id": "knock"})),
            &["jwt.flow.id"],
        ),
        (
            with(
                base(),
                "/jwt/flow",
                json!({"id": "sip-no-knock", "data": [{"uri": "room @example.com"}]}),
            ),
            &["jwt.flow.data[0].uri"],
        ),
        (
            with(
                base(),
                "/jwt/flow",
                json!({"id": "sip-no-knock", "data": [{"uri": ""}]}),
            ),
            &["jwt.flow.data[0].uri"],
        ),
        (
            with(base(), "/verticalType", json!("xx")),
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
    let body = json!({"aud": "x", "jwt": {"sub": "", "exp": -3}, "iterations": 5});
    let errors = accept(&body).unwrap_err();
    let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["aud", "jwt.sub", "jwt.exp", "iterations"]);
    assert_eq!(
        errors.errors()[2].rule,
        "must be Unix time in seconds, not negative (got -3)"
    );
    assert_eq!(
        errors.errors()[3],
        FieldError::new("iterations", "must be between 1000 and 32767, got 5")
    );
    assert!(
        errors
            .to_string()
            .starts_with("aud: is required and must be `a4d886b0")
    );
}

#[test]
fn limits_at_their_edges_are_accepted() {
    let body = json!({"aud": AUDIENCE, "jwt": {"sub": "é".repeat(512), "nbf": NOW - 10, "exp": NOW + 1,
        "flow": {"id": "sip-no-knock", "data": [{"uri": "sip:room@example.com"}]}},
        "numHost": 0, "numGuest": 25, "saltLength": 128, "iterations": 1000,
        "jweAlg": "PBES2-HS256+A128KW", "enc": "A128CBC-HS256", "jwsAlg": "HS256"});
    let plan = parse(body).validate(NOW).unwrap().strict().unwrap();
    assert_eq!((plan.num_host, plan.num_guest), (0, 25));
    assert_eq!((plan.salt_length, plan.iterations), (Some(128), Some(1000)));
    assert_eq!(plan.nbf, Some(NOW - 10));
}

#[test]
fn bodies_that_are_not_json_objects_are_reported_as_body() {
    for body in ["", "{", "[]", "{\"aud\": 1} trailing", "42"] {
        let errors = LinkRequest::from_json(body.as_bytes()).unwrap_err();
        assert_eq!(errors.first().field, "body", "{body:?}");
    }
    let errors = LinkRequest::from_json(br#"{"aud": 1}"#).unwrap_err();
    assert_eq!(errors.first().field, "aud");
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
    let invite = SmsInviteRequest::from_json(body.to_string().as_bytes())
        .unwrap()
        .strict()
        .unwrap();
    assert_eq!(
        invite.validate().unwrap().strict().unwrap(),
        ["us:5551234567"]
    );

    let good = SmsInviteRequest::e164("org", "visit-1", vec!["+15551234567".into()]);
    assert_eq!(good.validate().unwrap().strict().unwrap(), ["+15551234567"]);

    // A contact-center sample puts the caller's ANI (`+1…`) in the alpha-2 list.
    let mut ani = good.clone();
    ani.mobile_numbers_with_country_code = None;
    ani.mobile_numbers_with_alpha2_country_code =
        Some([("us".to_string(), vec!["+15551230000".to_string()])].into());
    let accepted = ani.validate().unwrap();
    assert_eq!(accepted.value, ["+15551230000"]);
    assert_eq!(
        accepted.warnings,
        [FieldError::new(
            "mobileNumbersWithAlpha2CountryCode.us[0]",
            "is an E.164 number in a list of national numbers; read as E.164"
        )]
    );

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

#[test]
fn an_nbf_at_or_after_an_explicit_exp_says_both_times() {
    for nbf in [NOW + 100, NOW + 101] {
        let body = with(
            with(base(), "/jwt/nbf", json!(nbf)),
            "/jwt/exp",
            json!(NOW + 100),
        );
        let errors = accept(&body).unwrap_err();
        assert_eq!(
            errors.errors(),
            [FieldError::new(
                "jwt.nbf",
                format!("must be before jwt.exp ({nbf} is not before {})", NOW + 100)
            )]
        );
    }
    // Without an exp, the rule names the default it is measured against.
    let late = with(base(), "/jwt/nbf", json!(NOW + 86_400));
    assert_eq!(
        accept(&late).unwrap_err().first().rule,
        format!(
            "must be before jwt.exp, which defaults to 15 minutes after the request ({}); give \
             jwt.exp for links that start later",
            NOW + 15 * 60
        )
    );
    // One second before is enough.
    let just = with(
        with(base(), "/jwt/nbf", json!(NOW + 99)),
        "/jwt/exp",
        json!(NOW + 100),
    );
    assert_eq!(accept(&just).unwrap().value.nbf, Some(NOW + 99));
}

#[test]
fn a_miscased_field_is_named_with_its_near_miss_at_the_top_and_in_the_flow() {
    let top = with(base(), "/NumHost", json!(2));
    let (plan, warnings) = warned(top);
    assert_eq!(plan.num_host, 1, "the miscased count sets nothing");
    assert_eq!(
        warnings,
        [(
            "NumHost".to_owned(),
            "ignored: not a field Instant Connect reads; did you mean `numHost`?".to_owned()
        )]
    );
    let flow = with(
        base(),
        "/jwt/flow",
        json!({"id": "sip-no-knock", "Data": [], "data": [{"uri": "a@b.c"}]}),
    );
    let (_, warnings) = warned(flow);
    assert_eq!(
        warnings,
        [(
            "jwt.flow.Data".to_owned(),
            "ignored: not a field Instant Connect reads; did you mean `data`?".to_owned()
        )]
    );
}

#[test]
fn a_time_counts_as_milliseconds_only_above_ten_to_the_eleventh() {
    use instant_connect::request::MILLISECONDS_THRESHOLD;
    assert_eq!(MILLISECONDS_THRESHOLD, 100_000_000_000);
    // At the threshold it is read as seconds (the year 5138), not as milliseconds.
    let at = with(base(), "/jwt/exp", json!(MILLISECONDS_THRESHOLD));
    let plan = accept(&at).unwrap();
    assert_eq!(plan.value.exp, MILLISECONDS_THRESHOLD);
    assert!(
        plan.warnings
            .iter()
            .all(|w| !w.rule.contains("milliseconds")),
        "{:?}",
        plan.warnings
    );
    let above = with(base(), "/jwt/exp", json!(MILLISECONDS_THRESHOLD + 1));
    let plan = accept(&above).unwrap();
    assert_eq!(plan.value.exp, MILLISECONDS_THRESHOLD / 1000);
    assert!(plan.warnings[0].rule.contains("looks like milliseconds"));

    // The same edge for a miscased time's hint.
    let hint = |value: i64| {
        let (_, warnings) = warned(with(base(), "/jwt/Exp", json!(value)));
        warnings[0].1.contains("looks like milliseconds")
    };
    assert!(!hint(MILLISECONDS_THRESHOLD));
    assert!(hint(MILLISECONDS_THRESHOLD + 1));
}

#[test]
fn the_epoch_itself_is_a_time_not_a_missing_one() {
    let body = with(with(base(), "/jwt/nbf", json!(0)), "/jwt/exp", json!(0));
    let (plan, warnings) = warned(body);
    assert_eq!((plan.nbf, plan.exp), (Some(0), 0));
    assert_eq!(warnings[0].0, "jwt.exp");
}

#[test]
fn several_broken_rules_read_as_one_line_separated_by_semicolons() {
    let body = json!({"aud": AUDIENCE, "jwt": {"sub": ""}, "iterations": 5});
    let errors = accept(&body).unwrap_err();
    assert_eq!(
        errors.to_string(),
        format!(
            "{}; {}",
            errors.errors()[0],
            FieldError::new("iterations", "must be between 1000 and 32767, got 5")
        )
    );
    assert_eq!(errors.errors().len(), 2);
}

#[test]
fn only_a_plus_a_nonzero_digit_and_seven_to_fourteen_more_digits_is_e164() {
    let refused = |number: &str| {
        SmsInviteRequest::e164("org", "v", vec![number.into()])
            .validate()
            .is_err()
    };
    for good in ["+12345678", "+123456789012345"] {
        assert!(!refused(good), "{good}");
    }
    for bad in [
        "12345678",          // no plus
        "+1234567",          // seven digits
        "+1234567890123456", // sixteen digits
        "+02345678",         // leading zero
        "+1234567a",         // a letter, right length
        "+abcdefgh",         // only letters
        "+",
    ] {
        assert!(refused(bad), "{bad}");
    }
}

#[test]
fn every_vertical_reads_back_from_its_name_and_others_are_named_in_the_error() {
    for vertical in Vertical::ALL {
        assert_eq!(vertical.as_str().parse::<Vertical>(), Ok(vertical));
    }
    let unknown = "HC".parse::<Vertical>().unwrap_err();
    assert_eq!(
        unknown.to_string(),
        "unknown vertical `HC`, expected `hc`, `gen` or `cc`"
    );
}
