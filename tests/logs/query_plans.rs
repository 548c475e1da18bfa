//! Every statement the service issues, explained against the migrated schema
//! with the values it was bound to: none walks a table that grows with its
//! users, except where [`ALLOWED`] says why.
//!
//! The HTTP tests' shared worker runs with `SQL_TRACE=on`, which logs each
//! statement and its bindings. Those tests reach every operation (the
//! round-trip tests cover each route), every kind of search and page
//! (`lists.rs`) and the scheduled run; once they have all ended, this test
//! explains every distinct statement of the log through a worker on the same
//! migrated schema.

use crate::{api_test_log, explainer};
use serde_json::Value;
use std::collections::BTreeMap;

/// Statements that may walk a whole table or index, each with the reason.
const ALLOWED: &[(&str, &str)] = &[];

/// Why a plan row is a problem, if it is: a `SCAN` of a table (not an FTS5
/// index, a subquery, a constant row or a table of one of the statement's
/// `WITH`s, the outer query's or a subquery's,
/// whose rows the plan's `MATERIALIZE` part reads and is checked for), unless it walks an index in order
/// under a LIMIT of its own query (a page: it stops after the page). `nested`:
/// the row is under a subquery of the plan; its own query is then one of the
/// statement's parenthesized `select`s, else the statement's outer one.
fn problem(sql: &str, detail: &str, nested: bool) -> Option<String> {
    let rest = detail.strip_prefix("SCAN ")?;
    let name = rest.split(' ').next().unwrap_or("");
    if name.starts_with('(') || name == "CONSTANT" || rest.contains("VIRTUAL TABLE") {
        return None;
    }
    let (outer, inner) = query_levels(sql);
    if std::iter::once(&outer)
        .chain(&inner)
        .any(|q| with_tables(q).contains(&name))
    {
        return None;
    }
    let in_order = rest.contains("USING INDEX") || rest.contains("USING COVERING INDEX");
    let limited = if nested {
        inner.iter().any(|q| q.contains(" limit "))
    } else {
        outer.contains(" limit ")
    };
    if in_order && limited {
        return None;
    }
    Some(detail.to_string())
}

/// The names of the tables a query's `WITH` defines, from its own text
/// ([`query_levels`]: `with c as , k as materialized  select ...`).
fn with_tables(query: &str) -> Vec<&str> {
    let Some(ctes) = query.trim_start().strip_prefix("with ") else {
        return Vec::new();
    };
    let ctes = ctes.split(" select ").next().unwrap_or("");
    ctes.split(',')
        .filter_map(|cte| cte.split_whitespace().next())
        .collect()
}

/// The statement's outer query (its text outside every parenthesis) and each
/// parenthesized query's own text (a `select`, or a `with` and its `select`;
/// outside the parentheses nested in it), lower case.
fn query_levels(sql: &str) -> (String, Vec<String>) {
    let sql = sql.to_lowercase();
    let mut stack: Vec<String> = vec![String::new()];
    let mut done = Vec::new();
    for c in sql.chars() {
        match c {
            '(' => stack.push(String::new()),
            ')' if stack.len() > 1 => done.push(stack.pop().unwrap_or_default()),
            _ => stack.last_mut().unwrap().push(c),
        }
    }
    let outer = stack.swap_remove(0);
    let selects = done
        .into_iter()
        .filter(|q| {
            let q = q.trim_start();
            q.starts_with("select") || q.starts_with("with")
        })
        .collect();
    (outer, selects)
}

/// Plan rows with whether each is under a subquery of the plan (a row whose
/// ancestor says `SUBQUERY`, `CO-ROUTINE` or `MATERIALIZE`).
fn nested_rows(rows: &[Value]) -> Vec<(&str, bool)> {
    fn detail(r: &Value) -> &str {
        r["detail"].as_str().unwrap_or("")
    }
    let parent_of = |id: i64| rows.iter().find(|r| r["id"].as_i64() == Some(id));
    rows.iter()
        .map(|row| {
            let mut nested = false;
            let mut at = row["parent"].as_i64().and_then(parent_of);
            while let Some(up) = at {
                let d = detail(up);
                nested |= d.contains("SUBQUERY")
                    || d.starts_with("CO-ROUTINE")
                    || d.starts_with("MATERIALIZE");
                at = up["parent"]
                    .as_i64()
                    .filter(|p| *p != 0)
                    .and_then(parent_of);
            }
            (detail(row), nested)
        })
        .collect()
}

#[test]
fn the_problem_rule_tells_walks_from_lookups() {
    let page = "select a from users order by created_at desc limit ?1";
    assert_eq!(
        problem(page, "SCAN users USING INDEX users_created", false),
        None
    );
    assert_eq!(
        problem(page, "SEARCH users USING INDEX x (a=?)", false),
        None
    );
    assert_eq!(
        problem(page, "SCAN users_search VIRTUAL TABLE INDEX 0:M2", false),
        None
    );
    assert_eq!(problem(page, "SCAN CONSTANT ROW", false), None);
    let with =
        "with k(same) as materialized (select 1) select a from users where (select same from k)";
    assert_eq!(problem(with, "SCAN k", true), None);
    // any table of the WITH, not only its first; a table named in a subquery's
    // text is no table of the statement's WITH
    let two = "with c(n) as (select 1), k as materialized (select 2) select a from users where (select n from c)";
    assert_eq!(problem(two, "SCAN c", true), None);
    assert_eq!(problem(two, "SCAN k", true), None);
    assert!(problem(two, "SCAN users", false).is_some());
    // a WITH of a subquery (a list read beside the caller's row)
    let beside =
        "select * from (with c(n) as (select 1) select a from users where (select n from c)) \
                  cross join (select b from sessions)";
    assert_eq!(problem(beside, "SCAN c", true), None);
    assert!(problem(beside, "SCAN sessions", true).is_some());
    assert!(problem(
        "select a from users where b in (select 1 as k)",
        "SCAN k",
        true
    )
    .is_some());
    assert!(problem(with, "SCAN users", false).is_some());
    assert!(problem(page, "SCAN users", false).is_some());
    let count = "select count(*) from users";
    assert!(problem(count, "SCAN users USING COVERING INDEX x", false).is_some());
    // A LIMIT excuses a walk of its own query only: not one in a subquery
    // beside it, nor the outer one for a subquery's walk.
    let paged_with_count = "select a, (select count(*) from users) from orgs order by b limit 10";
    assert_eq!(
        problem(paged_with_count, "SCAN orgs USING INDEX o_b", false),
        None
    );
    assert!(problem(paged_with_count, "SCAN users USING COVERING INDEX x", true).is_some());
    let limited_inside = "select count(*) from (select id from users order by c limit 10)";
    assert_eq!(
        problem(limited_inside, "SCAN users USING INDEX u_c", true),
        None
    );
    assert!(problem(limited_inside, "SCAN users USING INDEX u_c", false).is_some());
}

/// Every distinct statement the worker has logged, with the first bindings
/// seen. A trace line that does not parse fails the test (a statement it
/// skipped would go unexplained); only the log's last line, if the worker is
/// still writing it (no newline yet), is left for later.
fn traced_statements() -> BTreeMap<String, Value> {
    let log = api_test_log();
    let mut out = BTreeMap::new();
    for line in log.split_inclusive('\n') {
        let Some(json) = line.split_once("sql-trace ").map(|(_, j)| j) else {
            continue;
        };
        if !json.ends_with('\n') {
            continue; // still being written
        }
        let statement = serde_json::from_str::<Value>(json.trim_end())
            .unwrap_or_else(|e| panic!("a trace line that does not parse ({e}): {line}"));
        let sql = statement["sql"].as_str().unwrap().to_string();
        out.entry(sql).or_insert(statement);
    }
    out
}

#[test]
fn every_statement_the_service_issues_uses_an_index() {
    let statements = traced_statements();
    assert!(
        statements.len() > 50,
        "too few statements traced: {}",
        statements.len()
    );
    let list: Vec<Value> = statements.values().cloned().collect();
    let plans = explainer().explain(&list);
    let mut problems = Vec::new();
    for (statement, plan) in list.iter().zip(&plans) {
        let sql = statement["sql"].as_str().unwrap();
        if ALLOWED.iter().any(|(part, _)| sql.contains(part)) {
            continue;
        }
        let rows = plan
            .as_array()
            .unwrap_or_else(|| panic!("no plan for {sql}: {plan}"));
        for (detail, nested) in nested_rows(rows) {
            if let Some(p) = problem(sql, detail, nested) {
                problems.push(format!(
                    "{p}\n    in: {sql}\n    with: {}",
                    statement["args"]
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} statements walk a table:\n{}",
        problems.len(),
        list.len(),
        problems.join("\n")
    );
}
