-- Idempotency-Key: one row per key and caller (`user:<id>`, or `address:<ip>`
-- when anonymous). The first request with a key reserves its row (status null,
-- its own `request` token) in its first batch; its write batch fills in the
-- status and body, so the response commits with the write or not at all. A
-- failed request deletes its reservation; a reservation nobody completed
-- (a crashed worker) may be taken over after a minute. The cron run deletes
-- rows after 24 hours.
create table idempotency_keys (
    scope text not null,
    key text not null,
    -- SHA-256 of method, path and body: another request under the same key is refused.
    fingerprint text not null,
    request text not null,
    created_at integer not null,
    status integer,
    body text,
    primary key (scope, key)
) without rowid;

create index idempotency_keys_created_at on idempotency_keys (created_at);
