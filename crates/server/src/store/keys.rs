//! The store's API keys: digests by id, checked on every request, revoked by name.

use super::inserts::insert_audit;
use super::rows::AuditRow;
use super::rows::{KEY_COLUMNS, KeyRow, Revoked, key_row};
use super::sql::{Statement, values};
use super::{Store, StoreError, Wait, key_checks};
use crate::domain::{Action, Actor, Outcome, TenantId};

impl Store {
    /// `false` when a key with that name exists (revoked or not). The key's tenant is
    /// checked to exist by the caller: tenants are never deleted.
    /// The key is written with the audit row of `by` making it.
    pub async fn insert_key(&self, key: &KeyRow, by: &Actor) -> Result<bool, StoreError> {
        let audit = AuditRow::new(
            key.created_at,
            &key.tenant,
            by,
            Action::KeyCreated,
            Some(&key.name),
            Outcome::Done,
        );
        let inserted = self
            .db
            .change(Statement::new(
                "INSERT INTO api_keys (id, name, digest, created_at, revoked_at, tenant_id, role) \
                 VALUES ($1, $2, $3, $4, NULL, $5, $6) ON CONFLICT (name) DO NOTHING",
                values![
                    &key.id,
                    &key.name,
                    &key.digest,
                    key.created_at,
                    key.tenant.as_str(),
                    key.role.as_str()
                ],
            ), vec![insert_audit(&audit)])
            .await?;
        Ok(inserted == 1)
    }

    /// The key with this id as the database holds it now: the check of every request.
    pub async fn key(&self, id: &str) -> Result<Option<KeyRow>, StoreError> {
        self.timed(Wait::KeyCheck, async {
            match &self.key_checks {
                Some(checks) => checks.key(id).await,
                None => {
                    let key = self
                        .db
                        .fetch_optional(key_checks::read_keys(&[id]), key_row)
                        .await;
                    self.key_check_counts.counted(1, 1);
                    key
                }
            }
        })
        .await
    }

    pub async fn keys(&self) -> Result<Vec<KeyRow>, StoreError> {
        let statement = Statement::new(
            format!(
                "SELECT {KEY_COLUMNS} FROM api_keys k JOIN tenants t ON t.id = k.tenant_id \
                 ORDER BY k.created_at, k.name"
            ),
            values![],
        );
        self.db.fetch(statement, key_row).await
    }

    /// Revokes the key `name`, recording it in its tenant's audit trail as `by`'s doing.
    pub async fn revoke_key(&self, name: &str, at: i64, by: &Actor) -> Result<Revoked, StoreError> {
        // The row goes in the key's own tenant's trail; a key never changes tenant.
        let statement = Statement::new(
            "SELECT tenant_id FROM api_keys WHERE name = $1",
            values![name],
        );
        let Some(tenant) = self
            .db
            .fetch_optional(statement, |row| row.text("tenant_id"))
            .await?
        else {
            return Ok(Revoked::Unknown);
        };
        let tenant = TenantId::parse(&tenant)
            .map_err(|_| StoreError::Malformed("a key's tenant is not a tenant id"))?;
        let audit = AuditRow::new(
            at,
            &tenant,
            by,
            Action::KeyRevoked,
            Some(name),
            Outcome::Done,
        );
        let revoked = self
            .db
            .change(
                Statement::new(
                    "UPDATE api_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL",
                    values![at, name],
                ),
                vec![insert_audit(&audit)],
            )
            .await?;
        if revoked == 1 {
            return Ok(Revoked::Now);
        }
        let statement = Statement::new(
            "SELECT revoked_at FROM api_keys WHERE name = $1",
            values![name],
        );
        match self
            .db
            .fetch_optional(statement, |row| row.opt_int("revoked_at"))
            .await?
        {
            Some(revoked_at) => Ok(Revoked::Already(revoked_at.unwrap_or(at))),
            None => Ok(Revoked::Unknown),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::db::Db;

    /// A client that hangs up mid-request drops the request's future; a write it started runs
    /// to its end on the writer's thread, and an in-memory database loses nothing.
    #[tokio::test]
    async fn a_write_whose_caller_stopped_waiting_is_finished_and_loses_nothing() {
        let store = Store::connect(crate::settings::IN_MEMORY_DATABASE, 5)
            .await
            .unwrap();
        let key = |id: &str| KeyRow {
            id: id.into(),
            name: format!("name-{id}"),
            digest: "d".into(),
            created_at: 1,
            revoked_at: None,
            tenant: crate::domain::TenantId::default_tenant(),
            role: crate::domain::KeyRole::Member,
            tenant_disabled_at: None,
            tenant_limits: Default::default(),
            tenant_token: None,
        };
        assert!(
            store
                .insert_key(&key("kept"), &Actor::operator())
                .await
                .unwrap()
        );
        {
            // With the writer held, the write has started and cannot have finished when its
            // caller goes.
            let Db::Sqlite(sqlite) = store.db.as_ref() else {
                unreachable!("an in-memory database is SQLite")
            };
            let held = sqlite.hold_writer();
            let dropped = key("dropped");
            let operator = Actor::operator();
            let mut write = Box::pin(store.insert_key(&dropped, &operator));
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            assert!(write.as_mut().poll(&mut cx).is_pending());
            drop(write);
            drop(held);
        }
        assert_eq!(store.key("kept").await.unwrap(), Some(key("kept")));
        // The dropped write is on its own thread, waiting for the writer's connection (not
        // first in first out), so it is looked for until it shows rather than in any order.
        let mut found = None;
        for _ in 0..500 {
            found = store.key("dropped").await.unwrap();
            if found.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            found,
            Some(key("dropped")),
            "the dropped write never finished"
        );
    }
}
