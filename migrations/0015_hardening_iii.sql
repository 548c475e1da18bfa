-- Hardening III (issue 26).

-- A reset link is for the password and address its user had when it was sent:
-- the user's token_version then (it moves with every password change). Links
-- from before this column have none and reset nothing (they lived an hour).
alter table email_tokens add column token_version integer;

-- The first superuser is created once per database: this row says it was, so
-- deleting or renaming that user never brings it back.
create table first_superuser (
    id integer primary key check (id = 1),
    user_id text not null,
    created_at text not null
);
-- A database that has its first superuser already keeps it, as created.
insert into first_superuser (id, user_id, created_at)
select 1, id, created_at from users where is_superuser = 1 order by created_at limit 1;
