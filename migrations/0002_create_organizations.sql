-- Organizations, their members, avatar media, and the 13 resource tables that
-- belong either to a user (personal, organization_id null) or to an organization.

-- Media resources: an organization's avatar (and, later, other uploads).
create table media_resources (
    id text primary key not null,
    url text not null,
    -- What the file is; derived from the URL's extension when not given.
    resource_type text not null default 'image'
        check (resource_type in ('image', 'video', 'audio', 'document')),
    -- SHA-256 of the URL until the file itself is hashed by an upload pipeline.
    content_hash text not null default '',
    extension text not null default '',
    file_size integer not null default 0 check (file_size >= 0),
    width integer,
    height integer,
    duration real,
    aspect_ratio real,
    orientation text,
    alt_text text,
    caption text,
    color_profile text,
    dominant_color text,
    protected integer not null default 0 check (protected in (0, 1)),
    created_at text not null
);

create table organizations (
    id text primary key not null,
    name text not null,
    description text,
    rework_available integer not null default 2,
    -- No cascade: a user who owns an organization cannot be deleted (the API answers
    -- 409 first; this keeps a race from leaving an organization without an owner).
    owner_id text not null references users (id),
    -- The avatar row is replaced on update; the worker deletes the old one in the same batch.
    avatar_media_id text references media_resources (id) on delete set null,
    created_at text not null,
    updated_at text not null
);

-- "Does this user own an organization?" is asked before deleting a user.
create index organizations_owner_id on organizations (owner_id);
create index organizations_created_at on organizations (created_at desc);

create table organization_members (
    -- One row per (organization, user); the primary key makes a second add a conflict.
    -- Memberships go with their organization and with their user.
    organization_id text not null references organizations (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    joined_at text not null,
    primary key (organization_id, user_id)
);

-- "Which organizations is this user in?" (the organization list of a non-superuser).
create index organization_members_user_id on organization_members (user_id);

create table products (
    id text primary key not null,
    -- The creator. Set to null if that user is deleted while the row belongs to an
    -- organization (the worker deletes the user's personal rows in the same batch).
    owner_id text references users (id) on delete set null,
    -- Null = personal. Deleting the organization hands rows back to their creators.
    organization_id text references organizations (id) on delete set null,
    name text not null default '',
    created_at text not null,
    updated_at text not null
);
-- Personal rows of a user (migration, deletion) and rows of an organization.
create index products_owner_org on products (owner_id, organization_id);
create index products_organization on products (organization_id);

create table subjects (
    id text primary key not null,
    -- The creator. Set to null if that user is deleted while the row belongs to an
    -- organization (the worker deletes the user's personal rows in the same batch).
    owner_id text references users (id) on delete set null,
    -- Null = personal. Deleting the organization hands rows back to their creators.
    organization_id text references organizations (id) on delete set null,
    name text not null default '',
    created_at text not null,
    updated_at text not null
);
-- Personal rows of a user (migration, deletion) and rows of an organization.
create index subjects_owner_org on subjects (owner_id, organization_id);
create index subjects_organization on subjects (organization_id);

create table styles (
    id text primary key not null,
    -- The creator. Set to null if that user is deleted while the row belongs to an
    -- organization (the worker deletes the user's personal rows in the same batch).
    owner_id text references users (id) on delete set null,
    -- Null = personal. Deleting the organization hands rows back to their creators.
    organization_id text references organizations (id) on delete set null,
    name text not null default '',
    created_at text not null,
    updated_at text not null
);
-- Personal rows of a user (migration, deletion) and rows of an organization.
create index styles_owner_org on styles (owner_id, organization_id);
create index styles_organization on styles (organization_id);

create table generations (
    id text primary key not null,
    -- The creator. Set to null if that user is deleted while the row belongs to an
    -- organization (the worker deletes the user's personal rows in the same batch).
    owner_id text references users (id) on delete set null,
    -- Null = personal. Deleting the organization hands rows back to their creators.
    organization_id text references organizations (id) on delete set null,
    name text not null default '',
    created_at text not null,
    updated_at text not null
);
-- Personal rows of a user (migration, deletion) and rows of an organization.
create index generations_owner_org on generations (owner_id, organization_id);
create index generations_organization on generations (organization_id);

create table shootings (
    id text primary key not null,
    -- The creator. Set to null if that user is deleted while the row belongs to an
    -- organization (the worker deletes the user's personal rows in the same batch).
    owner_id text references users (id) on delete set null,
    -- Null = personal. Deleting the organization hands rows back to their creators.
    organization_id text references organizations (id) on delete set null,
    name text not null default '',
    created_at text not null,
    updated_at text not null
);
-- Personal rows of a user (migration, deletion) and rows of an organization.
create index shootings_owner_org on shootings (owner_id, organization_id);
create index shootings_organization on shootings (organization_id);

create table shot_types (
    id text primary key not null,
    -- The creator. Set to null if that user is deleted while the row belongs to an
    -- organization (the worker deletes the user's personal rows in the same batch).
    owner_id text references users (id) on delete set null,
    -- Null = personal. Deleting the organization hands rows back to their creators.
    organization_id text references organizations (id) on delete set null,
    name text not null default '',
    created_at text not null,
    updated_at text not null
);
-- Personal rows of a user (migration, deletion) and rows of an organization.
create index shot_types_owner_org on shot_types (owner_id, organization_id);
create index shot_types_organization on shot_types (organization_id);

create table stylists (
    id text primary key not null,
    -- The creator. Set to null if that user is deleted while the row belongs to an
    -- organization (the worker deletes the user's personal rows in the same batch).
    owner_id text references users (id) on delete set null,
    -- Null = personal. Deleting the organization hands rows back to their creators.
    organization_id text references organizations (id) on delete set null,
    name text not null default '',
    created_at text not null,
    updated_at text not null
);
-- Personal rows of a user (migration, deletion) and rows of an organization.
create index stylists_owner_org on stylists (owner_id, organization_id);
create index stylists_organization on stylists (organization_id);

create table background_presets (
    id text primary key not null,
    -- The creator. Set to null if that user is deleted while the row belongs to an
    -- organization (the worker deletes the user's personal rows in the same batch).
    owner_id text references users (id) on delete set null,
    -- Null = personal. Deleting the organization hands rows back to their creators.
    organization_id text references organizations (id) on delete set null,
    name text not null default '',
    created_at text not null,
    updated_at text not null
);
-- Personal rows of a user (migration, deletion) and rows of an organization.
create index background_presets_owner_org on background_presets (owner_id, organization_id);
create index background_presets_organization on background_presets (organization_id);

create table resolution_presets (
    id text primary key not null,
    -- The creator. Set to null if that user is deleted while the row belongs to an
    -- organization (the worker deletes the user's personal rows in the same batch).
    owner_id text references users (id) on delete set null,
    -- Null = personal. Deleting the organization hands rows back to their creators.
    organization_id text references organizations (id) on delete set null,
    name text not null default '',
    created_at text not null,
    updated_at text not null
);
-- Personal rows of a user (migration, deletion) and rows of an organization.
create index resolution_presets_owner_org on resolution_presets (owner_id, organization_id);
create index resolution_presets_organization on resolution_presets (organization_id);

create table product_type_shot_types (
    id text primary key not null,
    -- The creator. Set to null if that user is deleted while the row belongs to an
    -- organization (the worker deletes the user's personal rows in the same batch).
    owner_id text references users (id) on delete set null,
    -- Null = personal. Deleting the organization hands rows back to their creators.
    organization_id text references organizations (id) on delete set null,
    name text not null default '',
    created_at text not null,
    updated_at text not null
);
-- Personal rows of a user (migration, deletion) and rows of an organization.
create index product_type_shot_types_owner_org on product_type_shot_types (owner_id, organization_id);
create index product_type_shot_types_organization on product_type_shot_types (organization_id);

create table external_integrations (
    id text primary key not null,
    -- The creator. Set to null if that user is deleted while the row belongs to an
    -- organization (the worker deletes the user's personal rows in the same batch).
    owner_id text references users (id) on delete set null,
    -- Null = personal. Deleting the organization hands rows back to their creators.
    organization_id text references organizations (id) on delete set null,
    name text not null default '',
    created_at text not null,
    updated_at text not null
);
-- Personal rows of a user (migration, deletion) and rows of an organization.
create index external_integrations_owner_org on external_integrations (owner_id, organization_id);
create index external_integrations_organization on external_integrations (organization_id);

create table shooting_guidelines (
    id text primary key not null,
    -- The creator. Set to null if that user is deleted while the row belongs to an
    -- organization (the worker deletes the user's personal rows in the same batch).
    owner_id text references users (id) on delete set null,
    -- Null = personal. Deleting the organization hands rows back to their creators.
    organization_id text references organizations (id) on delete set null,
    name text not null default '',
    created_at text not null,
    updated_at text not null
);
-- Personal rows of a user (migration, deletion) and rows of an organization.
create index shooting_guidelines_owner_org on shooting_guidelines (owner_id, organization_id);
create index shooting_guidelines_organization on shooting_guidelines (organization_id);

create table export_configurations (
    id text primary key not null,
    -- The creator. Set to null if that user is deleted while the row belongs to an
    -- organization (the worker deletes the user's personal rows in the same batch).
    owner_id text references users (id) on delete set null,
    -- Null = personal. Deleting the organization hands rows back to their creators.
    organization_id text references organizations (id) on delete set null,
    name text not null default '',
    created_at text not null,
    updated_at text not null
);
-- Personal rows of a user (migration, deletion) and rows of an organization.
create index export_configurations_owner_org on export_configurations (owner_id, organization_id);
create index export_configurations_organization on export_configurations (organization_id);
