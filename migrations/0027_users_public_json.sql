-- The users list answers each user's public JSON (`UserPublic`) as this column
-- holds it: a page's statement then reads one text per row, where building it
-- there compiled a `json_object` of ten members into every list statement (D1
-- prepares each statement it is sent). The text is what the list built before,
-- byte for byte; serde writes the same for a single user
-- (`lists::a_list_item_is_byte_for_byte_the_single_answer` compares them).
--
-- Triggers keep it, for the service's writes and for any other (an operator's
-- `wrangler d1 execute`, a restore): every insert, and every update of a column
-- the JSON shows. Their own update sets only `public_json`, which no trigger
-- follows. A field added to `UserPublic` is a new migration that drops and
-- creates these triggers and fills the column again.
alter table users add column public_json text;

create trigger users_public_json_on_insert
after insert on users
begin
    update users set public_json = json_object('id', id, 'created_at', created_at,
        'updated_at', updated_at, 'email', email, 'full_name', full_name,
        'is_active', iif(is_active != 0, json('true'), json('false')),
        'is_superuser', iif(is_superuser != 0, json('true'), json('false')),
        'rework_available', rework_available,
        'email_verified', iif(email_verified != 0, json('true'), json('false')),
        'mfa_enabled', iif(mfa_enabled != 0, json('true'), json('false')))
    where id = new.id;
end;

create trigger users_public_json_follows_changes
after update of id, email, full_name, is_active, is_superuser, rework_available,
    email_verified, mfa_enabled, created_at, updated_at on users
begin
    update users set public_json = json_object('id', id, 'created_at', created_at,
        'updated_at', updated_at, 'email', email, 'full_name', full_name,
        'is_active', iif(is_active != 0, json('true'), json('false')),
        'is_superuser', iif(is_superuser != 0, json('true'), json('false')),
        'rework_available', rework_available,
        'email_verified', iif(email_verified != 0, json('true'), json('false')),
        'mfa_enabled', iif(mfa_enabled != 0, json('true'), json('false')))
    where id = new.id;
end;

update users set public_json = json_object('id', id, 'created_at', created_at,
    'updated_at', updated_at, 'email', email, 'full_name', full_name,
    'is_active', iif(is_active != 0, json('true'), json('false')),
    'is_superuser', iif(is_superuser != 0, json('true'), json('false')),
    'rework_available', rework_available,
    'email_verified', iif(email_verified != 0, json('true'), json('false')),
    'mfa_enabled', iif(mfa_enabled != 0, json('true'), json('false')));
