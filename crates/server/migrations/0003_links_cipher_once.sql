-- A link's long URL holds its cipher, which the `cipher` column holds already. New rows keep
-- the long URL with the cipher cut out and `cipher_at`, the byte offset it is put back at;
-- rows from before, and a long URL that does not hold its cipher, keep it whole (NULL).
ALTER TABLE links ADD COLUMN cipher_at BIGINT;
