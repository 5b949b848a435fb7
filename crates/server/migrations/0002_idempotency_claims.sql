-- Which request holds an unfinished idempotency claim: finishing or releasing a claim that was
-- taken over (its first holder seemed dead) must not touch the new holder's.
ALTER TABLE idempotency ADD COLUMN claim TEXT;
