-- Retention reads the oldest expired meetings and the oldest invites first.
CREATE INDEX meetings_by_expiry ON meetings (expires_at);
CREATE INDEX invites_by_time ON invites (sent_at);
