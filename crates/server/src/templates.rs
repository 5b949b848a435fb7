//! Message templates as a tenant keeps them: its own wording of each kind of message per
//! language, set and removed by its admins (checked when set: a template that does not
//! render is refused, naming the part and the line), previewed by anyone who may read, and
//! the one lookup every message goes through: the tenant's template in the person's language,
//! else in its primary language (`de` for `de-CH`), else the tenant's English, else the
//! service's English ([`crate::messages::default_template`]).

use std::sync::Arc;

use instant_connect::Clock;

use crate::domain::{Action, Field, Invalid, KeyRole, Outcome, Permission, TenantId, is_language};
use crate::keys::Caller;
use crate::messages::{
    self, MessageContext, MessageKind, Rendered, Template, default_template, sample_context,
};
use crate::store::{AuditRow, Store, StoreError, TemplateRow};

#[derive(Debug, thiserror::Error)]
pub enum TemplateOpError {
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Invalid>),
    #[error("a key whose role is `{0}` may not do this")]
    Forbidden(KeyRole),
    #[error("no {kind} template in `{language}`")]
    NotFound { kind: String, language: String },
    #[error("the template store failed")]
    Store(#[from] StoreError),
}

impl TemplateOpError {
    fn outcome(&self) -> Outcome {
        match self {
            TemplateOpError::Invalid(_) => Outcome::Invalid,
            TemplateOpError::Forbidden(_) => Outcome::Forbidden,
            TemplateOpError::NotFound { .. } => Outcome::NotFound,
            TemplateOpError::Store(_) => Outcome::StoreFailed,
        }
    }
}

/// A tenant's templates; cheap to clone.
#[derive(Debug, Clone)]
pub struct Templates {
    store: Store,
    clock: Arc<dyn Clock>,
}

impl Templates {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// The message of `kind` for someone speaking `language` in `tenant`. A tenant's template
    /// that cannot be read or rendered now is logged and the service's English used: a
    /// message always goes.
    pub async fn render(
        &self,
        tenant: &TenantId,
        kind: MessageKind,
        language: &str,
        context: &MessageContext,
    ) -> Rendered {
        let own = match self.lookup(tenant, kind, language).await {
            Ok(own) => own,
            Err(error) => {
                tracing::warn!(error = %resilience::report(&error), "templates could not be read");
                None
            }
        };
        if let Some(own) = own {
            match messages::render(&own, context) {
                Ok(rendered) => return rendered,
                Err(error) => tracing::warn!(
                    tenant = %tenant, kind = kind.as_str(), error = %error,
                    "a tenant's template did not render; the service's own was used"
                ),
            }
        }
        messages::render(&default_template(kind), context)
            .expect("the service's templates render for any context")
    }

    /// The tenant's own template for `language`, following the fallbacks.
    async fn lookup(
        &self,
        tenant: &TenantId,
        kind: MessageKind,
        language: &str,
    ) -> Result<Option<Template>, StoreError> {
        let primary = language.split('-').next().unwrap_or(language);
        let mut wanted = vec![language, primary, "en"];
        wanted.dedup();
        let found = self
            .store
            .templates_for(tenant, kind.as_str(), &wanted)
            .await?;
        Ok(wanted.iter().find_map(|language| {
            found
                .iter()
                .find(|row| row.language == *language)
                .map(|row| Template {
                    subject: row.subject.clone(),
                    body: row.body.clone(),
                })
        }))
    }

    /// The tenant's own templates.
    pub async fn list(&self, caller: &Caller) -> Result<Vec<TemplateRow>, TemplateOpError> {
        allowed(caller, Permission::Read)?;
        Ok(self.store.templates(&caller.tenant).await?)
    }

    /// Sets the tenant's template of `kind` in `language`, once it renders; the attempt goes
    /// in the audit trail.
    pub async fn set(
        &self,
        caller: &Caller,
        kind: &str,
        language: &str,
        template: Template,
    ) -> Result<TemplateRow, TemplateOpError> {
        let target = format!("{kind}/{language}");
        let set = async {
            allowed(caller, Permission::Administer)?;
            let kind = read_kind(kind)?;
            read_language(language)?;
            messages::check(&template).map_err(|error| {
                let field = match error.part {
                    "subject" => Field::Subject,
                    _ => Field::Body,
                };
                TemplateOpError::Invalid(vec![Invalid::says(field, error.reason)])
            })?;
            let row = TemplateRow {
                kind: kind.as_str().to_owned(),
                language: language.to_owned(),
                subject: template.subject,
                body: template.body,
                updated_at: self.clock.now(),
            };
            let audit = self.audit(caller, Action::TemplateSet, &target, Outcome::Done);
            self.store
                .set_template(&caller.tenant, &row, &audit)
                .await?;
            Ok(row)
        };
        let result = set.await;
        self.record_refusal(caller, Action::TemplateSet, &target, result.as_ref().err())
            .await;
        result
    }

    /// Removes the tenant's template: its messages of `kind` in `language` fall back.
    pub async fn remove(
        &self,
        caller: &Caller,
        kind: &str,
        language: &str,
    ) -> Result<(), TemplateOpError> {
        let target = format!("{kind}/{language}");
        let removed = async {
            allowed(caller, Permission::Administer)?;
            let kind = read_kind(kind)?;
            let audit = self.audit(caller, Action::TemplateRemoved, &target, Outcome::Done);
            if self
                .store
                .remove_template(&caller.tenant, kind.as_str(), language, &audit)
                .await?
            {
                Ok(())
            } else {
                Err(TemplateOpError::NotFound {
                    kind: kind.as_str().to_owned(),
                    language: language.to_owned(),
                })
            }
        };
        let result = removed.await;
        self.record_refusal(
            caller,
            Action::TemplateRemoved,
            &target,
            result.as_ref().err(),
        )
        .await;
        result
    }

    /// What a message of `kind` says to a sample guest: with `template` as given, or as the
    /// tenant's lookup finds it for `language`.
    pub async fn preview(
        &self,
        caller: &Caller,
        kind: &str,
        language: &str,
        template: Option<Template>,
    ) -> Result<Rendered, TemplateOpError> {
        allowed(caller, Permission::Read)?;
        let kind = read_kind(kind)?;
        read_language(language)?;
        let context = sample_context();
        match template {
            Some(template) => messages::render(&template, &context).map_err(|error| {
                let field = match error.part {
                    "subject" => Field::Subject,
                    _ => Field::Body,
                };
                TemplateOpError::Invalid(vec![Invalid::says(field, error.reason)])
            }),
            None => Ok(self.render(&caller.tenant, kind, language, &context).await),
        }
    }

    fn audit(&self, caller: &Caller, action: Action, target: &str, outcome: Outcome) -> AuditRow {
        caller.audit_row(self.clock.now(), action, Some(target), outcome)
    }

    async fn record_refusal(
        &self,
        caller: &Caller,
        action: Action,
        target: &str,
        error: Option<&TemplateOpError>,
    ) {
        if let Some(error) = error {
            let row = self.audit(caller, action, target, error.outcome());
            self.store.append_audit_or_log(&row).await;
        }
    }
}

fn read_kind(kind: &str) -> Result<MessageKind, TemplateOpError> {
    kind.parse().map_err(|()| {
        let words: Vec<&str> = MessageKind::ALL.iter().map(|k| k.as_str()).collect();
        TemplateOpError::Invalid(vec![Invalid::says(
            Field::TemplateKind,
            format!("must be one of {}, got `{kind}`", words.join(", ")),
        )])
    })
}

fn read_language(language: &str) -> Result<(), TemplateOpError> {
    if is_language(language) {
        Ok(())
    } else {
        Err(TemplateOpError::Invalid(vec![Invalid::says(
            Field::Language,
            format!("must be a language tag such as en or de-CH, got `{language}`"),
        )]))
    }
}

fn allowed(caller: &Caller, permission: Permission) -> Result<(), TemplateOpError> {
    if caller.may(permission) {
        Ok(())
    } else {
        Err(TemplateOpError::Forbidden(caller.role))
    }
}
