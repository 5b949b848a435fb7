use instant_connect::{JoinUrls, LinkResponse, Role, Vertical};
use serde_json::Value;

use crate::data;

#[test]
fn the_seeds_sample_response_becomes_finished_links() {
    let response: LinkResponse = serde_json::from_str(&data("seed-sample-response.json")).unwrap();
    let links = JoinUrls::default().links(&response, Vertical::Gen, false);
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
fn long_urls_follow_the_vertical_and_force_login_only_for_hosts() {
    let join = JoinUrls::new("http://127.0.0.1:8080/").unwrap();
    assert_eq!(
        join.long_url(Role::Host, Vertical::Hc, "a.b.c.d.e", true),
        "http://127.0.0.1:8080/hc/v1/login?int=jose&v=1&data=a.b.c.d.e&fli=true"
    );
    assert_eq!(
        join.long_url(Role::Guest, Vertical::Hc, "a.b.c.d.e", true),
        "http://127.0.0.1:8080/hc/v1/talk?int=jose&v=1&data=a.b.c.d.e"
    );
    let prefixed = JoinUrls::new("https://example.test/ic").unwrap();
    assert_eq!(
        prefixed.long_url(Role::Guest, Vertical::Gen, "x", false),
        "https://example.test/ic/gen/v1/talk?int=jose&v=1&data=x"
    );
    assert!(JoinUrls::new("instant.webex.com").is_err());
    assert!(JoinUrls::new("ftp://instant.webex.com").is_err());
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
    let links = JoinUrls::default().links(&response, Vertical::Hc, false);
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
