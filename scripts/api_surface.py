#!/usr/bin/env python3
"""Counts the public API items reachable from a crate's root, from rustdoc's JSON output.

Usage: scripts/api-surface.sh [crate]   (default divex-core; builds the JSON, then runs this)
       scripts/api_surface.py target/doc/divex_core.json [--list] [--max N]

`--max N` fails (exit 1) when more than N items are reachable: the CI guard against regrowth.

An item counts when a user of the crate can name it: a module, struct, enum, union, trait,
function, constant, static, type alias or macro reachable from the crate root through public
modules and `pub use` re-exports, plus every public associated function, constant and type of
the inherent impls of the reachable types. Struct fields, enum variants and trait-impl methods
are not counted (they are declared by their parent, not with their own `pub`). Items marked
`#[doc(hidden)]` (and everything under them) are not part of the documented API and are not
counted; `--hidden` reports them separately.
"""

import json
import sys

KINDS = {
    "module",
    "struct",
    "enum",
    "union",
    "trait",
    "function",
    "constant",
    "static",
    "type_alias",
    "macro",
    "proc_macro",
}


def is_hidden(item):
    attrs = item.get("attrs") or []
    for a in attrs:
        text = a if isinstance(a, str) else json.dumps(a)
        if "doc(hidden)" in text.replace(" ", "") or "hidden" in text and "doc" in text:
            return True
    return False


def kind_of(item):
    inner = item.get("inner") or {}
    if isinstance(inner, dict) and inner:
        return next(iter(inner))
    return None


def main():
    path = sys.argv[1]
    listing = "--list" in sys.argv
    budget = None
    if "--max" in sys.argv:
        budget = int(sys.argv[sys.argv.index("--max") + 1])
    with open(path) as f:
        doc = json.load(f)
    index = doc["index"]
    paths = doc.get("paths", {})
    root = str(doc["root"])
    seen = set()
    counted = []

    def name_of(i, fallback):
        p = paths.get(str(i))
        if p:
            return "::".join(p["path"])
        return fallback

    def visit(item_id, prefix):
        item_id = str(item_id)
        if item_id in seen or item_id not in index:
            return
        seen.add(item_id)
        item = index[item_id]
        if is_hidden(item):
            return
        k = kind_of(item)
        inner = item["inner"][k] if k else None
        name = item.get("name") or ""
        here = f"{prefix}::{name}" if name else prefix
        if k == "use":
            target = inner.get("id")
            if target is None:
                return
            if inner.get("is_glob"):
                t = index.get(str(target))
                if t and kind_of(t) == "module":
                    for child in t["inner"]["module"]["items"]:
                        visit(child, prefix)
                return
            visit(target, prefix)
            return
        if k in KINDS:
            counted.append((k, name_of(item_id, here)))
        if k == "module":
            for child in inner["items"]:
                visit(child, here)
        if k in ("struct", "enum", "union"):
            for impl_id in inner.get("impls", []):
                impl = index.get(str(impl_id))
                if not impl:
                    continue
                imp = impl["inner"]["impl"]
                if imp.get("trait") is not None or imp.get("is_synthetic") or imp.get(
                    "blanket_impl"
                ):
                    continue
                for assoc in imp["items"]:
                    a = index.get(str(assoc))
                    if not a or a.get("visibility") != "public" or is_hidden(a):
                        continue
                    ak = kind_of(a)
                    if ak in ("function", "assoc_const", "assoc_type", "constant"):
                        counted.append((ak, f"{name_of(item_id, here)}::{a.get('name')}"))

    visit(root, doc["index"][root].get("name", "crate"))
    if listing:
        for k, n in sorted(counted, key=lambda x: x[1]):
            print(f"{k:12} {n}")
    by_kind = {}
    for k, _ in counted:
        by_kind[k] = by_kind.get(k, 0) + 1
    summary = ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items()))
    print(f"public items reachable from the root: {len(counted)} ({summary})")
    if budget is not None and len(counted) > budget:
        print(
            f"error: {len(counted)} public items exceed the budget of {budget}; make the new "
            "items private, move test hooks to `testing`, or raise the budget deliberately "
            "(scripts/test-all.sh) and say why in CHANGELOG.md",
            file=sys.stderr,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
