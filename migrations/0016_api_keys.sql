-- API keys for machine clients (extensions.md section A, issue 30).

-- An organization's keys. The key itself is shown once, when it is created;
-- only its SHA-256 is kept, and a request finds its key by that hash.
create table api_keys (
    id text primary key not null,
    -- Deleting an organization takes its keys with it: they stop working at once.
    organization_id text not null references organizations (id) on delete cascade,
    name text not null,
    -- The key's first 12 characters (`uoa_` and 8 more), to tell keys apart.
    prefix text not null,
    key_hash text not null unique,
    -- A JSON array of scopes: organization:read, organization:write, members:write.
    scopes text not null,
    -- Deleting the user who made it keeps the key (it belongs to the organization).
    created_by_id text references users (id) on delete set null,
    created_at text not null,
    -- Unix seconds; null: never expires.
    expires_at integer,
    -- Unix seconds, and its RFC 3339 form for the answers; moved at most once a minute.
    last_used_secs integer,
    last_used_at text,
    -- Unix seconds; a revoked key is refused from the next request on.
    revoked_at integer
);
-- An organization's keys, newest first (the list, and the count of unrevoked ones).
create index api_keys_organization_created on api_keys (organization_id, created_at, id);
-- Deleting a user sets created_by_id to null on their keys: found by this index,
-- not by a walk of every organization's keys.
create index api_keys_created_by on api_keys (created_by_id);
