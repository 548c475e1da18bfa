-- Every list answers `count`, the number of all its matches. For an
-- organization's members, a member's organizations, an organization's audit log
-- and an endpoint's deliveries that was `count(*)` over an index range: one row
-- read per member, membership, event or delivery, on every page, so a page of
-- an organization of 100,000 members read 100,000 rows. Each count is kept here instead, by triggers in the
-- statement that changes it (no round trip more, and the release still serving
-- while this is applied keeps them right too), and a page reads it as one row.
--
-- Neither row's `version` moves: what the API shows of it does not change.
alter table organizations add column member_count integer not null default 0;
alter table organizations add column event_count integer not null default 0;
alter table users add column organization_count integer not null default 0;
alter table webhook_endpoints add column delivery_count integer not null default 0;

update organizations set member_count =
    (select count(*) from organization_members m where m.organization_id = organizations.id);
update organizations set event_count =
    (select count(*) from events e where e.organization_id = organizations.id);
update users set organization_count =
    (select count(*) from organization_members m where m.user_id = users.id);
update webhook_endpoints set delivery_count =
    (select count(*) from webhook_deliveries d where d.endpoint_id = webhook_endpoints.id);

create trigger organization_members_counted after insert on organization_members begin
    update organizations set member_count = member_count + 1 where id = new.organization_id;
    update users set organization_count = organization_count + 1 where id = new.user_id;
end;
create trigger organization_members_uncounted after delete on organization_members begin
    update organizations set member_count = member_count - 1 where id = old.organization_id;
    update users set organization_count = organization_count - 1 where id = old.user_id;
end;

-- An organization's events outlive it (the superuser's audit log keeps them):
-- without the organization's row there is nothing to count into, and its events
-- are counted by their index again.
create trigger events_counted_for_organization after insert on events
when new.organization_id is not null begin
    update organizations set event_count = event_count + 1 where id = new.organization_id;
end;
create trigger events_uncounted_for_organization after delete on events
when old.organization_id is not null begin
    update organizations set event_count = event_count - 1 where id = old.organization_id;
end;

create trigger webhook_deliveries_counted after insert on webhook_deliveries begin
    update webhook_endpoints set delivery_count = delivery_count + 1 where id = new.endpoint_id;
end;
create trigger webhook_deliveries_uncounted after delete on webhook_deliveries begin
    update webhook_endpoints set delivery_count = delivery_count - 1 where id = old.endpoint_id;
end;
