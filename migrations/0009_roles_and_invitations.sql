-- Organization roles and invitations (extensions.md section I).

-- A membership's role: the organization's owner_id has 'owner'; admins may add,
-- invite and remove members and rename; everyone else is a 'member'.
alter table organization_members add column role text not null default 'member'
    check (role in ('owner', 'admin', 'member'));
update organization_members set role = 'owner'
    where user_id = (select owner_id from organizations o where o.id = organization_id);

-- Invitations by e-mail. The token is handed out once (in the create and resend
-- answers, and in the e-mail); only its SHA-256 is kept.
create table invitations (
    id text primary key not null,
    -- Deleting an organization takes its invitations with it: none can be used again.
    organization_id text not null references organizations (id) on delete cascade,
    email text not null,
    -- The folded address: an invitation is for whoever holds it, whatever the case.
    email_key text not null,
    role text not null check (role in ('admin', 'member')),
    token_hash text not null unique,
    -- 'expired' is shown for a pending invitation past expires_at without a write;
    -- it is stored only when a new invitation replaces an expired one.
    status text not null default 'pending'
        check (status in ('pending', 'accepted', 'declined', 'revoked', 'expired')),
    -- Deleting the inviter keeps the invitation (sent by someone who left).
    invited_by_id text references users (id) on delete set null,
    created_at text not null,
    -- Unix seconds.
    expires_at integer not null,
    -- The request that accepted or declined it (compare-and-swap), and when.
    response_mark text,
    responded_at text
);
-- An organization's invitations, newest first.
create index invitations_organization on invitations (organization_id, created_at desc);
-- A user's invitations ("mine"), by folded address.
create index invitations_email_key on invitations (email_key, status);
-- At most one pending invitation per organization and address: the index decides
-- between two racing invitations.
create unique index invitations_one_pending on invitations (organization_id, email_key)
    where status = 'pending';
