//! `{{var}}` in a curl line.

use node::check::credentials::is_credential_name;

use crate::names::field_name;
use crate::session::Session;
use crate::variables::{Resolve, Var};

/// A curl line has no variables of its own; `{{var}}` (as Postman writes its curl) is a
/// dynamic field, or a secret where a credential stands.
pub(super) struct Fields;

impl Resolve for Fields {
    fn var(&mut self, name: &str, credential: bool, place: &str, session: &mut Session) -> Var {
        if credential || is_credential_name(name) {
            Var::Secret(session.secret_for_variable(name, place))
        } else {
            Var::Field(field_name(name))
        }
    }
}
