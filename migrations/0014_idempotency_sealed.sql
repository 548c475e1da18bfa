-- A secret an Idempotency-Key answer carries (an invitation's token) is no
-- longer stored readable: `body` holds its sealed form in its place, and
-- `sealed` that form, which a replay opens (with a key derived from
-- SECRET_KEY) and puts back. Rows written before keep `sealed` null and replay
-- as stored; they are gone within 24 hours.
alter table idempotency_keys add column sealed text;
