//! How a curl line's data becomes a body: JSON, a form or text, by what its Content-Type (or
//! `--json`) says, or failing that by how the data looks.

use importer::notes::Kind;
use importer::{Imported, Options};
use node::model::BodyFormat;

use crate::real::{checked, notes_of};

fn curl(line: &str) -> Imported {
    let imported = importer::curl(line, &Options::default()).unwrap_or_else(|e| panic!("{e}"));
    checked(&imported, &[]);
    imported
}

fn body_of(imported: &Imported) -> (BodyFormat, &str) {
    let body = imported.definition.methods[0].body.as_ref().unwrap();
    (body.format, body.template.as_str())
}

#[test]
fn json_data_says_it_is_json_with_json_and_is_sent_as_such_without_a_note() {
    let said = curl(r#"curl --json '{"n": 1}' http://127.0.0.1:9/things"#);
    assert_eq!(body_of(&said), (BodyFormat::Json, r#"{"n": 1}"#));
    assert_eq!(notes_of(Kind::Changed, &said), Vec::<&str>::new());

    // The same data with `-d` and no Content-Type: curl would send a form; the node sends the
    // JSON it is, and says so.
    let unsaid = curl(r#"curl -d '{"n": 1}' http://127.0.0.1:9/things"#);
    assert_eq!(body_of(&unsaid), (BodyFormat::Json, r#"{"n": 1}"#));
    assert_eq!(
        notes_of(Kind::Changed, &unsaid),
        [
            "the data is JSON but no Content-Type says so (curl would send it as a form): the node sends it as JSON"
        ]
    );
}

#[test]
fn data_that_json_calls_json_but_is_not_is_sent_as_text_not_as_a_form() {
    let imported = curl("curl --json 'n=1' http://127.0.0.1:9/things");
    assert_eq!(body_of(&imported), (BodyFormat::Text, "n=1"));
    assert_eq!(
        notes_of(Kind::Changed, &imported),
        ["the data is not JSON: sent as text"]
    );
    // Without `--json` the same data is a form.
    let form = curl("curl -d 'n=1' http://127.0.0.1:9/things");
    assert_eq!(body_of(&form), (BodyFormat::Form, "n=1"));
}

fn dynamic_fields(imported: &Imported) -> Vec<&str> {
    imported.definition.methods[0].dynamic_fields()
}

#[test]
fn a_text_body_is_xml_by_its_content_type_or_its_first_character_and_only_then_keeps_its_tags() {
    // Text: `<NAME>` is a placeholder, even beside a header that asks for XML back.
    let text = curl(
        "curl -H 'Accept: application/xml' -H 'Content-Type: text/plain' --data-binary 'Dear <NAME>' http://127.0.0.1:9/notes",
    );
    assert_eq!(body_of(&text).0, BodyFormat::Text);
    assert_eq!(dynamic_fields(&text), ["NAME"]);

    // XML by its Content-Type, though the data does not start with a tag: `<NAME>` is an element.
    let typed = curl(
        "curl -H 'Content-Type: application/xml' --data-binary 'note: <NAME>' http://127.0.0.1:9/notes",
    );
    assert_eq!(body_of(&typed), (BodyFormat::Text, "note: <NAME>"));
    assert_eq!(dynamic_fields(&typed), Vec::<&str>::new());

    // XML by its first character, with no XML Content-Type.
    let looked = curl(
        "curl -H 'Content-Type: text/plain' --data-binary '<note><NAME></NAME></note>' http://127.0.0.1:9/notes",
    );
    assert_eq!(
        body_of(&looked),
        (BodyFormat::Text, "<note><NAME></NAME></note>")
    );
    assert_eq!(dynamic_fields(&looked), Vec::<&str>::new());
}
