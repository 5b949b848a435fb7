-- Idempotency records expire (a day by default): they are found and pruned by age.
CREATE INDEX idempotency_created_at ON idempotency (created_at);
