//! The opt-in caller cache (`CALLER_CACHE_SECONDS`, 0 = off, at most 5): what
//! the caller's check reads about a token's caller (the user row and the
//! token's session) is kept in this isolate's memory that long, so a request
//! whose level needs nothing else answers without D1.
//!
//! Isolate memory, not the Cache API: a Cache API lookup is itself a call out
//! of the isolate (about what a D1 read of one row costs at the edge), and
//! what it would share, a location's isolates seeing one another's entries,
//! is only worth having for a lifetime longer than the few seconds allowed
//! here. An isolate serves many requests in a row, so its own memory is where
//! the hits are.
//!
//! Freshness: every request that may write (any method but GET, HEAD and
//! OPTIONS) empties this isolate's cache once it has run, so a logout, a
//! revocation, a password change, a deactivation or a role change made
//! through this isolate takes effect at once. Made through another isolate,
//! it takes effect here within the setting's seconds. A read that started
//! before such a write stores nothing after it (the generation moved).
//! API keys are not cached: a key is read by its hash every request.

use super::session::SessionRow;
use super::user::UserRow;
use std::cell::RefCell;

/// The most callers kept; a full cache drops what expired, and starts over if
/// nothing did. Found by a walk: at this size a walk of short keys costs
/// microseconds, and a map's hashing would cost the upload more code.
const MAX_ENTRIES: usize = 1024;

/// What the caller's check read for one token's (user, session).
#[derive(Clone)]
pub(crate) struct Entry {
    pub(crate) user: Option<UserRow>,
    pub(crate) session: Option<SessionRow>,
}

struct Stored {
    key: String,
    entry: Entry,
    until_ms: u64,
}

#[derive(Default)]
struct Cache {
    /// Moved by every forget: a read begun before it stores nothing.
    generation: u64,
    entries: Vec<Stored>,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::default();
}

/// The key of a token's caller: its user and its session.
pub(crate) fn key(user_id: &str, session_id: Option<&str>) -> String {
    format!("{user_id} {}", session_id.unwrap_or(""))
}

/// The entry for `key`, if one is younger than its lifetime at `now_ms`.
pub(crate) fn get(key: &str, now_ms: u64) -> Option<Entry> {
    CACHE.with_borrow(|c| {
        c.entries
            .iter()
            .find(|s| s.key == key && s.until_ms > now_ms)
            .map(|s| s.entry.clone())
    })
}

/// The generation a read starts in, to hand back to [`put`].
pub(crate) fn generation() -> u64 {
    CACHE.with_borrow(|c| c.generation)
}

/// Keeps `entry` for `seconds` from `now_ms`, unless the cache was emptied
/// since `generation` (the read may predate a write).
pub(crate) fn put(key: String, entry: Entry, generation: u64, seconds: u64, now_ms: u64) {
    CACHE.with_borrow_mut(|c| {
        if c.generation != generation {
            return;
        }
        c.entries.retain(|s| s.key != key);
        if c.entries.len() >= MAX_ENTRIES {
            c.entries.retain(|s| s.until_ms > now_ms);
            if c.entries.len() >= MAX_ENTRIES {
                c.entries.clear();
            }
        }
        let until_ms = now_ms + seconds * 1000;
        c.entries.push(Stored {
            key,
            entry,
            until_ms,
        });
    });
}

/// Empties the cache: a write ran in this isolate.
pub(crate) fn forget_all() {
    CACHE.with_borrow_mut(|c| {
        c.generation += 1;
        c.entries.clear();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            user: None,
            session: None,
        }
    }

    #[test]
    fn an_entry_lives_its_seconds_and_a_write_forgets_it() {
        let k = key("u", Some("s"));
        put(k.clone(), entry(), generation(), 2, 1_000);
        assert!(get(&k, 1_000).is_some());
        assert!(get(&k, 2_999).is_some());
        assert!(get(&k, 3_000).is_none(), "two seconds after");
        assert!(get(&key("u", None), 1_000).is_none(), "another session");
        forget_all();
        assert!(get(&k, 1_000).is_none());
    }

    #[test]
    fn a_read_begun_before_a_write_stores_nothing() {
        let k = key("v", None);
        let before = generation();
        forget_all();
        put(k.clone(), entry(), before, 5, 0);
        assert!(get(&k, 1).is_none());
        put(k.clone(), entry(), generation(), 5, 0);
        assert!(get(&k, 1).is_some());
    }
}
