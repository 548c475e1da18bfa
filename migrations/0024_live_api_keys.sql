-- An organization's unrevoked keys, newest first: the key list, and the count a
-- new key is checked against (at most 50). Revoked keys are kept (their rows
-- say who made them and when they were last used), so through
-- api_keys_organization_created both walked every key the organization ever
-- revoked. Only unrevoked keys are in this index, so both read at most 50
-- entries and the page. (api_keys_organization_created stays: deleting an
-- organization finds all of its keys, revoked ones too, by it.)
create index api_keys_live on api_keys (organization_id, created_at, id) where revoked_at is null;
