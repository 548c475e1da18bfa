//! SQL for `sessions` and `refresh_tokens`.

use crate::db::from_row;
use crate::db::{Batch, Counted, DbResult, Rows, Write};
use crate::lists::{ListQuery, Order, Page, Source};

/// What a login or a refresh records of the client.
pub(crate) struct Client<'a> {
    pub(crate) user_agent: Option<&'a str>,
    pub(crate) ip_address: Option<&'a str>,
}

/// Starts session `id` for `user_id` with its first refresh token (`hash`).
pub(crate) fn start(
    b: &mut Batch<'_>,
    id: &str,
    user_id: &str,
    hash: &str,
    now: &str,
    expires_at: i64,
    client: &Client<'_>,
) -> DbResult<()> {
    let _ = b.write(
        "insert into sessions (id, user_id, created_at, last_used_at, expires_at, user_agent, ip_address) \
         values (?1, ?2, ?3, ?3, ?4, ?5, ?6)",
        &[id.into(), user_id.into(), now.into(), expires_at.into(), client.user_agent.into(), client.ip_address.into()],
    )?;
    let _ = b.write(
        "insert into refresh_tokens (token_hash, session_id, created_at) values (?1, ?2, ?3)",
        &[hash.into(), id.into(), now.into()],
    )?;
    Ok(())
}

/// A presented refresh token, its session and its user.
#[derive(Debug)]
pub(crate) struct Presented {
    pub(crate) session_id: String,
    pub(crate) used_at: Option<i64>,
    pub(crate) user_id: String,
    pub(crate) expires_at: i64,
    pub(crate) revoked_at: Option<i64>,
    pub(crate) token_version: i64,
    pub(crate) is_active: i64,
    /// Whether the user has MFA on, and is a superuser (an organization that
    /// requires MFA asks).
    pub(crate) mfa_enabled: i64,
    pub(crate) is_superuser: i64,
    /// With an organization asked for, if it exists: its `require_mfa`.
    pub(crate) org_found: Option<i64>,
    /// With an organization asked for: the user's role in it, if a member.
    pub(crate) org_role: Option<String>,
}
from_row!(Presented {
    session_id,
    used_at,
    user_id,
    expires_at,
    revoked_at,
    token_version,
    is_active,
    mfa_enabled,
    is_superuser,
    org_found,
    org_role
});

/// The refresh token `hash`, and for an organization token, whether `org_id`
/// exists and the token's user's role in it: one statement, two key lookups more.
pub(crate) fn presented(
    b: &mut Batch<'_>,
    hash: &str,
    org_id: Option<&str>,
) -> DbResult<Rows<Presented>> {
    b.query(
        "select t.session_id, t.used_at, s.user_id, s.expires_at, s.revoked_at, u.token_version, u.is_active, \
         u.mfa_enabled, u.is_superuser, (select require_mfa from organizations where id = ?2) as org_found, \
         (select role from organization_members where organization_id = ?2 and user_id = s.user_id) as org_role \
         from refresh_tokens t join sessions s on s.id = t.session_id join users u on u.id = s.user_id \
         where t.token_hash = ?1",
        &[hash.into(), org_id.into()],
    )
}

/// Rotation: uses `old` (marked by this request's `mark`, if nobody used it
/// first) and, only then, adds `new` and moves the session on. The handle
/// counts the uses: 0 means another request used the token first.
#[allow(clippy::too_many_arguments)]
pub(crate) fn rotate(
    b: &mut Batch<'_>,
    old: &str,
    mark: &str,
    new: &str,
    session_id: &str,
    now: i64,
    now_iso: &str,
    expires_at: i64,
    client: &Client<'_>,
) -> DbResult<Write> {
    // Used tokens of the session beyond the newest few are of no use any more:
    // reuse detection needs the recent ones (a token stolen and used while
    // its owner still refreshes), and the table stays bounded per session.
    // The newest KEPT_USED_TOKENS - 1 stay, and the one used now.
    let _ = b.write(
        &format!(
            "delete from refresh_tokens where session_id = ?1 and used_at is not null and token_hash not in \
             (select token_hash from refresh_tokens where session_id = ?1 and used_at is not null \
              order by used_at desc, created_at desc limit {})",
            KEPT_USED_TOKENS - 1
        ),
        &[session_id.into()],
    )?;
    // Only while the session is live (read at the primary here, whatever the
    // first read saw): a session revoked meanwhile rotates nothing.
    let used = b.write(
        "update refresh_tokens set used_at = ?3, used_by = ?2 where token_hash = ?1 and used_at is null \
         and exists (select 1 from sessions s join users u on u.id = s.user_id where s.id = ?4 \
         and s.revoked_at is null and s.expires_at > ?3 and u.is_active = 1)",
        &[old.into(), mark.into(), now.into(), session_id.into()],
    )?;
    let ours = "exists (select 1 from refresh_tokens where token_hash = ?1 and used_by = ?2)";
    let _ = b.write(
        &format!(
            "insert into refresh_tokens (token_hash, session_id, created_at) select ?3, ?4, ?5 where {ours}"
        ),
        &[old.into(), mark.into(), new.into(), session_id.into(), now_iso.into()],
    )?;
    let _ = b.write(
        &format!(
            "update sessions set last_used_at = ?4, expires_at = ?5, \
             user_agent = coalesce(?6, user_agent), ip_address = coalesce(?7, ip_address) \
             where id = ?3 and {ours}"
        ),
        &[
            old.into(),
            mark.into(),
            session_id.into(),
            now_iso.into(),
            expires_at.into(),
            client.user_agent.into(),
            client.ip_address.into(),
        ],
    )?;
    Ok(used)
}

/// Used refresh tokens kept per session, for reuse detection.
pub(crate) const KEPT_USED_TOKENS: u32 = 5;

/// `SessionPublic`, as SQLite builds it from a `sessions` row; `current`
/// marks session `?3` (the caller's).
const SESSION_JSON: &str = "json_object('id', id, 'created_at', created_at, \
     'last_used_at', last_used_at, 'expires_at', \
     strftime('%Y-%m-%dT%H:%M:%S.000000Z', expires_at, 'unixepoch'), \
     'user_agent', user_agent, 'ip_address', ip_address, \
     'current', iif(id = ?3, json('true'), json('false'))) as json";

/// The live sessions of `user_id`, newest first; `current` is the caller's session.
pub(crate) fn list(
    b: &mut Batch<'_>,
    user_id: &str,
    (now, current): (i64, Option<&str>),
    page: Page,
) -> DbResult<ListQuery> {
    let live = "user_id = ?1 and revoked_at is null and expires_at > ?2";
    let source = Source {
        columns: SESSION_JSON,
        from: "sessions",
        filter: live,
        args: &[user_id.into(), now.into(), current.into()],
        version: None,
        walk: None,
    };
    let count = format!("select count(*) as count from sessions where {live}");
    ListQuery::keyset(b, source, Order::NEWEST, &page, &count)
}

/// Ends session `id` if it is `user_id`'s and live.
pub(crate) fn revoke(b: &mut Batch<'_>, id: &str, user_id: &str, now: i64) -> DbResult<Write> {
    b.write(
        "update sessions set revoked_at = ?3 where id = ?1 and user_id = ?2 and revoked_at is null",
        &[id.into(), user_id.into(), now.into()],
    )
}

/// Ends every session of `user_id`, but `except`.
pub(crate) fn revoke_all(
    b: &mut Batch<'_>,
    user_id: &str,
    except: Option<&str>,
    now: i64,
) -> DbResult<Write> {
    b.write(
        "update sessions set revoked_at = ?3 where user_id = ?1 and revoked_at is null \
         and (?2 is null or id <> ?2)",
        &[user_id.into(), except.into(), now.into()],
    )
}

/// Ends the session a refresh token belongs to (reuse detection).
pub(crate) fn revoke_by_id(b: &mut Batch<'_>, id: &str, now: i64) -> DbResult<Write> {
    b.write(
        "update sessions set revoked_at = ?2 where id = ?1 and revoked_at is null",
        &[id.into(), now.into()],
    )
}

/// Deletes sessions that expired, or were revoked over a day ago (their
/// refresh tokens go with them): the scheduled run.
pub(crate) fn prune(b: &mut Batch<'_>, now: i64) -> DbResult<Counted> {
    b.counted(
        "delete from sessions where expires_at <= ?1 or revoked_at <= ?1 - 86400",
        &[now.into()],
    )
}
