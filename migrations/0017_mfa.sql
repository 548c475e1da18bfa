-- Multi-factor authentication: TOTP and recovery codes (extensions.md section M, issue 32).

-- 1 once the user verified a TOTP code; what UserPublic.mfa_enabled shows, and
-- what an organization that requires MFA checks.
alter table users add column mfa_enabled integer not null default 0;

-- 1: the organization's members must have MFA on to act on it (leaving aside).
alter table organizations add column require_mfa integer not null default 0;

-- A user's TOTP secret: pending until a code verifies it (enabled 0), then the
-- one that login checks. Sealed under a key derived from SECRET_KEY for this
-- purpose (`nonce.sealed`, the nonce fresh for every secret); never stored readable.
create table mfa_totp (
    user_id text primary key not null references users (id) on delete cascade,
    sealed_secret text not null,
    enabled integer not null default 0,
    -- The last 30-second step whose code was accepted: a code of that step or an
    -- earlier one is a replay.
    last_step integer,
    created_at text not null
) without rowid;

-- Ten single-use recovery codes a user, as keyed hashes (HMAC-SHA256 under a key
-- derived for this purpose): D1 alone does not yield them.
create table mfa_recovery_codes (
    user_id text not null references users (id) on delete cascade,
    code_hash text not null,
    -- Unix seconds; a used code works no more.
    used_at integer,
    primary key (user_id, code_hash)
) without rowid;

-- The second step of a login: the mfa_token (random, 256 bits) by its SHA-256,
-- bound to the user, to the login's client address and to the password of the
-- login; five wrong codes end it.
create table mfa_challenges (
    token_hash text primary key not null,
    user_id text not null references users (id) on delete cascade,
    ip_address text,
    user_agent text,
    -- The login's per-email rate-limit key: a wrong code counts as a failed login.
    limit_key text not null,
    -- The user's token_version at login: a password change since ends the challenge.
    token_version integer not null,
    expires_at integer not null,
    attempts integer not null default 0,
    used_at integer
) without rowid;
-- The cron run deletes expired challenges by this index; deleting a user finds theirs by the other.
create index mfa_challenges_expires on mfa_challenges (expires_at);
create index mfa_challenges_user on mfa_challenges (user_id);
