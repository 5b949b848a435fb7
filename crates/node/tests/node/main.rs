//! The node engine's tests: checks over a catalogue of broken definitions, and runs against a
//! real HTTP server on port 0 (generic; nothing here knows Instant Connect).

mod aws;
mod check;
mod destinations;
mod formats;
mod fuzz;
mod mutations;
mod optional;
mod run;
mod tls;

use serde_json::{Value, json};

/// A small valid definition, the base every broken case edits.
pub fn valid() -> Value {
    json!({
        "name": "Echo",
        "methods": [{
            "name": "Send",
            "requestTimeoutMs": 2000,
            "connectionTimeoutMs": 2000,
            "httpMethod": "POST",
            "url": "http://127.0.0.1:1/echo/$(path)",
            "headers": [
                {"type": "static", "name": "Authorization", "value": "Bearer $(secret:api_token)"},
                {"type": "dynamic", "name": "X-Trace", "field": "trace"}
            ],
            "urlParameters": [{"type": "static", "name": "mode", "value": "a b&c"}],
            "parameters": [
                {"type": "dynamic", "name": "path"},
                {"type": "dynamic", "name": "chatId"},
                {"type": "static", "name": "count", "value": "2"}
            ],
            "body": {"format": "json", "template": "{\"sub\": \"$(chatId)\", \"n\": $(count)}"},
            "responseType": "json",
            "events": [
                {"name": "Ok", "source": {"type": "status"}, "condition": "equals", "value": "200", "edge": "success"},
                {"name": "Other", "source": {"type": "status"}, "condition": "not equals", "value": "200", "edge": "error"}
            ],
            "outputs": [
                {"name": "sub", "source": {"type": "body", "path": "$.body.sub"}},
                {"name": "status", "source": {"type": "status"}},
                {"name": "server", "source": {"type": "header", "name": "x-server"}}
            ],
            "computedOutputs": [{"name": "label", "template": "$(server)/$(sub)"}]
        }]
    })
}
