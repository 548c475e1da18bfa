-- Sessions: each login starts one; its access tokens carry its id (claim `sid`)
-- and fail as soon as it is revoked, expired or deleted (the session is read in
-- the caller's batch). A session lives REFRESH_TOKEN_EXPIRE_DAYS from its last refresh.
create table sessions (
    id text primary key not null,
    -- A session goes with its user.
    user_id text not null references users (id) on delete cascade,
    created_at text not null,
    last_used_at text not null,
    -- Unix seconds; pushed on by every refresh.
    expires_at integer not null,
    -- Unix seconds; set by logout, revocation, deactivation, a password change or reset.
    revoked_at integer,
    -- As the client sent them at login or the last refresh, cut to 512 and 64 characters.
    user_agent text,
    ip_address text
);
-- "The sessions of this user, newest first" and "end every session of this user".
create index sessions_user_id on sessions (user_id, created_at desc);
-- The scheduled run deletes what expired.
create index sessions_expires_at on sessions (expires_at);

-- Refresh tokens, as SHA-256 hashes only. A refresh uses its token (used_by marks
-- the request that did) and gives a new one (rotation); presenting a used token
-- again is reuse, and ends the whole session.
create table refresh_tokens (
    token_hash text primary key not null,
    session_id text not null references sessions (id) on delete cascade,
    created_at text not null,
    used_at integer,
    used_by text
);
create index refresh_tokens_session_id on refresh_tokens (session_id);
