-- Webhooks: endpoints and their deliveries (extensions.md section W, issue 31).

-- Where events are sent. `organization_id` null: a superuser's endpoint, which
-- receives every event (those of users included).
create table webhook_endpoints (
    id text primary key not null,
    organization_id text references organizations (id) on delete cascade,
    url text not null,
    -- A JSON array of event types, or ["*"].
    event_types text not null,
    description text,
    enabled integer not null default 1,
    -- `whsec_...`, sealed under a key derived from SECRET_KEY (never stored readable).
    secret_sealed text not null,
    created_at text not null,
    updated_at text not null
);
-- An organization's endpoints (and the global ones, under null), oldest first;
-- also what an event's fan-out reads.
create index webhook_endpoints_organization on webhook_endpoints (organization_id, created_at, id);

-- One row per (event, endpoint) to send, written in the event's batch; the
-- queue consumer sends it and records each attempt.
create table webhook_deliveries (
    id text primary key not null,
    endpoint_id text not null references webhook_endpoints (id) on delete cascade,
    -- Deleted with its event when the event is past retention.
    event_id text not null references events (id) on delete cascade,
    event_type text not null,
    -- pending | delivered | failed
    status text not null default 'pending',
    attempts integer not null default 0,
    last_status_code integer,
    last_error text,
    -- Unix seconds of the next attempt (pending only): the scheduled run hands
    -- a delivery whose message was lost to the queue again.
    next_attempt_at integer,
    delivered_at text,
    created_at text not null
);
-- An endpoint's deliveries, newest first.
create index webhook_deliveries_endpoint on webhook_deliveries (endpoint_id, created_at, id);
-- The pending ones by their next attempt (the scheduled run's re-queue).
create index webhook_deliveries_pending on webhook_deliveries (next_attempt_at) where status = 'pending';
-- Deleting an event (retention) finds its deliveries by this index.
create index webhook_deliveries_event on webhook_deliveries (event_id);
