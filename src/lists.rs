//! Lists: paging (`skip`, `limit`), `search`, and the `{data, count}` shape
//! every list answers (`UsersPublic`, `OrganizationsPublic`, `OrganizationMembersPublic`).

use crate::db::{Batch, DbResult, Results, Rows};
use crate::error::ApiResult;
use crate::http::input::Input;
use crate::http::Ctx;
use crate::validation::{Validator, MAX_SAFE_INTEGER};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Largest page a list returns.
pub(crate) const MAX_LIMIT: i64 = 1000;
/// The page size when the client names none.
pub(crate) const DEFAULT_LIMIT: i64 = 100;

/// `skip` (>= 0, default 0) and `limit` (0..=1000, default 100), checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) skip: i64,
    pub(crate) limit: i64,
}

impl Page {
    /// The page a list answers when the client names none.
    pub(crate) const FIRST: Page = Page {
        skip: 0,
        limit: DEFAULT_LIMIT,
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
        Ok(skip.zip(limit).map(|(skip, limit)| Page { skip, limit }))
    }
}

/// `search`, where an empty value means no filter.
#[derive(Debug, Clone, Default)]
pub(crate) struct Search(pub(crate) Option<String>);

impl Search {
    /// The search folded as names and addresses are folded for it (NFC, then
    /// Unicode lower case), to find with `instr` in a `*_key` column: a plain
    /// substring at any length, where `%` and `_` are characters like any other.
    pub(crate) fn folded(&self) -> Option<String> {
        self.0.as_deref().map(fold)
    }
}

/// Text as it is compared and searched: NFC, then Unicode lower case. The
/// `*_key` columns hold names and addresses folded with it.
pub(crate) fn fold(text: &str) -> String {
    crate::validation::email::nfc(text).to_lowercase()
}

impl Input for Search {
    fn parse(cx: &Ctx, _: &mut Validator) -> ApiResult<Option<Self>> {
        Ok(Some(Search(cx.query("search").filter(|s| !s.is_empty()))))
    }
}

/// One page and the number of all matches.
#[derive(Debug, Serialize)]
pub(crate) struct List<T> {
    pub(crate) data: Vec<T>,
    pub(crate) count: i64,
}

impl<T> List<T> {
    /// The same list with every item converted (a row into its public shape).
    pub(crate) fn map<U>(self, f: impl FnMut(T) -> U) -> List<U> {
        List {
            data: self.data.into_iter().map(f).collect(),
            count: self.count,
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct Count {
    count: i64,
}

/// The two statements of a list, in a batch: the page, and `select count(*) as count`.
pub(crate) struct ListQuery<T> {
    page: Rows<T>,
    count: Rows<Count>,
}

impl<T: DeserializeOwned> ListQuery<T> {
    /// Pushes the page query and the count query (whose one column is `count`).
    pub(crate) fn push(
        b: &mut Batch<'_>,
        page: (&str, &[crate::db::Arg<'_>]),
        count: (&str, &[crate::db::Arg<'_>]),
    ) -> DbResult<Self> {
        Ok(ListQuery {
            page: b.query(page.0, page.1)?,
            count: b.query(count.0, count.1)?,
        })
    }

    /// One page of `table`'s rows matching `filter` (SQL over `?1..?n`, bound to
    /// `args`), newest first, and the count of all of them. The page's `limit`
    /// and `skip` bind after `args`.
    pub(crate) fn newest_first(
        b: &mut Batch<'_>,
        columns: &str,
        table: &str,
        filter: &str,
        args: &[crate::db::Arg<'_>],
        page: Page,
    ) -> DbResult<Self> {
        let n = args.len();
        let mut page_args = args.to_vec();
        page_args.push(page.limit.into());
        page_args.push(page.skip.into());
        Self::push(
            b,
            (
                &format!(
                    "select {columns} from {table} where {filter} \
                     order by created_at desc, rowid desc limit ?{} offset ?{}",
                    n + 1,
                    n + 2
                ),
                &page_args,
            ),
            (
                &format!("select count(*) as count from {table} where {filter}"),
                args,
            ),
        )
    }

    pub(crate) fn read(self, r: &Results) -> DbResult<List<T>> {
        let count = r.first(self.count)?.map_or(0, |c| c.count);
        Ok(List {
            data: r.rows(self.page)?,
            count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_fold_all_of_unicode() {
        assert_eq!(
            Search(Some("ÉLODIE 50%_".into())).folded().as_deref(),
            Some("élodie 50%_")
        );
        assert_eq!(Search(None).folded(), None);
    }
}
