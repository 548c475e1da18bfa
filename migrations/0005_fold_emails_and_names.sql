-- Case-folded copies for comparison and search, written by the service (Rust's
-- Unicode lower-casing of the NFC-normalized text) with every insert and update:
-- SQLite's NOCASE and lower() fold ASCII only, so 'ÉLODIE' did not find 'élodie'
-- and 'a@BÜCHER.de' could not log in to 'a@bücher.de'. Rows that exist already are
-- folded here with lower() (ASCII); they get the full folding at their next update.
alter table users add column email_key text;
alter table users add column name_key text;
update users set email_key = lower(email), name_key = lower(full_name);
-- One account per folded address (the old NOCASE index on email stays too).
create unique index users_email_key on users (email_key);

alter table organizations add column name_key text;
update organizations set name_key = lower(name);

-- Deleting or replacing an avatar asks "does an organization still point at this
-- media row?": without this index every such check scanned organizations.
create index organizations_avatar_media_id on organizations (avatar_media_id);
