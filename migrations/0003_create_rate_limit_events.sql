-- Rate limiting: one row per counted event (a failed login, a signup), so a
-- limit is "at most N events for this key in the last W seconds" (a sliding
-- window). Rows older than the window are pruned whenever a key is written.
create table rate_limit_events (
    -- 'login-email:<email, lower-case>', 'login-ip:<address>' or 'signup-ip:<address>'.
    key text not null,
    -- Unix seconds.
    at integer not null
);

-- Every read counts one key's events since a time.
create index rate_limit_events_key_at on rate_limit_events (key, at);
