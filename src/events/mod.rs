//! Events (extensions W): every change to a user, organization, membership,
//! invitation, API key, webhook endpoint or session is recorded in the batch
//! that makes it, so the event exists exactly when the change committed.
//!
//! [`record`] pushes two statements: the event, whose `data` SQL reads from the
//! subject's row as the batch leaves it (so a change that did not apply, its
//! row not there or not matching, records nothing), and its deliveries, one per
//! enabled webhook endpoint that wants its type, whose ids go to the webhook
//! queue once the batch commits ([`Batch::enqueue`]). For a deletion, record
//! before the statement that deletes: the event reads the row while it is there.

pub(crate) mod repo;

use crate::db::{Arg, Batch, DbResult};
use crate::http::Ctx;

/// Every event type, as section W lists them.
pub(crate) const TYPES: [&str; 24] = [
    "user.created",
    "user.updated",
    "user.deleted",
    "user.password_changed",
    "user.email_verified",
    "session.created",
    "session.revoked",
    "organization.created",
    "organization.updated",
    "organization.deleted",
    "organization.ownership_transferred",
    "membership.created",
    "membership.updated",
    "membership.deleted",
    "invitation.created",
    "invitation.accepted",
    "invitation.declined",
    "invitation.revoked",
    "api_key.created",
    "api_key.revoked",
    "resources.migrated",
    "webhook_endpoint.created",
    "webhook_endpoint.updated",
    "webhook_endpoint.deleted",
];

/// Who made a change: a user, an API key, or the service itself (`system`, no id).
#[derive(Debug, Clone, Copy)]
pub(crate) struct By<'a> {
    pub(crate) kind: &'static str,
    pub(crate) id: Option<&'a str>,
}

impl<'a> By<'a> {
    pub(crate) fn user(id: &'a str) -> By<'a> {
        By {
            kind: "user",
            id: Some(id),
        }
    }
    pub(crate) fn key(id: &'a str) -> By<'a> {
        By {
            kind: "api_key",
            id: Some(id),
        }
    }
    pub(crate) const SYSTEM: By<'static> = By {
        kind: "system",
        id: None,
    };
}

/// What an event is about, and how its `data` is read: from the subject's row
/// (never a password, hash, token, key or secret).
#[derive(Debug, Clone)]
pub(crate) enum Subject<'a> {
    User(&'a str),
    Organization(&'a str),
    /// A member of an organization (the subject's id is the user's).
    Membership {
        org: &'a str,
        user: &'a str,
    },
    Invitation(&'a str),
    ApiKey(&'a str),
    Session(&'a str),
    WebhookEndpoint(&'a str),
    /// A subject whose data the caller gives as a JSON object (`resources.migrated`).
    Given {
        kind: &'static str,
        id: &'a str,
        data: String,
    },
}

use crate::db::json_flag as flag;

const USER_DATA: &str = concat!(
    "json_object('email', email, 'full_name', full_name, 'is_active', ",
    flag!("is_active"),
    ", 'is_superuser', ",
    flag!("is_superuser"),
    ", 'email_verified', ",
    flag!("email_verified"),
    ", 'mfa_enabled', ",
    flag!("mfa_enabled"),
    ")"
);
const ORGANIZATION_DATA: &str = concat!(
    "json_object('name', o.name, 'description', o.description, 'owner_id', o.owner_id, ",
    "'rework_available', o.rework_available, 'require_mfa', ",
    flag!("o.require_mfa"),
    ", 'avatar_image_url', coalesce(m.url, ''))"
);
const MEMBERSHIP_DATA: &str =
    "json_object('user_id', user_id, 'role', role, 'joined_at', joined_at)";
const INVITATION_DATA: &str = "json_object('email', email, 'role', role, 'status', status, \
     'invited_by_id', invited_by_id, 'expires_at', expires_at)";
const API_KEY_DATA: &str = "json_object('name', name, 'prefix', prefix, 'scopes', json(scopes), \
     'expires_at', expires_at, 'revoked_at', revoked_at)";
const SESSION_DATA: &str = "json_object('user_id', user_id, 'user_agent', user_agent, \
     'ip_address', ip_address, 'expires_at', expires_at, 'revoked_at', revoked_at)";
const WEBHOOK_DATA: &str = concat!(
    "json_object('url', url, 'event_types', json(event_types), 'description', description, ",
    "'enabled', ",
    flag!("enabled"),
    ")"
);

/// How an event reads its subject: its type and id, the `data` expression,
/// the row it reads it from (`from ... where ...`, over `?11` and on) and
/// those arguments.
pub(crate) struct Read<'s> {
    pub(crate) kind: &'static str,
    pub(crate) id: &'s str,
    pub(crate) data: &'static str,
    pub(crate) row: &'static str,
    pub(crate) args: Vec<Arg<'s>>,
}

impl Subject<'_> {
    fn read(&self) -> Read<'_> {
        fn one<'s>(
            kind: &'static str,
            id: &'s str,
            data: &'static str,
            row: &'static str,
        ) -> (&'static str, &'s str, &'static str, &'static str) {
            (kind, id, data, row)
        }
        let (kind, id, data, row) = match self {
            Subject::User(id) => one("user", id, USER_DATA, "from users where id = ?11"),
            Subject::Organization(id) => one(
                "organization",
                id,
                ORGANIZATION_DATA,
                "from organizations o left join media_resources m on m.id = o.avatar_media_id \
                 where o.id = ?11",
            ),
            Subject::Membership { org, user } => {
                return Read {
                    kind: "membership",
                    id: user,
                    data: MEMBERSHIP_DATA,
                    row: "from organization_members where organization_id = ?11 and user_id = ?12",
                    args: vec![(*org).into(), (*user).into()],
                }
            }
            Subject::Invitation(id) => one(
                "invitation",
                id,
                INVITATION_DATA,
                "from invitations where id = ?11",
            ),
            Subject::ApiKey(id) => one("api_key", id, API_KEY_DATA, "from api_keys where id = ?11"),
            Subject::Session(id) => {
                one("session", id, SESSION_DATA, "from sessions where id = ?11")
            }
            Subject::WebhookEndpoint(id) => one(
                "webhook_endpoint",
                id,
                WEBHOOK_DATA,
                "from webhook_endpoints where id = ?11",
            ),
            Subject::Given { kind, id, data } => {
                return Read {
                    kind,
                    id,
                    data: "json(?11)",
                    row: "where 1",
                    args: vec![data.as_str().into()],
                }
            }
        };
        Read {
            kind,
            id,
            data,
            row,
            args: vec![id.into()],
        }
    }
}

/// One change, as it is recorded.
pub(crate) struct Event<'a> {
    pub(crate) kind: &'static str,
    /// The organization it belongs to (its audit log), if any.
    pub(crate) org: Option<&'a str>,
    pub(crate) by: By<'a>,
    pub(crate) subject: Subject<'a>,
    /// A condition on the subject's row (over `?20`, bound to the second
    /// value) that holds only if this request's change applied: the row's
    /// `updated_at` is this request's time, an invitation holds its answer's
    /// mark. Without one, the row being there is enough.
    pub(crate) witness: Option<(&'static str, Arg<'a>)>,
}

/// Where a request came from, for its events.
pub(crate) struct Origin<'a> {
    pub(crate) request_id: Option<&'a str>,
    pub(crate) ip: Option<String>,
}

impl<'a> Origin<'a> {
    pub(crate) fn of(cx: &'a Ctx) -> Origin<'a> {
        Origin {
            request_id: Some(&cx.request_id),
            ip: cx.client_ip(),
        }
    }

    /// The service's own work (the scheduled run, the first superuser).
    pub(crate) const NONE: Origin<'static> = Origin {
        request_id: None,
        ip: None,
    };
}

/// Records an event of the request `cx` in `b`: [`record`] in one line.
pub(crate) fn log(
    b: &mut Batch<'_>,
    cx: &Ctx,
    kind: &'static str,
    org: Option<&str>,
    by: By<'_>,
    subject: Subject<'_>,
) -> DbResult<()> {
    record_with(b, cx, kind, (org, by, subject), None)
}

/// [`log`] of a change that may not apply when the batch runs: recorded only
/// where `witness` (SQL over the subject's row and `?20`, bound to `value`) holds.
#[allow(clippy::too_many_arguments)]
pub(crate) fn log_if<'a>(
    b: &mut Batch<'_>,
    cx: &Ctx,
    kind: &'static str,
    org: Option<&'a str>,
    by: By<'a>,
    subject: Subject<'a>,
    witness: &'static str,
    value: Arg<'a>,
) -> DbResult<()> {
    record_with(b, cx, kind, (org, by, subject), Some((witness, value)))
}

fn record_with<'a>(
    b: &mut Batch<'_>,
    cx: &Ctx,
    kind: &'static str,
    about: (Option<&'a str>, By<'a>, Subject<'a>),
    witness: Option<(&'static str, Arg<'a>)>,
) -> DbResult<()> {
    record(b, &Origin::of(cx), Event::new(kind, about, witness))
}

impl<'a> Event<'a> {
    fn new(
        kind: &'static str,
        (org, by, subject): (Option<&'a str>, By<'a>, Subject<'a>),
        witness: Option<(&'static str, Arg<'a>)>,
    ) -> Event<'a> {
        Event {
            kind,
            org,
            by,
            subject,
            witness,
        }
    }
}

/// A deletion's event, recorded before the statement that deletes (it reads
/// the row while it is there): [`Pending::confirm`] after that statement keeps
/// it only if the row went.
pub(crate) fn log_deletion<'a>(
    b: &mut Batch<'_>,
    cx: &Ctx,
    kind: &'static str,
    org: Option<&'a str>,
    by: By<'a>,
    subject: Subject<'a>,
) -> DbResult<Pending<'a>> {
    let event = Event::new(kind, (org, by, subject), None);
    repo::insert_pending(b, &Origin::of(cx), event)
}

/// A deletion's event, written but not yet confirmed.
pub(crate) struct Pending<'a> {
    id: String,
    event: Event<'a>,
}

impl Pending<'_> {
    /// After the deleting statement: drops the event if its subject's row is
    /// still there (the deletion did not apply), and fans it out if not.
    pub(crate) fn confirm(self, b: &mut Batch<'_>) -> DbResult<()> {
        repo::confirm(b, &self.id, &self.event)
    }
}

/// Records `event` in `b` (see the module's documentation).
pub(crate) fn record(b: &mut Batch<'_>, origin: &Origin<'_>, event: Event<'_>) -> DbResult<()> {
    repo::insert(b, origin, &event)
}
