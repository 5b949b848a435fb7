//! What `Debug` shows of the broker's answers and links: everything a person debugging needs,
//! and no credential (a cipher, a short key, a token, or a URL's secret part).

use instant_connect::{LegacyLinkResponse, Link, LinkItem, Role, SpaceDetails};

#[test]
fn a_link_item_shows_its_credentials_only_by_length() {
    let item = LinkItem {
        cipher: "eyJ.abc.def".into(),
        short: Some("Vu86Mnw".into()),
    };
    assert_eq!(
        format!("{item:?}"),
        "LinkItem { cipher: <redacted, 11 chars>, short: Some(<redacted, 7 chars>) }"
    );
    let long_only = LinkItem {
        cipher: "eyJ".into(),
        short: None,
    };
    assert_eq!(
        format!("{long_only:?}"),
        "LinkItem { cipher: <redacted, 3 chars>, short: None }"
    );
}

#[test]
fn a_legacy_answer_shows_how_many_ciphers_of_each_role() {
    let legacy = LegacyLinkResponse {
        host: vec!["aaaa".into()],
        guest: vec!["bb".into(), "ccc".into()],
    };
    assert_eq!(
        format!("{legacy:?}"),
        "LegacyLinkResponse { host: [<redacted, 4 chars>], guest: [<redacted, 2 chars>, \
         <redacted, 3 chars>] }"
    );
}

#[test]
fn space_details_show_every_field_but_the_token() {
    let space = SpaceDetails {
        user_identifier: "Guest".into(),
        is_logged_in: false,
        is_host: false,
        organization_id: "org-1".into(),
        org_name: "Clinic".into(),
        token: "space-token".into(),
        space_id: "c3BhY2U".into(),
        visit_id: "visit-1".into(),
        integration_type: "jose".into(),
        sip_address: Some("123@example.webex.com".into()),
        meeting_id: None,
        meeting_number: Some("123".into()),
    };
    assert_eq!(
        format!("{space:?}"),
        "SpaceDetails { user_identifier: \"Guest\", is_logged_in: false, is_host: false, \
         organization_id: \"org-1\", org_name: \"Clinic\", token: <redacted, 11 chars>, \
         space_id: \"c3BhY2U\", visit_id: \"visit-1\", integration_type: \"jose\", \
         sip_address: Some(\"123@example.webex.com\"), meeting_id: None, meeting_number: \
         Some(\"123\") }"
    );
}

#[test]
fn a_link_shows_its_role_and_where_it_goes_up_to_the_secret_part() {
    let link = Link {
        role: Role::Guest,
        url: "https://b.test/visit/Vu86Mnw".into(),
        short_url: Some("https://b.test/visit/Vu86Mnw".into()),
        long_url: "https://b.test/hc/guest/?int=jose&data=eyJ".into(),
        short: Some("Vu86Mnw".into()),
        cipher: "eyJ".into(),
    };
    assert_eq!(
        format!("{link:?}"),
        "Link { role: Guest, url: \"https://b.test/visit/…\", short_url: \
         Some(\"https://b.test/visit/…\"), long_url: \"https://b.test/hc/guest/…\", short: \
         Some(<redacted, 7 chars>), cipher: <redacted, 3 chars> }"
    );
}
