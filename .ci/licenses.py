#!/usr/bin/env python3
"""Licence gate: every crate in the dependency graph must be usable under a licence we accept.

Reads `cargo metadata` on stdin. An SPDX expression passes when, reading OR as "any of" and AND
as "all of", it can be satisfied with the allowed licences. (The advisory half of cargo-deny needs
the RustSec database from GitHub, which this network does not reach.)
"""
import json
import re
import sys

ALLOWED = {
    "MIT", "Apache-2.0", "Apache-2.0 WITH LLVM-exception", "BSD-2-Clause", "BSD-3-Clause",
    "ISC", "Zlib", "Unicode-3.0", "0BSD", "Unlicense", "BSL-1.0", "MPL-2.0", "PostgreSQL",
    "CDLA-Permissive-2.0", "CC0-1.0",
}


def tokens(expr):
    expr = expr.replace("/", " OR ")
    return re.findall(r"\(|\)|[A-Za-z0-9.\-+]+(?: WITH [A-Za-z0-9.\-+]+)?", expr)


def parse_or(toks):
    ok = parse_and(toks)
    while toks and toks[0] == "OR":
        toks.pop(0)
        ok = parse_and(toks) or ok
    return ok


def parse_and(toks):
    ok = parse_atom(toks)
    while toks and toks[0] == "AND":
        toks.pop(0)
        ok = parse_atom(toks) and ok
    return ok


def parse_atom(toks):
    tok = toks.pop(0)
    if tok == "(":
        ok = parse_or(toks)
        toks.pop(0)  # ")"
        return ok
    return tok in ALLOWED


def main():
    meta = json.load(sys.stdin)
    own = {m for m in meta.get("workspace_members", [])}
    bad = []
    for pkg in meta["packages"]:
        if pkg["id"] in own:
            continue
        lic = pkg.get("license")
        if not lic or not parse_or(tokens(lic)):
            bad.append(f'{pkg["name"]} {pkg["version"]}: {lic or "no licence"}')
    if bad:
        print("crates with licences outside the allow-list:", file=sys.stderr)
        for line in sorted(bad):
            print("  " + line, file=sys.stderr)
        return 1
    print(f'{len(meta["packages"]) - len(own)} crates, all licences allowed')
    return 0


if __name__ == "__main__":
    sys.exit(main())
