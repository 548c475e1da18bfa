-- E-mail: address verification, single-use tokens, and the transactional outbox.

-- Existing users are verified; new ones are written with 0 until they follow
-- their verification link (signup, change of address).
alter table users add column email_verified integer not null default 1;

-- Password-reset and verification tokens. Only the SHA-256 of a token is kept;
-- the token itself exists in the e-mail (and its outbox row until it is sent).
create table email_tokens (
    token_hash text primary key not null,
    -- 'reset' or 'verify'.
    purpose text not null check (purpose in ('reset', 'verify')),
    -- A token goes with its user.
    user_id text not null references users (id) on delete cascade,
    -- The address it was sent to: a verification is for that address only.
    email text not null,
    -- Unix seconds.
    expires_at integer not null,
    -- Set when used: a token works once. `used_by` is the using request's own
    -- mark, so that only its change applies (compare-and-swap).
    used_at integer,
    used_by text,
    created_at text not null
);
create index email_tokens_user_id on email_tokens (user_id);
create index email_tokens_expires_at on email_tokens (expires_at);

-- Every e-mail is first a row here, written in the same batch as the change
-- that causes it (a reset token and its e-mail commit together or not at all),
-- then delivered by the queue consumer. The bodies are cleared once sent.
create table outbox (
    id text primary key not null,
    kind text not null,
    recipient text not null,
    subject text not null,
    html text,
    text_body text,
    -- pending -> sent, or failed after the last attempt.
    status text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
    attempts integer not null default 0,
    last_error text,
    created_at text not null,
    -- Unix seconds of the last hand-over to the queue; the scheduled run hands
    -- over again what stayed pending too long (an enqueue can fail after the commit).
    queued_at integer not null,
    sent_at text
);
create index outbox_pending on outbox (status, queued_at);
