#!/usr/bin/env python3
"""`make backup` and `make restore`: the local D1 (what `make dev` serves, under
DEV_STATE) to a SQL file, and a SQL file into a fresh local D1.

    python3 scripts/backup.py backup  --state .wrangler/state --out backups/x.sql
    python3 scripts/backup.py restore --state /tmp/fresh-state backups/x.sql

`wrangler d1 export` refuses a database with FTS5 tables (cloudflare/workers-sdk#6305),
so the export reads the local D1's SQLite file itself (through SQLite's backup API, so a
running server is no problem) and writes, in this order:

1. `PRAGMA defer_foreign_keys = on`, then every ordinary table's `CREATE TABLE`;
2. its rows, with their `rowid` (the FTS5 indexes are external-content indexes keyed by
   the rowids of `users` and `organizations`);
3. the indexes and the views; then the FTS5 tables created empty and filled again:
   the trigram indexes (`users_search`, `organizations_search`) rebuilt from their
   content tables (`insert into x (x) values ('rebuild')`), the contentless gram indexes
   (`users_grams`, `organizations_grams`) from the views that give their text
   (`x_source`). Their shadow tables are never exported: they hold nothing the tables
   do not;
4. the triggers last, so that loading the rows fires none (no counter counted twice,
   no search row indexed twice).

`d1_migrations` is exported like any table, so the restored database knows which
migrations it has. The restore runs the file through `wrangler d1 execute --local`
into a state folder that holds no database yet."""
import argparse
import glob
import os
import re
import sqlite3
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WRANGLER = os.path.join(ROOT, "node_modules", ".bin", "wrangler")


def database_file(state):
    """The local D1's SQLite file under a `--persist-to` folder (None if there is none)."""
    found = [f for f in glob.glob(os.path.join(state, "v3", "d1", "miniflare-D1DatabaseObject", "*.sqlite"))
             if os.path.basename(f) != "metadata.sqlite"]
    if len(found) > 1:
        sys.exit(f"backup: {len(found)} databases under {state}: expected one")
    return found[0] if found else None


def literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, bytes):
        return f"X'{value.hex()}'"
    return "'" + str(value).replace("'", "''") + "'"


def fts_shadow(name, virtual):
    return any(name.startswith(v + "_") for v in virtual)


def ordered_tables(db, tables):
    """Tables in an order where each comes after the tables it references."""
    refs = {t: {row[2] for row in db.execute(f'pragma foreign_key_list("{t}")')} & set(tables) - {t}
            for t in tables}
    ordered, done = [], set()
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in done and refs[t] <= done] or \
                [t for t in tables if t not in done][:1]  # a cycle: defer_foreign_keys covers it
        for t in ready:
            ordered.append(t)
            done.add(t)
    return ordered


def dump(db):
    """The database as SQL statements, in the order the module docstring gives."""
    schema = db.execute("select type, name, tbl_name, sql from sqlite_master where sql is not null "
                        "order by rowid").fetchall()
    virtual = [name for kind, name, _, sql in schema if kind == "table" and sql.lower().startswith("create virtual")]
    tables = [name for kind, name, _, sql in schema
              if kind == "table" and name not in virtual and not fts_shadow(name, virtual)
              and not name.startswith(("sqlite_", "_cf_"))]
    sql_of = {name: sql for _, name, _, sql in schema}
    out = ["PRAGMA defer_foreign_keys = on;"]
    tables = ordered_tables(db, tables)
    out += [sql_of[t] + ";" for t in tables]
    for t in tables:
        has_rowid = "without rowid" not in sql_of[t].lower()
        columns = [row[1] for row in db.execute(f'pragma table_info("{t}")')]
        names = (["rowid"] if has_rowid else []) + columns
        select = ", ".join(f'"{c}"' if c != "rowid" else "rowid" for c in names)
        header = f'insert into "{t}" ({", ".join(names)}) values '
        for row in db.execute(f'select {select} from "{t}"'):
            out.append(header + "(" + ", ".join(literal(v) for v in row) + ");")
    out += [sql + ";" for kind, name, _, sql in schema if kind in ("index", "view")]
    for name in virtual:
        out.append(sql_of[name] + ";")
        if re.search(r"content\s*=\s*''", sql_of[name]):
            out.append(f"insert into {name} (rowid, grams) select rowid, grams from {name}_source;")
        else:
            out.append(f"insert into {name} ({name}) values ('rebuild');")
    out += [sql + ";" for kind, _, _, sql in schema if kind == "trigger"]
    return out


def backup(state, path):
    source = database_file(state)
    if source is None:
        sys.exit(f"backup: no local D1 under {state} (run `make dev` once, or set DEV_STATE)")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    db = sqlite3.connect(":memory:")
    src.backup(db)
    src.close()
    statements = dump(db)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(statements) + "\n")
    rows = sum(1 for s in statements if s.startswith("insert into \""))
    print(f"backup: {path}: {rows} rows from {source}")


def restore(state, path):
    if database_file(state) is not None:
        sys.exit(f"restore: {state} holds a database already: restore into a fresh folder "
                 "(move the old one aside, or set DEV_STATE to a new folder)")
    subprocess.run([WRANGLER, "d1", "execute", "DB", "--local", "--persist-to", state, "--file", path, "--yes"],
                   cwd=ROOT, check=True, env={**os.environ, "CI": "true"}, stdout=subprocess.DEVNULL)
    print(f"restore: {path} loaded into {database_file(state)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("backup")
    b.add_argument("--state", required=True)
    b.add_argument("--out", required=True)
    r = sub.add_parser("restore")
    r.add_argument("--state", required=True)
    r.add_argument("file")
    args = parser.parse_args()
    if args.command == "backup":
        backup(args.state, args.out)
    else:
        restore(args.state, args.file)


if __name__ == "__main__":
    main()
