-- Where a tenant's own broker token is read (`env:NAME` or `file:/path`); NULL: the service's
-- token. The token itself is never stored.
ALTER TABLE tenants ADD COLUMN broker_token TEXT;
