#!/usr/bin/env python3
"""`make lint`'s check that no handler skips its caller checks: a handler that
takes a `Gate<A>` gets the token checked but not the caller (A3-A4, S1) nor the
level's rule, which run only when the gate is opened. A gate bound as `_`,
`_gate` or never used again compiles, so this reads every function in `src/`
that takes one and fails unless its body uses the gate (opens it, or hands it
to a function that does). It also fails on a `forbidden(` in a routes.rs: the
permission rules are named checks in `access`; and on an error message spelled
inline instead of named as a constant; and on a `limit ?n` whose bound value
SQLite would compile the statement again for (see `crate::db`). Prints each
problem; exits 1 if there is one."""
import pathlib, re, sys

root = pathlib.Path(__file__).resolve().parent.parent
problems, checked = [], 0
fn_start = re.compile(r"\bfn\s+(\w+)")
for path in sorted((root / "src").rglob("*.rs")):
    text = path.read_text()
    for m in fn_start.finditer(text):
        # the parameter list (after any generics): up to the matching parenthesis
        depth, i = 1, text.index("(", m.end()) + 1
        while depth and i < len(text):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        params = text[m.end():i - 1]
        gate = re.search(r"(\w+)\s*:\s*Gate<", params)
        if not gate:
            continue
        checked += 1
        body_start = text.index("{", i)
        depth, j = 1, body_start + 1
        while depth and j < len(text):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        body = text[body_start:j]
        name, where = gate.group(1), f"{path.relative_to(root)}: fn {m.group(1)}"
        if name.startswith("_"):
            problems.append(f"{where} binds its gate as `{name}`: the caller is never checked")
        elif not re.search(rf"\b{name}\b", body):
            problems.append(f"{where} never uses `{name}`: the caller is never checked")
# Every permission rule lives in `access` (named checks such as `may_update`,
# `settle_guarded`): a handler never refuses with a 403 of its own.
for path in sorted((root / "src").glob("*/routes.rs")):
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if "forbidden(" in line:
            problems.append(f"{path.relative_to(root)}:{n} refuses with a 403 itself: "
                            "the rule belongs in access")
# Error messages are constants (`crate::messages` when features share one, else
# the feature's own): a refusal never spells its message inline, so the OpenAPI
# document and the tests can name each one.
literal = re.compile(r'(ApiError::(bad_request|not_found|forbidden|conflict)\(\s*|detail:\s*)"', re.S)
for path in sorted((root / "src").rglob("*.rs")):
    code = path.read_text().split("#[cfg(test)]")[0]
    for m in literal.finditer(code):
        n = code[:m.start()].count("\n") + 1
        problems.append(f"{path.relative_to(root)}:{n} spells an error message inline: make it a constant")
# A LIMIT of a bound value is an expression (`?n + 0`): SQLite compiles a
# statement twice on every run for a bare `limit ?n` (`crate::db`).
bare_limit = re.compile(r"\blimit\s+\?\d+(?!\s*\+\s*0)", re.I)
for path in sorted((root / "src").rglob("*.rs")):
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if bare_limit.search(line):
            problems.append(f"{path.relative_to(root)}:{n} has a bare `limit ?n`: write `limit ?n + 0`")
for p in problems:
    print(f"gates: {p}")
print(f"gates: {checked} handlers with a gate checked, {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
