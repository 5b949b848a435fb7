-- How a meeting's links open, as its first links were made: the join pages (`verticalType`)
-- and whether hosts sign in (`loginUrlForHost`), so links added later open the same way.
ALTER TABLE spaces ADD COLUMN vertical TEXT;
ALTER TABLE spaces ADD COLUMN host_login INTEGER;
