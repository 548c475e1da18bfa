#!/usr/bin/env python3
"""`make lint`: the crate's files import each other without a circle. Reads every
`crate::` and `super::` path in src/ (outside tests and comments), resolves it to
the file (module) it names, and fails on any strongly connected group of files.
Also prints the imports that run up a layer (docs/architecture.md lists them,
with why), so a new one shows in the log."""
import collections
import os
import re
import sys

LAYERS = {"app": 5, "access": 3}
for feature in ["auth", "users", "account", "organizations", "memberships", "resource_migration",
                "utils", "openapi", "invitations", "sessions", "uploads", "api_keys", "mfa", "audit", "webhooks"]:
    LAYERS[feature] = 4
for lower in ["http", "lists", "rate_limits", "email", "identity", "events", "queues"]:
    LAYERS[lower] = 2
for bottom in ["db", "validation", "config", "keyring", "cors", "clock", "ids", "resources",
               "secrets", "error", "messages"]:
    LAYERS[bottom] = 1


def module_of(path):
    parts = path[len("src/"):-len(".rs")].split("/")
    return "::".join(parts[:-1] if parts[-1] == "mod" else parts)


def main():
    files = {}
    for root, _, names in os.walk("src"):
        for name in names:
            if name.endswith(".rs"):
                path = os.path.join(root, name)
                files[module_of(path)] = (path, open(path).read())
    modules = set(files)

    def resolve(path):
        parts = [p for p in path.split("::") if p and p != "self"]
        for i in range(len(parts), 0, -1):
            if "::".join(parts[:i]) in modules:
                return "::".join(parts[:i])
        return None

    edges = collections.defaultdict(set)
    for module, (path, text) in files.items():
        code = text.split("#[cfg(test)]")[0]
        code = "\n".join(l for l in code.split("\n") if not l.strip().startswith("//"))
        parent = module if path.endswith("mod.rs") else module.rpartition("::")[0]
        found = []
        for m in re.finditer(r"crate::([a-z_:]+)(::\{([^}]*)\})?", code):
            base, group = m.group(1).strip(":"), m.group(3)
            if group is None:
                found.append(base)
            else:
                found += [f"{base}::{item.strip().split(' as ')[0]}" for item in group.split(",") if item.strip()]
        # `super::name` (a module or an item of the parent) and `super::{...}`.
        for m in re.finditer(r"super::(\{[^}]*\}|[A-Za-z_]+)", code):
            names = m.group(1).strip("{}").split(",")
            for name in (n.strip().split("::")[0].split(" as ")[0] for n in names):
                if name:
                    found.append(f"{parent}::{name}" if parent else name)
        for name in found:
            target = resolve(name)
            if target and target != module:
                edges[module].add(target)

    # Tarjan's strongly connected components.
    index, low, stack, on, groups, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(modules):
        if v not in index:
            visit(v)
    up = sorted((a, b) for a, bs in edges.items() for b in bs
                if a.split("::")[0] != b.split("::")[0]
                and LAYERS.get(b.split("::")[0], 0) > LAYERS.get(a.split("::")[0], 0))
    print(f"imports: {len(modules)} files, {len(groups)} circle(s), {len(up)} import(s) up a layer"
          + "".join(f"\n  up: {a} -> {b}" for a, b in up))
    for group in groups:
        print("  circle: " + " <-> ".join(group), file=sys.stderr)
    return 1 if groups else 0


if __name__ == "__main__":
    sys.exit(main())
