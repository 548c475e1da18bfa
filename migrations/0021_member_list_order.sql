-- A member's organization list is newest organization first (issue 34). Ordered
-- by the organization's own created_at, every page sorted all of the member's
-- organizations, however few it showed. Kept beside each membership, that time
-- (it never changes) makes the list one range of an index, read only as far as
-- the page goes, at any number of organizations.
alter table organization_members add column org_created_at text;
update organization_members set org_created_at =
    (select created_at from organizations o where o.id = organization_members.organization_id);

-- The writes set it. A membership written without it, by the release that is
-- still serving while this migration is applied, gets it here.
create trigger organization_members_org_created_at after insert on organization_members
when new.org_created_at is null begin
    update organization_members set org_created_at =
        (select created_at from organizations where id = new.organization_id)
    where organization_id = new.organization_id and user_id = new.user_id;
end;

-- The member's list in its order; also "which organizations is this user in?"
-- (counts, and the user's deletion), which the index on user_id alone answered.
create index organization_members_user_orgs on organization_members (user_id, org_created_at, organization_id);
drop index organization_members_user_id;
