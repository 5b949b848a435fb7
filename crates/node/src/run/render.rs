//! The render step: the method's URL, rows and body filled with the run's values into a
//! request, its multipart body read into memory so that the request can be signed and sent
//! again.

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use url::Url;

use super::result::RunError;
use super::values::Values;
use crate::model::{Body, BodyFormat, Method, Row};
use crate::template::{self, Context};

/// The request the method makes with the run's values; `base` moves it to another service.
pub(super) async fn render(
    client: &reqwest::Client,
    method: &Method,
    values: &Values<'_>,
    base: Option<&Url>,
) -> Result<reqwest::Request, RunError> {
    let url = url(method, values, base)?;
    let headers = headers(method, values)?;
    let mut request = client
        .request(method.http_method.as_reqwest(), url)
        .headers(headers);
    if let Some(body) = &method.body {
        request = with_body(request, body, method, values)?;
    }
    let request = request
        .build()
        .map_err(|e| RunError::Url(e.without_url().to_string()))?;
    buffered(request).await
}

/// An optional field left empty leaves its row (URL parameter, header, part) out.
fn left_out(row: &Row, value: &str) -> bool {
    row.field().is_some() && value.is_empty()
}

/// The URL filled, moved to `base`, with its parameter rows as the query.
fn url(method: &Method, values: &Values<'_>, base: Option<&Url>) -> Result<Url, RunError> {
    let mut url = Url::parse(&values.fill(&method.url, Context::Url, method)?)
        .map_err(|e| RunError::Url(e.to_string()))?;
    if let Some(base) = base {
        rebase(&mut url, base)?;
    }
    if !method.url_parameters.is_empty() {
        let mut pairs = Vec::with_capacity(method.url_parameters.len());
        for row in &method.url_parameters {
            for (name, value) in values.pairs(row)? {
                if !left_out(row, &value) {
                    pairs.push((name, value));
                }
            }
        }
        url.query_pairs_mut().extend_pairs(pairs);
    }
    Ok(url)
}

/// The body's Content-Type and SOAPAction, then the header rows.
fn headers(method: &Method, values: &Values<'_>) -> Result<HeaderMap, RunError> {
    let mut headers = HeaderMap::new();
    if let Some(body) = &method.body {
        if let Some(content_type) = body.content_type() {
            let value = HeaderValue::from_str(&content_type)
                .map_err(|_| RunError::Header("Content-Type".into()))?;
            headers.insert(CONTENT_TYPE, value);
        }
        if let Some(action) = body.soap_action_header() {
            let value = HeaderValue::from_str(&action)
                .map_err(|_| RunError::Header("SOAPAction".into()))?;
            headers.insert(HeaderName::from_static("soapaction"), value);
        }
    }
    for row in &method.headers {
        let name = HeaderName::from_bytes(row.name().as_bytes())
            .map_err(|_| RunError::Header(row.name().to_owned()))?;
        let value = values.row(row)?;
        if left_out(row, &value) {
            continue;
        }
        let value =
            HeaderValue::from_str(&value).map_err(|_| RunError::Header(row.name().to_owned()))?;
        headers.insert(name, value);
    }
    Ok(headers)
}

/// The body: its template filled in its format's context, or its parts as a multipart form.
fn with_body(
    request: reqwest::RequestBuilder,
    body: &Body,
    method: &Method,
    values: &Values<'_>,
) -> Result<reqwest::RequestBuilder, RunError> {
    let context = match body.format {
        BodyFormat::Json => Context::Json,
        BodyFormat::Form => Context::Form,
        BodyFormat::Text => Context::Raw,
        BodyFormat::Xml | BodyFormat::Soap => Context::Xml,
        BodyFormat::Multipart => {
            let mut form = reqwest::multipart::Form::new();
            for part in &body.parts {
                for (name, value) in values.pairs(part)? {
                    if !left_out(part, &value) {
                        form = form.text(name, value);
                    }
                }
            }
            return Ok(request.multipart(form));
        }
    };
    let template = if body.omit_empty {
        template::without_empty(&body.template, context, |name| {
            values.is_empty(name, method)
        })
    } else {
        body.template.clone()
    };
    Ok(request.body(values.fill(&template, context, method)?))
}

/// The request with a streamed body (multipart) read into memory, so that it can be sent again
/// (Digest, OAuth 2.0) and hashed (SigV4). The stream is made of parts already in memory.
async fn buffered(mut request: reqwest::Request) -> Result<reqwest::Request, RunError> {
    let Some(body) = request.body_mut().take() else {
        return Ok(request);
    };
    if body.as_bytes().is_some() {
        *request.body_mut() = Some(body);
        return Ok(request);
    }
    let bytes = http_body_util::BodyExt::collect(body)
        .await
        .map_err(|e| RunError::Fill(format!("the body could not be built: {e}")))?
        .to_bytes();
    *request.body_mut() = Some(bytes.into());
    Ok(request)
}

/// `url` moved to `base`: its scheme, host and port, with `base`'s path in front.
fn rebase(url: &mut Url, base: &Url) -> Result<(), RunError> {
    let bad = |what: &str| RunError::Url(format!("cannot move the request to {base}: {what}"));
    url.set_scheme(base.scheme()).map_err(|()| bad("scheme"))?;
    url.set_host(base.host_str())
        .map_err(|e| bad(&e.to_string()))?;
    url.set_port(base.port()).map_err(|()| bad("port"))?;
    let prefix = base.path().trim_end_matches('/');
    if !prefix.is_empty() {
        let path = format!("{prefix}{}", url.path());
        url.set_path(&path);
    }
    Ok(())
}

#[cfg(test)]
mod rebase_tests {
    use super::*;

    #[test]
    fn a_base_url_moves_scheme_host_port_and_prefixes_its_path() {
        let mut url = Url::parse("https://mtg-broker-a.wbx2.com/api/v2/joseencrypt?x=1").unwrap();
        rebase(&mut url, &Url::parse("http://127.0.0.1:9/broker/").unwrap()).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/broker/api/v2/joseencrypt?x=1"
        );
        let mut url = Url::parse("https://mtg-broker-a.wbx2.com/api/v2/joseencrypt").unwrap();
        rebase(&mut url, &Url::parse("http://127.0.0.1:9").unwrap()).unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:9/api/v2/joseencrypt");
    }
}
