//! The store's events out: the tenants' webhook endpoints, each event fanned out once to the
//! endpoints that want it, and deliveries claimed, ended and listed as visits' jobs are.

use super::event_rows::{
    ClaimedDelivery, DELIVERY_COLUMNS, DeliveryRow, DeliveryState, EVENT_COLUMNS, EventRow,
    WEBHOOK_COLUMNS, WebhookRow, delivery_row, event_values, webhook_row,
};
use super::inserts::insert_audit;
use super::rows::{AuditRow, tenant_id};
use super::sql::{Statement, values};
use super::{Store, StoreError};
use crate::domain::{EventType, TenantId};

/// Due now: waiting and due, or claimed by a process whose lease has passed.
const CLAIMABLE: &str =
    "((state = 'due' AND due_at <= $2) OR (state = 'running' AND locked_until < $2))";

fn new_delivery(id: &str, tenant: &TenantId, webhook: &str, event: &str, at: i64) -> Statement {
    Statement::new(
        "INSERT INTO deliveries (id, tenant_id, webhook_id, event_id, state, due_at, created_at) \
         VALUES ($1, $2, $3, $4, 'due', $5, $5)",
        values![id, tenant.as_str(), webhook, event, at],
    )
}

impl Store {
    /// Makes an endpoint, with its audit row.
    pub async fn insert_webhook(
        &self,
        hook: &WebhookRow,
        audit: &AuditRow,
    ) -> Result<(), StoreError> {
        let events = serde_json::to_string(hook.events.entries()).unwrap_or_default();
        let insert = Statement::new(
            format!(
                "INSERT INTO webhooks ({WEBHOOK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            ),
            values![
                &hook.id,
                hook.tenant.as_str(),
                &hook.url,
                events,
                &hook.secret,
                &hook.previous_secret,
                hook.previous_until,
                hook.created_at,
            ],
        );
        self.db
            .transaction(vec![insert, insert_audit(audit)])
            .await
            .map(drop)
    }

    /// The tenant's endpoints, oldest first.
    pub async fn webhooks(&self, tenant: &TenantId) -> Result<Vec<WebhookRow>, StoreError> {
        let statement = Statement::new(
            format!(
                "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE tenant_id = $1 ORDER BY created_at, id"
            ),
            values![tenant.as_str()],
        );
        self.db.fetch(statement, webhook_row).await
    }

    /// The tenant's endpoint `id`; another tenant's is none.
    pub async fn webhook(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<WebhookRow>, StoreError> {
        let statement = Statement::new(
            format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE tenant_id = $1 AND id = $2"),
            values![tenant.as_str(), id],
        );
        self.db.fetch_optional(statement, webhook_row).await
    }

    /// Deletes an endpoint and its deliveries not yet made, with the audit row; `false` when
    /// the tenant has no such endpoint.
    pub async fn delete_webhook(
        &self,
        tenant: &TenantId,
        id: &str,
        audit: &AuditRow,
    ) -> Result<bool, StoreError> {
        let delete = Statement::new(
            "DELETE FROM webhooks WHERE tenant_id = $1 AND id = $2",
            values![tenant.as_str(), id],
        );
        let drop_waiting = Statement::new(
            "DELETE FROM deliveries WHERE webhook_id = $1 AND state IN ('due', 'running')",
            values![id],
        );
        Ok(self
            .db
            .change(delete, vec![drop_waiting, insert_audit(audit)])
            .await?
            == 1)
    }

    /// A new secret for an endpoint; the one before still signs until `previous_until`.
    pub async fn rotate_webhook(
        &self,
        hook: &WebhookRow,
        secret: &str,
        previous_until: i64,
        audit: &AuditRow,
    ) -> Result<bool, StoreError> {
        let rotate = Statement::new(
            "UPDATE webhooks SET previous_secret = secret, previous_until = $1, secret = $2 \
             WHERE tenant_id = $3 AND id = $4 AND secret = $5",
            values![
                previous_until,
                secret,
                hook.tenant.as_str(),
                hook.id.as_str(),
                hook.secret.as_str()
            ],
        );
        Ok(self.db.change(rotate, vec![insert_audit(audit)]).await? == 1)
    }

    /// A tenant's events at `since` or later, oldest first, `limit` at most (what the live
    /// stream reads; types no longer known are left out).
    pub async fn events_since(
        &self,
        tenant: &TenantId,
        since: i64,
        limit: u32,
    ) -> Result<Vec<EventRow>, StoreError> {
        let statement = Statement::new(
            format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = $1 AND at >= $2 \
                 ORDER BY at, id LIMIT $3"
            ),
            values![tenant.as_str(), since, i64::from(limit)],
        );
        let rows = self
            .db
            .fetch(statement, |row| {
                Ok((
                    row.text("id")?,
                    row.text("type")?,
                    row.opt_text("chat_id")?,
                    row.text("payload")?,
                    row.int("at")?,
                ))
            })
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, kind, chat_id, payload, at)| {
                Some(EventRow {
                    id,
                    tenant: tenant.clone(),
                    event: EventType::parse(&kind)?,
                    chat_id,
                    payload,
                    at,
                })
            })
            .collect())
    }

    /// Fans at most `limit` events out, oldest first: each to every endpoint of its tenant that
    /// wants it and existed when it happened, once (the event is marked in the same
    /// transaction; an event another process fans out meanwhile is left to it). How many were
    /// fanned out.
    pub async fn fan_out(&self, now: i64, limit: u32) -> Result<usize, StoreError> {
        let statement = Statement::new(
            "SELECT id, tenant_id, type, at FROM events WHERE fanned_out = 0 ORDER BY at, id \
             LIMIT $1",
            values![i64::from(limit)],
        );
        let events = self
            .db
            .fetch(statement, |row| {
                Ok((
                    row.text("id")?,
                    row.text("tenant_id")?,
                    row.text("type")?,
                    row.int("at")?,
                ))
            })
            .await?;
        let mut fanned = 0;
        for (id, tenant, kind, at) in events {
            let tenant = tenant_id(tenant)?;
            let wanted = EventType::parse(&kind);
            let deliveries = self
                .webhooks(&tenant)
                .await?
                .into_iter()
                // An endpoint made after the event did not hear of it.
                .filter(|hook| hook.created_at <= at)
                .filter(|hook| wanted.is_some_and(|t| hook.events.wants(t)))
                .map(|hook| {
                    let delivery = uuid::Uuid::now_v7().to_string();
                    new_delivery(&delivery, &tenant, &hook.id, &id, now)
                })
                .collect();
            let mark = Statement::new(
                "UPDATE events SET fanned_out = 1 WHERE id = $1 AND fanned_out = 0",
                values![id.as_str()],
            );
            fanned += self.db.change(mark, deliveries).await? as usize;
        }
        Ok(fanned)
    }

    /// An event for one endpoint alone (a test send), written with its delivery, due now.
    pub async fn insert_event_for(
        &self,
        event: &EventRow,
        webhook: &str,
    ) -> Result<String, StoreError> {
        let delivery = uuid::Uuid::now_v7().to_string();
        let fanned = Statement::new(
            format!(
                "INSERT INTO events ({EVENT_COLUMNS}, fanned_out) VALUES ($1, $2, $3, $4, $5, $6, 1)"
            ),
            event_values(event),
        );
        let deliver = new_delivery(&delivery, &event.tenant, webhook, &event.id, event.at);
        self.db.transaction(vec![fanned, deliver]).await?;
        Ok(delivery)
    }

    /// Another delivery of the event `delivery` delivered, to the same endpoint, due now.
    pub async fn replay_delivery(
        &self,
        delivery: &DeliveryRow,
        at: i64,
    ) -> Result<String, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        self.db
            .execute(new_delivery(
                &id,
                &delivery.tenant,
                &delivery.webhook_id,
                &delivery.event_id,
                at,
            ))
            .await?;
        Ok(id)
    }

    /// Claims at most `limit` deliveries due at `now` until `lease_until`, each attempt
    /// numbered, with their endpoints and payloads.
    pub async fn claim_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let claim = Statement::new(
            format!(
                "UPDATE deliveries SET state = 'running', attempts = attempts + 1, locked_until = $1 \
                 WHERE id IN (SELECT id FROM deliveries WHERE {CLAIMABLE} ORDER BY due_at, id \
                 LIMIT $3{}) AND {CLAIMABLE} RETURNING id",
                self.db.skip_locked()
            ),
            values![lease_until, now, i64::from(limit)],
        );
        let ids = self.db.write_fetch(claim, |row| row.text("id")).await?;
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            let statement = Statement::new(
                format!(
                    "SELECT {DELIVERY_COLUMNS}, e.payload FROM deliveries d \
                     JOIN events e ON e.id = d.event_id WHERE d.id = $1"
                ),
                values![id.as_str()],
            );
            let found = self
                .db
                .fetch_optional(statement, |row| {
                    Ok((delivery_row(row)?, row.text("payload")?))
                })
                .await?;
            let Some((delivery, payload)) = found else {
                continue;
            };
            let Some(webhook) = self.webhook(&delivery.tenant, &delivery.webhook_id).await? else {
                continue;
            };
            claimed.push(ClaimedDelivery {
                delivery,
                webhook,
                payload,
            });
        }
        Ok(claimed)
    }

    /// The attempt that holds `delivery` ends it: done, due again at `due_at`, or dead; with
    /// the answer it got (a status, or why none). `false` when the attempt no longer held it.
    pub async fn end_delivery(
        &self,
        delivery: &DeliveryRow,
        state: DeliveryState,
        due_at: i64,
        at: i64,
        status: Option<i64>,
        error: Option<&str>,
    ) -> Result<bool, StoreError> {
        let statement = Statement::new(
            "UPDATE deliveries SET state = $1, due_at = $2, last_status = $3, last_error = $4, \
             locked_until = NULL, finished_at = CASE WHEN $1 = 'due' THEN NULL ELSE $5 END \
             WHERE id = $6 AND state = 'running' AND attempts = $7",
            values![
                state.as_str(),
                due_at,
                status,
                error.map(str::to_owned),
                at,
                delivery.id.as_str(),
                delivery.attempts
            ],
        );
        Ok(self.db.execute(statement).await? == 1)
    }

    /// An endpoint's deliveries, newest first, at most `limit`, before `before` (a delivery id).
    pub async fn deliveries(
        &self,
        tenant: &TenantId,
        webhook: &str,
        before: Option<&str>,
        limit: u32,
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        let statement = Statement::new(
            format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.id = d.event_id \
                 WHERE d.tenant_id = $1 AND d.webhook_id = $2 AND d.id < $3 \
                 ORDER BY d.id DESC LIMIT $4"
            ),
            values![
                tenant.as_str(),
                webhook,
                before.unwrap_or("~"),
                i64::from(limit)
            ],
        );
        self.db.fetch(statement, delivery_row).await
    }

    /// The tenant's delivery `id` of endpoint `webhook`.
    pub async fn delivery(
        &self,
        tenant: &TenantId,
        webhook: &str,
        id: &str,
    ) -> Result<Option<DeliveryRow>, StoreError> {
        let statement = Statement::new(
            format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.id = d.event_id \
                 WHERE d.tenant_id = $1 AND d.webhook_id = $2 AND d.id = $3"
            ),
            values![tenant.as_str(), webhook, id],
        );
        self.db.fetch_optional(statement, delivery_row).await
    }
}
