//! A curl command line as a node of one method: `-X`, the URL (its query as rows), `-H`,
//! `-d`/`--data*`/`--data-urlencode`/`--json`, `-u` with `--basic`/`--digest`, `-G`,
//! `--oauth2-bearer`, `--max-time` and `--connect-timeout`; other options are listed as not
//! carried over. A literal credential (an `Authorization` header, a `-u` password, a key in the
//! query or body) becomes a secret, named in a note.

mod auth;
mod body;
mod fields;
mod line;
mod method;

use line::{Line, words};
use method::method;

use crate::imported::{ImportError, Imported, finish};
use crate::select::Options;
use crate::session::Session;

/// A curl command line as a node definition with one method, named `options.name` (default:
/// the URL's host).
pub fn curl(text: &str, options: &Options) -> Result<Imported, ImportError> {
    let words = words(text)?;
    let mut session = Session::default();
    let line = Line::read(&words, &mut session)?;
    let method = method(line, &mut session)?;
    let node_name = options.name.clone().unwrap_or_else(|| {
        url::Url::parse(&method.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default()
    });
    finish(&node_name, String::new(), vec![method], session)
}
