-- Keys are now SHA-256 hex digests of the limited thing ('login-email:<email>',
-- 'login-email-ip:<email>|<address group>', 'login-ip:<group>', 'signup-ip:<group>',
-- 'password-user:<id>'): 64 characters whatever a client sends. A scheduled run
-- deletes events older than every window; this index lets it find them without a scan.
create index rate_limit_events_at on rate_limit_events (at);
-- Events stored under the old, readable keys are forgotten.
delete from rate_limit_events;
