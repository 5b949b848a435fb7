use instant_connect::{JoinStyle, JoinUrls, LinkResponse, Role, Vertical};
use serde_json::Value;

use crate::data;

#[test]
fn the_seeds_sample_response_becomes_finished_links() {
    let response: LinkResponse = serde_json::from_str(&data("seed-sample-response.json")).unwrap();
    let style = JoinStyle {
        vertical: Vertical::Gen,
        ..JoinStyle::default()
    };
    let links = JoinUrls::default().links(&response, &style);
    let host = &links.hosts[0];
    assert_eq!(host.role, Role::Host);
    assert_eq!(host.url, "https://instant.webex.com/visit/Vu86Mnw");
    assert_eq!(host.short.as_deref(), Some("Vu86Mnw"));
    assert_eq!(
        host.long_url,
        format!(
            "https://instant.webex.com/gen/v1/login?int=jose&v=1&data={}",
            response.host[0].cipher
        )
    );
    let guest = &links.guests[0];
    assert_eq!(guest.url, "https://instant.webex.com/visit/Ep4L5OK");
    assert!(
        guest
            .long_url
            .starts_with("https://instant.webex.com/gen/v1/talk?int=jose&v=1&data=eyJwMnMi")
    );
}

#[test]
fn the_recorded_broker_response_parses_and_its_headers_have_the_brokers_key_order() {
    let recorded: Value = serde_json::from_str(&data("v2-joseencrypt-200-1.json")).unwrap();
    assert_eq!(
        recorded["response"]["headers"]["trackingid"]
            .as_str()
            .map(|t| t.starts_with("ROUTER_")),
        Some(true)
    );
    let response: LinkResponse =
        serde_json::from_value(recorded["response"]["body"].clone()).unwrap();
    assert_eq!(
        response.base_url.as_deref(),
        Some("https://instant.webex.com/visit/")
    );
    for item in response.host.iter().chain(&response.guest) {
        let header = jose::jwe::unverified_header(&item.cipher).unwrap();
        let keys: Vec<&str> = header.keys().map(String::as_str).collect();
        assert_eq!(keys, ["p2s", "p2c", "aud", "iss", "cty", "enc", "alg"]);
        assert_eq!(header["aud"], instant_connect::AUDIENCE);
    }
    assert_eq!(
        jose::jwe::unverified_header(&response.host[0].cipher).unwrap()["p2c"],
        4013
    );
}

#[test]
fn long_urls_follow_the_vertical_the_host_login_and_force_login_only_for_hosts() {
    let join = JoinUrls::new("http://127.0.0.1:8080/").unwrap();
    let forced = JoinStyle {
        vertical: Vertical::Hc,
        host_login: true,
        force_login: true,
    };
    assert_eq!(
        join.long_url(Role::Host, &forced, "a.b.c.d.e"),
        "http://127.0.0.1:8080/hc/v1/login?int=jose&v=1&data=a.b.c.d.e&fli=true"
    );
    assert_eq!(
        join.long_url(Role::Guest, &forced, "a.b.c.d.e"),
        "http://127.0.0.1:8080/hc/v1/talk?int=jose&v=1&data=a.b.c.d.e"
    );
    let no_login = JoinStyle {
        vertical: Vertical::Cc,
        host_login: false,
        force_login: false,
    };
    assert_eq!(
        JoinUrls::path(Role::Host, &no_login, "h"),
        "/cc/v1/talk?int=jose&v=1&data=h",
        "loginUrlForHost: false sends the host to the talk page"
    );
    let prefixed = JoinUrls::new("https://example.test/ic").unwrap();
    let general = JoinStyle {
        vertical: Vertical::Gen,
        ..JoinStyle::default()
    };
    assert_eq!(
        prefixed.long_url(Role::Guest, &general, "x"),
        "https://example.test/ic/gen/v1/talk?int=jose&v=1&data=x"
    );
    assert!(matches!(
        JoinUrls::new("instant.webex.com"),
        Err(instant_connect::JoinUrlError::NotAUrl { .. })
    ));
    assert_eq!(
        JoinUrls::new("ftp://instant.webex.com")
            .unwrap_err()
            .to_string(),
        "`ftp://instant.webex.com` must be an http(s) URL with a host"
    );
}

#[test]
fn debug_output_of_links_and_responses_holds_no_cipher_short_key_or_token() {
    let response: LinkResponse = serde_json::from_str(&data("seed-sample-response.json")).unwrap();
    let links = JoinUrls::default().links(&response, &JoinStyle::default());
    let legacy = instant_connect::LegacyLinkResponse {
        host: vec![response.host[0].cipher.clone()],
        guest: vec![response.guest[0].cipher.clone()],
    };
    let space = instant_connect::SpaceDetails {
        user_identifier: "Host".into(),
        is_logged_in: false,
        is_host: true,
        organization_id: "o".into(),
        org_name: "Org".into(),
        token: "space-token-SECRET".into(),
        space_id: "s".into(),
        visit_id: "v".into(),
        integration_type: "jose".into(),
        sip_address: Some("12345678901@example.test".into()),
        meeting_id: Some("0123456789abcdef0123456789abcdef".into()),
        meeting_number: Some("12345678901".into()),
    };
    let shown = [
        format!("{response:?}"),
        format!("{links:?}"),
        format!("{legacy:?}"),
        format!("{space:?}"),
    ];
    for text in &shown {
        for item in response.host.iter().chain(&response.guest) {
            let cipher_body = item.cipher.split('.').nth(3).unwrap_or("");
            assert!(
                !text.contains(&item.cipher)
                    && (cipher_body.is_empty() || !text.contains(cipher_body)),
                "a cipher in {text}"
            );
            let short = item.short.as_deref().unwrap();
            assert!(!text.contains(short), "short key {short} in {text}");
        }
        assert!(!text.contains("SECRET"), "{text}");
    }
    assert!(
        shown[1].contains("https://instant.webex.com/visit/…"),
        "{}",
        shown[1]
    );
    assert!(
        shown[3].contains("12345678901@example.test"),
        "{}",
        shown[3]
    );
}

#[test]
fn links_without_shorts_hand_out_the_long_url() {
    let response = LinkResponse {
        host: vec![instant_connect::LinkItem {
            cipher: "h".into(),
            short: None,
        }],
        guest: vec![],
        base_url: None,
    };
    let links = JoinUrls::default().links(&response, &JoinStyle::default());
    assert_eq!(links.hosts[0].url, links.hosts[0].long_url);
    assert_eq!(links.hosts[0].short_url, None);
}

#[test]
fn short_urls_join_base_and_key_with_one_slash() {
    assert_eq!(
        instant_connect::urls::short_url("https://x.test/visit/", "Ab3"),
        "https://x.test/visit/Ab3"
    );
    assert_eq!(
        instant_connect::urls::short_url("https://x.test/visit", "Ab3"),
        "https://x.test/visit/Ab3"
    );
}

#[test]
fn each_role_reads_back_from_its_name_and_others_are_named_in_the_error() {
    assert_eq!(Role::Host.as_str(), "host");
    assert_eq!(Role::Guest.as_str(), "guest");
    for role in Role::ALL {
        assert_eq!(role.as_str().parse::<Role>(), Ok(role));
    }
    assert_eq!(
        "Host".parse::<Role>().unwrap_err().to_string(),
        "unknown role `Host`, expected `host` or `guest`"
    );
}

#[test]
fn a_plans_links_open_in_its_vertical_and_host_login_and_never_force_it() {
    let mut request = instant_connect::LinkRequest::new("visit-style");
    request.vertical_type = Some(Vertical::Gen);
    request.login_url_for_host = Some(false);
    let plan = request.validate(1_800_000_000).unwrap().value;
    assert_eq!(
        JoinStyle::from(&plan),
        JoinStyle {
            vertical: Vertical::Gen,
            host_login: false,
            force_login: false,
        }
    );
    let plain = instant_connect::LinkRequest::new("visit-style")
        .validate(1_800_000_000)
        .unwrap()
        .value;
    assert_eq!(JoinStyle::from(&plan).page(Role::Host).as_str(), "talk");
    assert_eq!(JoinStyle::from(&plain), JoinStyle::default());
    assert_eq!(JoinStyle::from(&plain).page(Role::Host).as_str(), "login");
}

#[test]
fn the_production_brokers_links_join_on_production_and_a_local_brokers_on_itself() {
    use instant_connect::{PRODUCTION_BROKER_URL, PRODUCTION_JOIN_URL};
    for production in [
        PRODUCTION_BROKER_URL.to_owned(),
        format!("{PRODUCTION_BROKER_URL}/"),
    ] {
        let urls = JoinUrls::for_broker(&production.parse().unwrap());
        assert_eq!(urls.base(), PRODUCTION_JOIN_URL, "{production}");
    }
    let local = JoinUrls::for_broker(&"http://127.0.0.1:8080/prefix/".parse().unwrap());
    assert_eq!(local.base(), "http://127.0.0.1:8080/prefix");
}
