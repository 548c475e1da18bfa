//! Lists: paging (`skip`, `limit`, `cursor`), `search`, and the
//! `{data, count, next_cursor}` shape every list answers (`UsersPublic`,
//! `OrganizationsPublic`, `OrganizationMembersPublic`, ...).
//!
//! Every list is a keyset over (time column, id), so a page after a cursor
//! costs the same at any depth; `skip` still counts rows from where the page
//! starts.

mod kept;

use kept::KeptPage;
use std::rc::Rc;

use crate::db::from_row;
use crate::db::{Arg, Batch, DbResult, Results, Rows};
use crate::db::{FromRow, JsonText};
use crate::error::ApiResult;
use crate::http::input::Input;
use crate::http::Ctx;
use crate::validation::{Fail, Validator, MAX_SAFE_INTEGER};
use base64ct::{Base64UrlUnpadded, Encoding};
use serde::Serialize;
use serde_json::Value;

/// Largest page a list returns.
pub(crate) const MAX_LIMIT: i64 = 1000;
/// The page size when the client names none.
pub(crate) const DEFAULT_LIMIT: i64 = 100;

/// `skip` (>= 0, default 0), `limit` (0..=1000, default 100) and `cursor`
/// (where the previous page ended), checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) skip: i64,
    pub(crate) limit: i64,
    pub(crate) cursor: Option<Cursor>,
}

impl Page {
    /// The page a list answers when the client names none.
    pub(crate) const FIRST: Page = Page {
        skip: 0,
        limit: DEFAULT_LIMIT,
        cursor: None,
    };
}

impl Input for Page {
    fn parse(cx: &Ctx, v: &mut Validator) -> ApiResult<Option<Self>> {
        // D1 binds numbers as JavaScript numbers: `skip` stops where they stop being exact.
        let skip = v.query_int(
            "skip",
            cx.query("skip").as_deref(),
            0,
            Some(0),
            Some(MAX_SAFE_INTEGER),
        );
        let limit = v.query_int(
            "limit",
            cx.query("limit").as_deref(),
            DEFAULT_LIMIT,
            Some(0),
            Some(MAX_LIMIT),
        );
        let cursor = match cx.query("cursor").filter(|c| !c.is_empty()) {
            None => Some(None),
            Some(raw) => match Cursor::decode(&raw) {
                Some(c) => Some(Some(c)),
                None => {
                    v.push(
                        vec!["query".into(), "cursor".into()],
                        Value::String(raw),
                        Fail::new(
                            "value_error",
                            "Value error, Invalid cursor: pass the next_cursor of a previous page",
                        ),
                    );
                    None
                }
            },
        };
        Ok(match (skip, limit, cursor) {
            (Some(skip), Some(limit), Some(cursor)) => Some(Page {
                skip,
                limit,
                cursor,
            }),
            _ => None,
        })
    }
}

/// Where a page starts: after the row with this time and id, in the list's
/// order. Opaque to clients: base64url of `[time, id]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Cursor(String, String);

/// The longest cursor accepted (one the service makes is under 120 characters).
const MAX_CURSOR_CHARS: usize = 240;

impl Cursor {
    pub(crate) fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        Base64UrlUnpadded::encode_string(&json)
    }

    /// The cursor `encode` made, or `None` for anything else.
    pub(crate) fn decode(text: &str) -> Option<Cursor> {
        if text.len() > MAX_CURSOR_CHARS {
            return None;
        }
        let json = Base64UrlUnpadded::decode_vec(text).ok()?;
        // Read as a Value: no typed deserializer (and its error formatting) for two strings.
        match serde_json::from_slice::<Value>(&json).ok()? {
            Value::Array(pair) => match <[Value; 2]>::try_from(pair).ok()? {
                [Value::String(at), Value::String(id)] => Some(Cursor(at, id)),
                _ => None,
            },
            _ => None,
        }
    }
}

/// `search`, where an empty value means no filter.
#[derive(Debug, Clone, Default)]
pub(crate) struct Search(pub(crate) Option<String>);

/// How a search finds its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Matcher {
    /// No search: every row.
    All,
    /// A phrase of one of the table's FTS5 indexes, which matches exactly the
    /// rows holding the search as a substring.
    Indexed(Index, String),
}

/// The FTS5 indexes of a table's folded columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Index {
    /// `{table}_search`: the trigram tokenizer, for three characters or more
    /// (migration 0010). The phrase is the folded search, quoted.
    Trigrams,
    /// `{table}_grams`: each row's one- and two-character windows, for the
    /// searches too short for a trigram (migration 0026). The phrase is the hex
    /// of the folded search's UTF-8, as SQLite's `hex()` writes the windows.
    Grams,
}

impl Index {
    /// The index's table for `table`.
    pub(crate) fn of(self, table: &str) -> String {
        let suffix = match self {
            Index::Trigrams => "_search",
            Index::Grams => "_grams",
        };
        table.to_string() + suffix
    }
}

impl Search {
    /// The search folded as names and addresses are folded for it (NFC, then
    /// Unicode lower case), to find with `instr` in a `*_key` column: a plain
    /// substring at any length, where `%` and `_` are characters like any other.
    pub(crate) fn folded(&self) -> Option<String> {
        self.0.as_deref().map(fold)
    }
}

impl Matcher {
    /// How to find the matches of a search, folded ([`Search::folded`]), in
    /// a table with the FTS5 indexes of its folded columns.
    pub(crate) fn of(folded: Option<&str>) -> Matcher {
        match folded {
            None => Matcher::All,
            // FTS5 would read a phrase only up to a NUL. In hex it is a token
            // like any other, and one of three characters or more is no window.
            Some(q) if q.chars().count() >= 3 && !q.contains('\0') => {
                Matcher::Indexed(Index::Trigrams, format!("\"{}\"", q.replace('"', "\"\"")))
            }
            // SQLite's `hex()` writes the windows in upper case.
            Some(q) => {
                let hex = crate::ids::hex(q.as_bytes()).to_ascii_uppercase();
                Matcher::Indexed(Index::Grams, format!("\"{hex}\""))
            }
        }
    }
}

/// Text as it is compared and searched: NFC, then Unicode lower case. The
/// `*_key` columns hold names and addresses folded with it.
pub(crate) fn fold(text: &str) -> String {
    use crate::validation::runtime::{lower, nfc};
    lower(&nfc(text))
}

impl Input for Search {
    fn parse(cx: &Ctx, _: &mut Validator) -> ApiResult<Option<Self>> {
        Ok(Some(Search(cx.query("search").filter(|s| !s.is_empty()))))
    }
}

/// One page, the number of all matches, and where the next page starts
/// (`None` on the last page).
#[derive(Debug, Serialize)]
pub(crate) struct List<T> {
    pub(crate) data: Vec<T>,
    pub(crate) count: i64,
    pub(crate) next_cursor: Option<String>,
}

/// A row's JSON with its position in its list's order (the page query
/// selects both), for [`List::with_new`].
pub(crate) struct Placed {
    pub(crate) json: JsonText,
    pub(crate) at: String,
    pub(crate) id: String,
}

impl FromRow for Placed {
    fn from_row(row: &crate::db::Row<'_>) -> DbResult<Self> {
        row.finish(Placed {
            json: JsonText(row.get("json")),
            at: row.get("cursor_at"),
            id: row.get("cursor_id"),
        })
    }
}

impl List<Placed> {
    /// The page without its positions.
    pub(crate) fn rows(self) -> List<JsonText> {
        List {
            data: self.data.into_iter().map(|p| p.json).collect(),
            count: self.count,
            next_cursor: self.next_cursor,
        }
    }
}

impl List<JsonText> {
    /// The page's JSON, byte for byte what serializing a `List` of the same
    /// objects gives: the rows' own JSON, joined.
    pub(crate) fn into_body(self) -> Vec<u8> {
        let rows: Vec<&str> = self.data.iter().map(|r| r.0.as_str()).collect();
        page_body(&join_rows(&rows), self.count, self.next_cursor.as_deref())
    }
}

/// The rows' JSON, comma-separated.
fn join_rows(rows: &[&str]) -> String {
    let mut data = String::with_capacity(rows.iter().map(|r| r.len() + 1).sum());
    for row in rows {
        if !data.is_empty() {
            data.push(',');
        }
        data.push_str(row);
    }
    data
}

/// `{"data": [data], "count": count, "next_cursor": next}`, `data` being the
/// rows' JSON already joined.
fn page_body(data: &str, count: i64, next: Option<&str>) -> Vec<u8> {
    // base64url: nothing in a cursor needs escaping.
    let next = next.map_or("null".to_string(), |cursor| format!("\"{cursor}\""));
    format!("{{\"data\":[{data}],\"count\":{count},\"next_cursor\":{next}}}").into_bytes()
}

/// A list's answer, its body built.
pub(crate) struct ListBody(pub(crate) Vec<u8>);

impl ListBody {
    /// A 200 with this page.
    pub(crate) fn respond(self) -> ApiResult<worker::Response> {
        Ok(crate::http::json_response(200, self.0))
    }
}

/// Where a kept list's page is kept: its statement and the values bound to
/// it (each marked with its type, a text with its length, so no two
/// different bindings read alike).
fn kept_key(sql: &str, args: &[Arg<'_>]) -> String {
    use std::fmt::Write as _;
    let mut key = String::new();
    for arg in args {
        let _ = match arg {
            Arg::Null => write!(key, "n;"),
            Arg::Text(t) => write!(key, "t{}:{t};", t.len()),
            Arg::Int(i) => write!(key, "i{i};"),
            Arg::Real(r) => write!(key, "r{:x};", r.to_bits()),
        };
    }
    key.push_str(sql);
    key
}

impl<T> List<T> {
    /// This first page (of `limit` items, ascending by `position`) as it reads
    /// once `item` is written: in its place, pushing the last item to the next
    /// page if the page was full. So a write can know its answer before it runs.
    pub(crate) fn with_new(
        mut self,
        item: T,
        limit: i64,
        position: impl Fn(&T) -> (&str, &str),
    ) -> List<T> {
        let limit = usize::try_from(limit).unwrap_or(0);
        let at = self
            .data
            .partition_point(|x| position(x) <= position(&item));
        self.count += 1;
        if self.next_cursor.is_some() && at == self.data.len() {
            return self; // it goes on a later page
        }
        self.data.insert(at, item);
        if self.data.len() > limit {
            self.data.truncate(limit);
            self.next_cursor = self.data.last().map(|last| {
                let (time, id) = position(last);
                Cursor(time.to_string(), id.to_string()).encode()
            });
        }
        self
    }
}

pub(crate) struct Count {
    count: i64,
}
from_row!(Count { count });

/// A list's order: a time column, then a unique column of the same table (its
/// id), both in one direction. An index on (equality columns, time, id) holds
/// that order both ways, and a page after a cursor is one range of it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Order {
    /// The sort column as the page query names it (`created_at`, `m.joined_at`).
    pub(crate) key: &'static str,
    /// The tie-breaker, unique in the table, as the page query names it (`id`).
    pub(crate) id: &'static str,
    pub(crate) newest_first: bool,
}

impl Order {
    /// `created_at` newest first: the order of most lists.
    pub(crate) const NEWEST: Order = Order::newest_first("created_at", "id");

    pub(crate) const fn newest_first(key: &'static str, id: &'static str) -> Order {
        Order {
            key,
            id,
            newest_first: true,
        }
    }

    pub(crate) const fn oldest_first(key: &'static str, id: &'static str) -> Order {
        Order {
            key,
            id,
            newest_first: false,
        }
    }

    fn direction(&self) -> (&'static str, &'static str) {
        if self.newest_first {
            ("desc", "<")
        } else {
            ("asc", ">")
        }
    }
}

/// What a list selects: `select {columns} from {from} where {filter}`, with
/// `args` bound to `?1..?n` of `filter`.
pub(crate) struct Source<'q, 'a> {
    pub(crate) columns: &'q str,
    pub(crate) from: &'q str,
    pub(crate) filter: &'q str,
    pub(crate) args: &'q [Arg<'a>],
    /// The rows' version column, raised by every write that changes their
    /// JSON: where every way of a list names one, its pages are kept in the
    /// isolate ([`kept`]) and answered again while their rows' versions stand.
    pub(crate) version: Option<&'q str>,
    /// For a search through an FTS5 index: the other way to its page.
    pub(crate) walk: Option<Walk<'q>>,
}

/// A search's matches found two ways. `Source::filter` drives the page from
/// the index's rowids: each match is looked up and the matches are sorted,
/// which is quick for few. This `filter` (the same rows: the folded search
/// found with `instr` in the folded columns the index holds, as the trigram
/// index is case-sensitive and the gram index holds every window) walks the
/// order's index from the page's start until the page is full, which is quick
/// for many: the walk's length is the page's size over the share of rows that
/// match. The statement counts the matches first, once (`c(count)`,
/// [`ListQuery::keyset`]), and takes the walk when the count's square is
/// above `total` (a statement of the table's row count), about where the two
/// cost the same: either way then reads at most about the page's size times
/// the square root of the table's size in table rows (the count reads the
/// index's list of matches, not the rows).
/// At 100,000 users, `?search=42` (3,970 matches) took 7.7 ms in SQLite by
/// lookups alone and takes 0.28 ms; `?search=u` (every user) 150 ms and 2.1.
/// Testing each row walked costs less than reading the index's list of matches
/// into a set to test them against (`+rowid in (...)`: 0.52 ms and 11).
#[derive(Clone, Copy)]
pub(crate) struct Walk<'q> {
    pub(crate) filter: &'q str,
    pub(crate) total: &'q str,
}

/// The statement of a page: `columns` of the rows of `source` in `order`
/// after the page's cursor, one more than the limit (to know whether another
/// page follows), each with its position (`cursor_at`, `cursor_id`), if
/// `read_if` (a condition on no row) holds. It decides the page's LIMIT, which
/// SQLite computes once before the loop: when false, the page reads no rows
/// (as a WHERE term, it would be tested against every row of the walk). The
/// page's cursor, limit and skip bind after `source.args`.
fn page_statement<'a>(
    source: &Source<'_, 'a>,
    order: Order,
    page: &'a Page,
    columns: &str,
    read_if: Option<&str>,
) -> (String, Vec<Arg<'a>>) {
    let Source {
        from, filter, args, ..
    } = source;
    let Order { key, id, .. } = order;
    let (dir, cmp) = order.direction();
    let mut page_args = args.to_vec();
    let mut after = String::new();
    if let Some(Cursor(at, last_id)) = &page.cursor {
        let n = page_args.len();
        after = format!(" and ({key}, {id}) {cmp} (?{}, ?{})", n + 1, n + 2);
        page_args.push(Arg::Text(at));
        page_args.push(Arg::Text(last_id));
    }
    let n = page_args.len();
    page_args.push(Arg::Int(page.limit + 1));
    page_args.push(Arg::Int(page.skip));
    // Not a bare `?n`: see `crate::db` (a LIMIT of a bound value).
    let limit = match read_if {
        None => format!("?{} + 0", n + 1),
        Some(c) => format!("case when {c} then ?{} else 0 end", n + 1),
    };
    let sql = format!(
        "select {columns}, {key} as cursor_at, {id} as cursor_id from {from} \
         where ({filter}){after} order by {key} {dir}, {id} {dir} limit {limit} offset ?{}",
        n + 2
    );
    (sql, page_args)
}

/// [`page_statement`], or with a [`Walk`] (in a statement whose `c(count)`
/// holds the matches' count) the union of its two ways, each read only if
/// the count chose it.
fn page_of<'a>(
    source: &Source<'_, 'a>,
    order: Order,
    page: &'a Page,
    columns: &str,
    read_if: Option<&str>,
) -> (String, Vec<Arg<'a>>) {
    let Some(walk) = source.walk else {
        return page_statement(source, order, page, columns, read_if);
    };
    let take_walk = format!("(select count * count > ({}) from c)", walk.total);
    let when = |way: String| match read_if {
        Some(c) => format!("{c} and {way}"),
        None => way,
    };
    let lookups = when(format!("not {take_walk}"));
    let (lookups, args) = page_statement(source, order, page, columns, Some(&lookups));
    let walked = Source {
        filter: walk.filter,
        walk: None,
        ..*source
    };
    let (walked, _) = page_statement(&walked, order, page, columns, Some(&when(take_walk)));
    one_of(vec![(lookups, args), (walked, Vec::new())])
}

/// The union of page statements of which at most one reads rows (their
/// conditions exclude each other): that one's rows, in its order. SQLite
/// reads the parts of a UNION ALL in turn, each in its own order; an ORDER BY
/// over the union would sort the rows again, as SQLite cannot know that the
/// other parts are empty. The parts bind the same arguments: the first's are
/// returned.
fn one_of<'a>(mut parts: Vec<(String, Vec<Arg<'a>>)>) -> (String, Vec<Arg<'a>>) {
    if parts.len() <= 1 {
        return parts.pop().unwrap_or_default();
    }
    let sql = parts
        .iter()
        .map(|(sql, _)| format!("select * from ({sql})"))
        .collect::<Vec<_>>()
        .join(" union all ");
    (sql, parts.swap_remove(0).1)
}

/// One way to a list's page: `source` in `order`, read if `when` (a
/// condition on no row) holds.
struct Way<'w, 'q, 'a> {
    source: &'w Source<'q, 'a>,
    order: Order,
    when: Option<&'w str>,
}

impl<'a> Way<'_, '_, 'a> {
    /// The page's rows ([`page_of`]) of `columns` (of each way's source),
    /// read if `read_if` holds too: the one way's whose `when` holds.
    fn pages(
        ways: &[Way<'_, '_, 'a>],
        page: &'a Page,
        columns: &dyn Fn(&Source<'_, 'a>) -> String,
        read_if: Option<&str>,
    ) -> (String, Vec<Arg<'a>>) {
        let parts = ways.iter().map(|w| {
            let read_if = match (w.when, read_if) {
                (Some(a), Some(b)) => Some(format!("{a} and {b}")),
                (a, b) => a.or(b).map(str::to_string),
            };
            page_of(
                w.source,
                w.order,
                page,
                &columns(w.source),
                read_if.as_deref(),
            )
        });
        one_of(parts.collect())
    }
}

/// Between the items (and the positions) of a page D1 joined: a control
/// character, which JSON text never holds unescaped.
const ITEM_END: char = '\u{1e}';
/// Between a position's time and id.
const POSITION_SEP: char = '\u{1f}';

/// A list, in a batch, as one statement whose one row D1 assembles: the
/// count of all matches, and the page's rows (their JSON, `… as json`) and
/// positions, each joined in the page's order. The worker reads one row,
/// not one per item.
pub(crate) struct ListQuery {
    joined: Rows<Joined>,
    limit: i64,
    /// A kept list's key here (its statement and arguments), and the page
    /// kept under it when the statement was sent.
    kept: Option<(String, Option<Rc<KeptPage>>)>,
}

/// The row of a [`ListQuery`]: the count, and the page's rows (up to the
/// limit and one) as their JSON and their positions, each separated by
/// [`ITEM_END`].
#[derive(Default)]
struct Joined {
    count: i64,
    json: String,
    positions: String,
    /// A kept list's rows as `id:version`s (a JSON array).
    stamps: Option<String>,
}
from_row!(Joined {
    count,
    json,
    positions,
    stamps
});

impl ListQuery {
    /// Pushes the page of `source` in `order`, after the page's cursor, with
    /// `count` (a statement whose one column is `count`, over `source.args`
    /// or the first of them).
    pub(crate) fn keyset(
        b: &mut Batch<'_>,
        source: Source<'_, '_>,
        order: Order,
        page: &Page,
        count: &str,
    ) -> DbResult<Self> {
        let way = Way {
            source: &source,
            order,
            when: None,
        };
        Self::of(b, &[way], page, count)
    }

    /// Pushes a list that is one of two, in one statement: where `when` (a
    /// condition on no row, as the caller's flag) holds, the page of `first`
    /// and its count; else those of `second`. Both are compiled, and only the
    /// one that applies reads rows. They read the same arguments (`second`'s
    /// filter and count may leave some unread) and list newest or oldest first
    /// alike.
    pub(crate) fn either(
        b: &mut Batch<'_>,
        when: &str,
        first: (Source<'_, '_>, Order, &str),
        second: (Source<'_, '_>, Order, &str),
        page: &Page,
    ) -> DbResult<Self> {
        debug_assert_eq!(first.0.args.len(), second.0.args.len());
        debug_assert_eq!(first.1.newest_first, second.1.newest_first);
        let not = format!("not {when}");
        let ways = [
            Way {
                source: &first.0,
                order: first.1,
                when: Some(when),
            },
            Way {
                source: &second.0,
                order: second.1,
                when: Some(&not),
            },
        ];
        let count = format!(
            "select case when {when} then ({}) else ({}) end",
            first.2, second.2
        );
        Self::of(b, &ways, page, &count)
    }

    /// The statement of a page read one of `ways`, with `count`.
    fn of(b: &mut Batch<'_>, ways: &[Way<'_, '_, '_>], page: &Page, count: &str) -> DbResult<Self> {
        // A FROM subquery with ORDER BY and LIMIT is not flattened into an
        // aggregate: SQLite runs it as a co-routine and the aggregates take
        // its rows in its order (the list tests walk every list through cursors).
        // The count first, once (the CTE `c`), where a search's [`Walk`]
        // chooses its way by it; elsewhere it is only the answer's column.
        let (mut ctes, counted) = if ways.iter().any(|w| w.source.walk.is_some()) {
            (
                vec![format!("c(count) as ({count})")],
                "select count from c",
            )
        } else {
            (Vec::new(), count)
        };
        let joined = |ctes: &[String], stamps: &str, page_sql: &str| {
            let with = match ctes {
                [] => String::new(),
                ctes => format!("with {} ", ctes.join(", ")),
            };
            format!(
                "{with}select ({counted}) as count, \
                 coalesce(group_concat(json, char(30)), '') as json, \
                 coalesce(group_concat(cursor_at || char(31) || cursor_id, char(30)), '') as positions\
                 {stamps} from ({page_sql})"
            )
        };
        let versioned = ways.iter().all(|w| w.source.version.is_some());
        if !versioned {
            let (page_sql, args) = Way::pages(ways, page, &|s| s.columns.to_string(), None);
            return Ok(ListQuery {
                joined: b.beside(&joined(&ctes, "", &page_sql), &args)?,
                limit: page.limit,
                kept: None,
            });
        }
        // A kept list's page is read with its rows' stamps (`id:version`),
        // the first time in this isolate as any other; that statement is the
        // page's key here.
        let stamps = "json_group_array(cursor_id || ':' || version)";
        fn version<'q>(s: &Source<'q, '_>) -> &'q str {
            s.version.unwrap_or("null")
        }
        let columns = |s: &Source<'_, '_>| format!("{}, {} as version", s.columns, version(s));
        let (page_sql, mut args) = Way::pages(ways, page, &columns, None);
        let mut sql = joined(&ctes, &format!(", {stamps} as stamps"), &page_sql);
        let key = kept_key(&sql, &args);
        let held = kept::get(&key);
        if let Some(held) = &held {
            // Then, the stamps first, alone (the rows' walk, no JSON, no avatar):
            // the same as the kept page's, and the page reads nothing more.
            let k = args.len() + 1;
            let (walk, _) = Way::pages(ways, page, &|s| format!("{} as version", version(s)), None);
            ctes.push(format!(
                "k(same) as materialized (select {stamps} = ?{k} from ({walk}))"
            ));
            let same = "(select same from k)";
            let (page_sql, _) = Way::pages(ways, page, &columns, Some(&format!("not {same}")));
            sql = joined(
                &ctes,
                &format!(", iif({same}, null, {stamps}) as stamps"),
                &page_sql,
            );
            args.push(Arg::Text(&held.stamps));
        }
        Ok(ListQuery {
            joined: b.beside(&sql, &args)?,
            limit: page.limit,
            kept: Some((key, held)),
        })
    }

    /// `table`'s rows matching `filter` (over `?1..?n`, bound to `args`),
    /// newest first, counted by `kept` (a statement reading a count the
    /// writes keep, as for [`Self::keyset`]) or else with `count(*)` under the
    /// same filter: for lists bounded by an indexed owner (an organization's,
    /// a user's).
    pub(crate) fn newest_first(
        b: &mut Batch<'_>,
        (columns, table, filter): (&str, &str, &str),
        args: &[Arg<'_>],
        page: &Page,
        kept: Option<&str>,
    ) -> DbResult<Self> {
        let source = Source {
            columns,
            from: table,
            filter,
            args,
            version: None,
            walk: None,
        };
        let count = match kept {
            Some(kept) => kept.to_string(),
            None => format!("select count(*) as count from {table} where {filter}"),
        };
        Self::keyset(b, source, Order::NEWEST, page, &count)
    }

    /// The page's answer; a kept list's page is kept for the next one.
    pub(crate) fn read(self, r: &Results) -> DbResult<ListBody> {
        let joined = r.first(self.joined)?.unwrap_or_default();
        let (key, held) = self
            .kept
            .map_or((None, None), |(key, held)| (Some(key), held));
        // No stamps from a kept list: its rows are the kept page's.
        if let (Some(held), None) = (held, &joined.stamps) {
            let next = held.next_cursor.as_deref();
            return Ok(ListBody(page_body(&held.data, joined.count, next)));
        }
        let limit = usize::try_from(self.limit).unwrap_or(0);
        let rows = match joined.json.as_str() {
            "" => Vec::new(),
            json => json.split(ITEM_END).collect(),
        };
        let more = rows.len() > limit;
        let data = join_rows(&rows[..rows.len().min(limit)]);
        let last = limit.checked_sub(1).filter(|_| more);
        let next_cursor = last
            .and_then(|i| joined.positions.split(ITEM_END).nth(i))
            .and_then(|p| p.split_once(POSITION_SEP))
            .map(|(at, id)| Cursor(at.to_string(), id.to_string()).encode());
        let body = page_body(&data, joined.count, next_cursor.as_deref());
        if let (Some(key), Some(stamps)) = (key, joined.stamps) {
            kept::keep(
                key,
                KeptPage {
                    stamps,
                    data,
                    next_cursor,
                },
            );
        }
        Ok(ListBody(body))
    }
}

/// The first page of a list as rows with their positions, and the count:
/// what a write reads to answer that page with its new item in place
/// ([`List::with_new`]).
pub(crate) struct PlacedQuery {
    page: Rows<Placed>,
    count: Rows<Count>,
}

impl PlacedQuery {
    /// Pushes the first page of `source` in `order`, and `count` (as for
    /// [`ListQuery::keyset`]).
    pub(crate) fn first_page(
        b: &mut Batch<'_>,
        source: Source<'_, '_>,
        order: Order,
        count: &str,
    ) -> DbResult<Self> {
        let first = Page::FIRST;
        let (sql, args) = page_statement(&source, order, &first, source.columns, None);
        Ok(PlacedQuery {
            page: b.query(&sql, &args)?,
            count: b.query(count, source.args)?,
        })
    }

    pub(crate) fn read(self, r: &Results) -> DbResult<List<Placed>> {
        let count = r.first(self.count)?.map_or(0, |c| c.count);
        let mut data = r.rows(self.page)?;
        let limit = usize::try_from(Page::FIRST.limit).unwrap_or(0);
        let more = data.len() > limit;
        data.truncate(limit);
        let next_cursor = match data.last() {
            Some(p) if more => Some(Cursor(p.at.clone(), p.id.clone()).encode()),
            _ => None,
        };
        Ok(List {
            data,
            count,
            next_cursor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_item_takes_its_place_in_a_first_page() {
        let list = |data: &[&str], count, next: Option<&str>| List {
            data: data.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            count,
            next_cursor: next.map(str::to_string),
        };
        #[allow(clippy::ptr_arg)] // the item type of the list is String
        fn pos(s: &String) -> (&str, &str) {
            (s, s)
        }
        let cursor = |s: &str| Some(Cursor(s.into(), s.into()).encode());
        // Room on the page: in its place, no next page.
        let l = list(&["a", "c"], 2, None).with_new("b".into(), 3, pos);
        assert_eq!(
            (l.data, l.count, l.next_cursor),
            (vec!["a".to_string(), "b".into(), "c".into()], 3, None)
        );
        // A full page: the last one moves on, and there is a next page.
        let l = list(&["a", "c"], 2, None).with_new("b".into(), 2, pos);
        assert_eq!(
            (l.data, l.next_cursor),
            (vec!["a".to_string(), "b".into()], cursor("b"))
        );
        let l = list(&["a", "c"], 2, None).with_new("d".into(), 2, pos);
        assert_eq!(
            (l.data, l.count, l.next_cursor),
            (vec!["a".to_string(), "c".into()], 3, cursor("c"))
        );
        // A later page already exists: an item after this page stays there.
        let l = list(&["a", "c"], 5, cursor("c").as_deref()).with_new("d".into(), 2, pos);
        assert_eq!(
            (l.data, l.count, l.next_cursor),
            (vec!["a".to_string(), "c".into()], 6, cursor("c"))
        );
    }

    #[test]
    fn searches_fold_all_of_unicode() {
        assert_eq!(
            Search(Some("ÉLODIE 50%_".into())).folded().as_deref(),
            Some("élodie 50%_")
        );
        assert_eq!(Search(None).folded(), None);
    }

    #[test]
    fn searches_use_the_trigram_index_from_three_characters_and_the_gram_index_below() {
        assert_eq!(Matcher::of(Search(None).folded().as_deref()), Matcher::All);
        use Index::{Grams, Trigrams};
        for (search, index, phrase) in [
            ("ÉLO", Trigrams, "\"élo\""),
            // a quote is a character of the phrase, not its end
            ("a\"b OR c", Trigrams, "\"a\"\"b or c\""),
            // one or two characters: SQLite's hex() of the folded UTF-8
            ("Ab", Grams, "\"6162\""),
            ("É", Grams, "\"C3A9\""),
            ("@", Grams, "\"40\""),
            ("ω\u{1F600}", Grams, "\"CF89F09F9880\""),
            // FTS5 would stop reading at a NUL: in hex it is read whole (and
            // a token of five characters is no row's window)
            ("3y\0ab", Grams, "\"3379006162\""),
            ("\0", Grams, "\"00\""),
        ] {
            let found = Matcher::of(Search(Some(search.into())).folded().as_deref());
            assert_eq!(found, Matcher::Indexed(index, phrase.into()), "{search:?}");
        }
    }

    #[test]
    fn a_page_limit_is_computed_not_a_bare_parameter() {
        let source = Source {
            columns: "x",
            from: "t",
            filter: "1",
            args: &[],
            version: None,
            walk: None,
        };
        let (sql, _) = page_statement(&source, Order::NEWEST, &Page::FIRST, "x", None);
        assert!(sql.ends_with(" limit ?1 + 0 offset ?2"), "{sql}");
    }

    #[test]
    fn cursors_round_trip_and_nothing_else_decodes() {
        let c = Cursor(
            "2026-11-30T12:00:00.000000Z".into(),
            "0b9f1c1e-8c1f-4f57-9d4e-2a3b4c5d6e7f".into(),
        );
        let text = c.encode();
        assert!(text.len() < 120, "{text}");
        assert_eq!(Cursor::decode(&text), Some(c));
        for bad in ["", "x", "!!!!", "W10", "WyJ4IiwxXQ", &"A".repeat(400)] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }
}
