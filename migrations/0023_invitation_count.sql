-- An organization's invitations are kept whatever becomes of them (accepted,
-- declined, revoked, expired), so the unfiltered invitation list's `count`
-- walked every invitation the organization ever sent, on every page. Kept here
-- as the counts of 0022_list_counts.sql are: by triggers, in the statement that
-- inserts or deletes. A list of one status still counts by its index.
alter table organizations add column invitation_count integer not null default 0;

update organizations set invitation_count =
    (select count(*) from invitations i where i.organization_id = organizations.id);

create trigger invitations_counted after insert on invitations begin
    update organizations set invitation_count = invitation_count + 1 where id = new.organization_id;
end;
create trigger invitations_uncounted after delete on invitations begin
    update organizations set invitation_count = invitation_count - 1 where id = old.organization_id;
end;
