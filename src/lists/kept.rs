//! List pages kept in this isolate's memory, for lists whose rows carry a
//! version (the organizations': raised by every write that changes what the
//! API shows of the row, by the service and, for any other write, by
//! migration 0025's triggers; a change of an avatar's media row raises the
//! version of every organization showing it, by migration 0028's). The users
//! list keeps none since its JSON is
//! stored (migration 0027; docs/architecture.md says why).
//!
//! A kept page is never answered without D1. Its statement first reads the
//! page's rows' `id:version`s alone (the walk that finds the rows, a member's
//! memberships joined to their organizations, but no JSON and no avatar):
//! when they are the kept page's ([`KeptPage::stamps`]), the page reads
//! nothing more and the worker answers the kept rows with the count
//! read now. When they are not, the same statement reads the page as any
//! other, and it is kept in place of the old one. So an unchanged page costs
//! a walk of its rows' versions, a changed one that walk more than a page
//! never seen, and a page is always as it is in D1 when it is read.
//!
//! Isolate memory, not the Cache API: the kept page must be at hand when the
//! statement is sent, and a Cache API lookup is an I/O of its own in front
//! of the D1 round trip.

use std::cell::RefCell;
use std::rc::Rc;

/// What one isolate keeps of list pages at most: keys, stamps and JSON.
pub(crate) const MAX_BYTES: usize = 8 << 20;

/// One page as its last answer had it.
pub(crate) struct KeptPage {
    /// The rows' `id:version`s, a JSON array as SQLite wrote it.
    pub(crate) stamps: String,
    /// The rows' JSON, joined as the answer has them.
    pub(crate) data: String,
    pub(crate) next_cursor: Option<String>,
}

impl KeptPage {
    fn bytes(&self) -> usize {
        self.stamps.len() + self.data.len()
    }
}

/// A key's FNV-1a hash: what a lookup compares before the key itself.
fn hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// One kept page: its key's hash, its key, the page, and what it takes.
type Slot = (u64, String, Rc<KeptPage>, usize);

/// The pages of one isolate, oldest first, dropped past `max` bytes.
struct Pages {
    slots: Vec<Slot>,
    bytes: usize,
    max: usize,
}

impl Pages {
    const fn new(max: usize) -> Self {
        Pages {
            slots: Vec::new(),
            bytes: 0,
            max,
        }
    }

    fn find(&self, key: &str) -> Option<usize> {
        let h = hash(key);
        self.slots
            .iter()
            .position(|(sh, k, ..)| *sh == h && k == key)
    }

    fn get(&self, key: &str) -> Option<Rc<KeptPage>> {
        self.find(key).map(|i| self.slots[i].2.clone())
    }

    fn keep(&mut self, key: String, page: KeptPage) {
        let size = key.len() + page.bytes();
        if size > self.max {
            return;
        }
        let slot = (hash(&key), key, Rc::new(page), size);
        match self.find(&slot.1) {
            Some(i) => {
                self.bytes = self.bytes - self.slots[i].3 + size;
                self.slots[i] = slot;
            }
            None => {
                self.bytes += size;
                self.slots.push(slot);
            }
        }
        while self.bytes > self.max {
            let (.., size) = self.slots.remove(0);
            self.bytes -= size;
        }
    }
}

thread_local! {
    static PAGES: RefCell<Pages> = const { RefCell::new(Pages::new(MAX_BYTES)) };
}

/// The page kept under `key`, if any.
pub(crate) fn get(key: &str) -> Option<Rc<KeptPage>> {
    PAGES.with(|p| p.borrow().get(key))
}

/// Keeps `page` under `key`, in place of what was.
pub(crate) fn keep(key: String, page: KeptPage) {
    PAGES.with(|p| p.borrow_mut().keep(key, page));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(ids: &[&str]) -> KeptPage {
        KeptPage {
            stamps: format!("{ids:?}"),
            data: ids.join(","),
            next_cursor: None,
        }
    }

    #[test]
    fn pages_are_replaced_by_key_and_dropped_oldest_first_past_the_limit() {
        let one = 1 + page(&["a"]).bytes(); // a key of one byte
        let mut pages = Pages::new(3 * one);
        for key in ["x", "y", "z"] {
            pages.keep(key.into(), page(&["a"]));
        }
        assert_eq!(pages.bytes, 3 * one);
        // A new page under a key replaces the old one, where it stood.
        pages.keep("x".into(), page(&["b"]));
        assert_eq!(pages.get("x").unwrap().data, "b");
        assert_eq!(pages.bytes, 3 * one);
        // A fourth key: the oldest goes, even the one just replaced.
        pages.keep("w".into(), page(&["a"]));
        assert!(pages.get("x").is_none());
        assert!(["y", "z", "w"].iter().all(|k| pages.get(k).is_some()));
        assert_eq!(pages.bytes, 3 * one);
        // A page larger than all of it is not kept, and drops nothing.
        pages.keep("big".into(), page(&["a"; 4]));
        assert!(pages.get("big").is_none());
        assert_eq!(pages.slots.len(), 3);
    }

    #[test]
    fn a_lookup_compares_the_key_not_only_its_hash() {
        let mut pages = Pages::new(1 << 10);
        pages.keep("a".into(), page(&["a"]));
        pages.slots[0].0 = hash("b"); // as if "a" and "b" collided
        assert!(pages.get("b").is_none());
    }
}
