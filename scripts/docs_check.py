#!/usr/bin/env python3
"""`make lint`'s check of README.md and docs/: the README stays a front door (150 lines
at most), every page it indexes exists, every file or folder a page names in backticks
exists, and every setting it names (an UPPER_CASE name in backticks) is read by the worker
or a script, or set in wrangler.toml (a constant of the source counts too). Prints each problem; exits 1 if there is one."""
import pathlib, re, sys

root = pathlib.Path(__file__).resolve().parent.parent
pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
problems = []
readme = (root / "README.md").read_text()
if len(readme.splitlines()) > 150:
    problems.append(f"README.md has {len(readme.splitlines())} lines: 150 at most")
for page in ["configuration", "api", "architecture", "testing", "operations"]:
    if not (root / "docs" / f"{page}.md").exists():
        problems.append(f"docs/{page}.md is missing")
source = "\n".join(p.read_text() for p in (root / "src").rglob("*.rs"))
source += (root / "wrangler.toml").read_text() + (root / ".dev.vars.example").read_text()
source += "\n".join(p.read_text() for p in (root / "scripts").rglob("*")
                    if p.is_file() and "__pycache__" not in p.parts)
# Names that are not settings of this worker: the shell's, SQL's, HTTP's.
not_settings = {"ACCOUNT_ID", "DATABASE_ID", "API_TOKEN", "TOKEN", "API", "GET", "POST", "PUT",
                "PATCH", "DELETE", "HEAD", "LIMIT", "SCAN", "JSON", "HTML", "TLS", "FTS5", "NFC"}
path_prefixes = ("src/", "tests/", "scripts/", "migrations/", "bench/", "web/", "docs/", ".ci/")
for page in pages:
    text = page.read_text()
    name = page.relative_to(root)
    for token in re.findall(r"`([^`\n]+)`", text):
        if token.startswith(path_prefixes) and not any(c in token for c in "<>{}*$ "):
            if not (root / token.rstrip("/")).exists():
                problems.append(f"{name}: `{token}` does not exist")
        elif re.fullmatch(r"[A-Z][A-Z0-9_]{3,}", token) and token not in not_settings:
            said = (f'"{token}"', f"{token} =", f"{token}=", f"const {token}:", f"{{{token}")
            if not any(form in source for form in said):
                problems.append(f"{name}: setting `{token}` is read nowhere")
for p in problems:
    print(f"docs: {p}")
print(f"docs: {len(pages)} pages checked, {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
