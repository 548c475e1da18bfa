-- Searches of one or two characters over the whole table (issue 34). The
-- trigram indexes (migration 0010) find three characters or more; until now a
-- shorter search looked among the newest 10,000 rows, and at 100,000 users it
-- read 30,000 rows to do it. These indexes hold each row's one- and
-- two-character windows of its folded columns (`email_key`, `name_key`), so a
-- search of one or two characters is one token: exact, at any size, and its
-- count is read from the token's list of rows, not from the rows.
--
-- A window is written as the hex of its UTF-8 bytes (`hex()`; the worker does the
-- same to the search), so that every window is one token of the `ascii`
-- tokenizer, whatever it holds: a space, an `@`, a letter of any script. A row's
-- text is, for each character position, the windows of one and two characters
-- that start there (the last position's two-character window is its one
-- character again, and a position past a column's end gives an empty token):
-- a token written twice for one row is one entry, as FTS5 keeps only which rows
-- hold a token (`detail = none`, its smallest index).
--
-- Contentless (`content = ''`): the index keeps no copy of the text. A row's
-- tokens are removed by giving its text again with 'delete', so the text comes
-- from one place, a view over the table (`*_grams_source`), read for the row
-- before a change (its old text) and after (its new one). `scripts/backup.py`
-- refills an index from its view after a restore.
--
-- `positions` numbers the characters of a column (a view's correlated subquery
-- walks one range of it, as long as the row's longer column). Columns are at
-- most 255 characters before folding (folding can lengthen them); 4,096 is far
-- past that.
create table positions (n integer primary key);
insert into positions (n)
    with recursive p (n) as (select 1 union all select n + 1 from p where n < 4096)
    select n from p;

create view users_grams_source (rowid, grams) as
    select u.rowid, (
        select group_concat(hex(substr(e, n, 1)) || ' ' || hex(substr(e, n, 2)) || ' '
            || hex(substr(f, n, 1)) || ' ' || hex(substr(f, n, 2)), ' ')
        from (select coalesce(u.email_key, '') as e, coalesce(u.name_key, '') as f)
        join positions on n <= max(length(e), length(f)))
    from users u;

create virtual table users_grams using fts5(
    grams, content = '', detail = none, columnsize = 0, tokenize = 'ascii'
);
insert into users_grams (rowid, grams) select rowid, grams from users_grams_source;

create trigger users_grams_insert after insert on users begin
    insert into users_grams (rowid, grams)
        select rowid, grams from users_grams_source where rowid = new.rowid;
end;
create trigger users_grams_delete before delete on users begin
    insert into users_grams (users_grams, rowid, grams)
        select 'delete', rowid, grams from users_grams_source where rowid = old.rowid;
end;
create trigger users_grams_update_old before update of email_key, name_key on users
when new.email_key is not old.email_key or new.name_key is not old.name_key begin
    insert into users_grams (users_grams, rowid, grams)
        select 'delete', rowid, grams from users_grams_source where rowid = old.rowid;
end;
create trigger users_grams_update_new after update of email_key, name_key on users
when new.email_key is not old.email_key or new.name_key is not old.name_key begin
    insert into users_grams (rowid, grams)
        select rowid, grams from users_grams_source where rowid = new.rowid;
end;

create view organizations_grams_source (rowid, grams) as
    select o.rowid, (
        select group_concat(hex(substr(o.name_key, n, 1)) || ' '
            || hex(substr(o.name_key, n, 2)), ' ')
        from positions where n <= length(o.name_key))
    from organizations o;

create virtual table organizations_grams using fts5(
    grams, content = '', detail = none, columnsize = 0, tokenize = 'ascii'
);
insert into organizations_grams (rowid, grams) select rowid, grams from organizations_grams_source;

create trigger organizations_grams_insert after insert on organizations begin
    insert into organizations_grams (rowid, grams)
        select rowid, grams from organizations_grams_source where rowid = new.rowid;
end;
create trigger organizations_grams_delete before delete on organizations begin
    insert into organizations_grams (organizations_grams, rowid, grams)
        select 'delete', rowid, grams from organizations_grams_source where rowid = old.rowid;
end;
create trigger organizations_grams_update_old before update of name_key on organizations
when new.name_key is not old.name_key begin
    insert into organizations_grams (organizations_grams, rowid, grams)
        select 'delete', rowid, grams from organizations_grams_source where rowid = old.rowid;
end;
create trigger organizations_grams_update_new after update of name_key on organizations
when new.name_key is not old.name_key begin
    insert into organizations_grams (rowid, grams)
        select rowid, grams from organizations_grams_source where rowid = new.rowid;
end;
