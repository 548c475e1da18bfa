-- A user's and an organization's `version` (migration 0011) is raised by every
-- write of the service that changes what the API shows of the row: the ETag
-- rests on it, and now the list pages each isolate keeps (src/lists/kept.rs),
-- which build again only the rows whose version moved. These triggers raise it
-- for any other write too (an operator's `wrangler d1 execute`, a script), so
-- that no change can go unseen. A write of the service raises the version
-- itself, so a trigger does nothing then: the WHEN clause is false.
create trigger users_version_follows_changes
after update of email, full_name, is_active, is_superuser, rework_available, email_verified,
    mfa_enabled, created_at, updated_at on users
when new.version = old.version and (new.email is not old.email
    or new.full_name is not old.full_name or new.is_active is not old.is_active
    or new.is_superuser is not old.is_superuser
    or new.rework_available is not old.rework_available
    or new.email_verified is not old.email_verified or new.mfa_enabled is not old.mfa_enabled
    or new.created_at is not old.created_at or new.updated_at is not old.updated_at)
begin
    update users set version = version + 1 where id = new.id;
end;

create trigger organizations_version_follows_changes
after update of name, description, rework_available, owner_id, require_mfa, avatar_media_id,
    created_at, updated_at on organizations
when new.version = old.version and (new.name is not old.name
    or new.description is not old.description
    or new.rework_available is not old.rework_available or new.owner_id is not old.owner_id
    or new.require_mfa is not old.require_mfa or new.avatar_media_id is not old.avatar_media_id
    or new.created_at is not old.created_at or new.updated_at is not old.updated_at)
begin
    update organizations set version = version + 1 where id = new.id;
end;
