-- Lists whose cost does not grow with the data (issue 12).

-- Exact counts without a scan: one row per counted table, kept by triggers in
-- the same transaction as every insert and delete, so `count` of an unfiltered
-- list is one row read.
create table counters (
    name text primary key not null,
    value integer not null check (value >= 0)
) without rowid;
insert into counters (name, value) select 'users', count(*) from users;
insert into counters (name, value) select 'organizations', count(*) from organizations;

create trigger users_counted after insert on users begin
    update counters set value = value + 1 where name = 'users';
end;
create trigger users_uncounted after delete on users begin
    update counters set value = value - 1 where name = 'users';
end;
create trigger organizations_counted after insert on organizations begin
    update counters set value = value + 1 where name = 'organizations';
end;
create trigger organizations_uncounted after delete on organizations begin
    update counters set value = value - 1 where name = 'organizations';
end;

-- Search: FTS5 indexes of the folded columns (`email_key`, `name_key`, which the
-- worker fills with NFC + Unicode lower case). The trigram tokenizer indexes
-- every three-character window, so a quoted phrase of three or more characters
-- matches exactly the rows that contain it as a substring. `case_sensitive 1`:
-- the text is folded already, and SQLite must not fold it a second, different way.
-- External content: the index holds no copy of the text; triggers keep it in step.
create virtual table users_search using fts5(
    email_key, name_key, content = 'users', content_rowid = 'rowid',
    tokenize = 'trigram case_sensitive 1'
);
insert into users_search (users_search) values ('rebuild');

create trigger users_search_insert after insert on users begin
    insert into users_search (rowid, email_key, name_key)
        values (new.rowid, new.email_key, new.name_key);
end;
create trigger users_search_delete after delete on users begin
    insert into users_search (users_search, rowid, email_key, name_key)
        values ('delete', old.rowid, old.email_key, old.name_key);
end;
create trigger users_search_update after update of email_key, name_key on users begin
    insert into users_search (users_search, rowid, email_key, name_key)
        values ('delete', old.rowid, old.email_key, old.name_key);
    insert into users_search (rowid, email_key, name_key)
        values (new.rowid, new.email_key, new.name_key);
end;

create virtual table organizations_search using fts5(
    name_key, content = 'organizations', content_rowid = 'rowid',
    tokenize = 'trigram case_sensitive 1'
);
insert into organizations_search (organizations_search) values ('rebuild');

create trigger organizations_search_insert after insert on organizations begin
    insert into organizations_search (rowid, name_key) values (new.rowid, new.name_key);
end;
create trigger organizations_search_delete after delete on organizations begin
    insert into organizations_search (organizations_search, rowid, name_key)
        values ('delete', old.rowid, old.name_key);
end;
create trigger organizations_search_update after update of name_key on organizations begin
    insert into organizations_search (organizations_search, rowid, name_key)
        values ('delete', old.rowid, old.name_key);
    insert into organizations_search (rowid, name_key) values (new.rowid, new.name_key);
end;

-- Keyset pages: every list is ordered by a time column and then the row's id
-- (newest first, or for members oldest first), and an index holds exactly that
-- order after the list's equality columns. A page after a cursor is then one
-- range of the index, `(time, id) < (?, ?)`, at any depth, even where many rows
-- share a time (a bulk import). These replace the indexes on the time alone.
drop index users_created_at;
create index users_created on users (created_at, id);
drop index organizations_created_at;
create index organizations_created on organizations (created_at, id);
create index organization_members_joined on organization_members (organization_id, joined_at, user_id);
drop index invitations_organization;
create index invitations_organization_created on invitations (organization_id, created_at, id);
drop index sessions_user_id;
create index sessions_user_created on sessions (user_id, created_at, id);

-- Deleting a user sets `invited_by_id` to null in the invitations it sent: the
-- foreign key's lookup needs an index, or every user deletion scans invitations.
create index invitations_invited_by on invitations (invited_by_id);

-- The scheduled run deletes sessions expired or long revoked: with both
-- columns indexed, its `or` is two index ranges, not a scan of sessions.
create index sessions_revoked_at on sessions (revoked_at);
