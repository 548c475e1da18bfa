-- Events: the audit log (extensions.md section W, issue 31).

-- One row per change, written in the change's own batch (so it exists exactly
-- when the change committed). No foreign keys: an event outlives what it is
-- about (an organization's deletion is itself an event of that organization).
create table events (
    id text primary key not null,
    type text not null,
    -- RFC 3339 with microseconds, as every other time in the API.
    occurred_at text not null,
    -- Null for events of no organization (a user's own account).
    organization_id text,
    -- user | api_key | system; the actor's id (null for system).
    actor_type text not null,
    actor_id text,
    subject_type text not null,
    subject_id text not null,
    -- A JSON object: what the change set; never a password, hash, token, key or secret.
    data text not null,
    request_id text,
    ip_address text
);
-- Every list is newest first, a keyset over (occurred_at, id):
-- an organization's audit log, and by type within it;
create index events_organization on events (organization_id, occurred_at, id);
create index events_organization_type on events (organization_id, type, occurred_at, id);
-- the superusers' log, whole and by each filter; the first also serves retention.
create index events_occurred on events (occurred_at, id);
create index events_type on events (type, occurred_at, id);
create index events_actor on events (actor_id, occurred_at, id);

-- An event's witness for a token's use (`exists ... where used_by = ?`) finds
-- the token by its mark, not by a walk of every token.
create index email_tokens_used_by on email_tokens (used_by) where used_by is not null;

-- The superusers' unfiltered count of events, kept by the writes that add and
-- delete them (as `users` and `organizations` are counted).
insert into counters (name, value) values ('events', 0);
create trigger events_counted_insert after insert on events begin
    update counters set value = value + 1 where name = 'events';
end;
create trigger events_counted_delete after delete on events begin
    update counters set value = value - 1 where name = 'events';
end;
