-- An SMS invite sent with an `Idempotency-Key` (a service's job that may be sent again after
-- its process died) is taken once per key; production documents no such header and ignores it.
ALTER TABLE sms_invites ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX sms_invites_by_key ON sms_invites (idempotency_key);
