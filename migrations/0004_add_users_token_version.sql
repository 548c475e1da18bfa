-- Tokens carry the user's token version (claim `ver`); a password change bumps
-- it, so every token issued before the change stops working at once, even one
-- issued in the same second (the `iat` rule alone compares whole seconds).
-- Existing users and tokens without `ver` are version 0: they stay valid.
alter table users add column token_version integer not null default 0;
