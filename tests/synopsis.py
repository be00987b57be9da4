#!/usr/bin/env python3
"""Print each function prototype of acore.h, or of libacore(3)'s SYNOPSIS,
one per line as `name(args) -> type`, spacing normalised, so the two can be
compared.

usage: synopsis.py header FILE | synopsis.py man FILE
"""
import re
import shlex
import sys


def norm(s):
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"\s*\*\s*", " *", s)
    s = re.sub(r"\(\s+", "(", s)
    s = re.sub(r"\s+\)", ")", s)
    return s.replace(" *)", "*)").replace("( *", "(*")


def header(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"^#(?:.*\\\n)*.*$", "", text, flags=re.M)
    text = re.sub(r"__attribute__\s*\(\(.*?\)\)", "", text)
    seen = set()
    for m in re.finditer(r"\b(acore_[a-z_]+)\s*\(", text):
        start = max(text.rfind(c, 0, m.start()) for c in ";{}")
        rtype = text[start + 1:m.start()]
        # Hook members, typedef-like tables and externs are no functions.
        if not rtype.strip() or "(" in rtype or "extern" in rtype:
            continue
        depth, j = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            j += 1
        name = m.group(1)
        if name in seen:
            continue
        seen.add(name)
        yield "%s -> %s" % (norm("%s(%s)" % (name, text[m.end():j - 1])),
                            norm(rtype))


def man(text):
    syn = text[text.index(".Sh SYNOPSIS"):text.index(".Sh DESCRIPTION")]
    ftype = None
    for line in syn.splitlines():
        if line.startswith(".Ft "):
            ftype = line[4:]
        elif line.startswith(".Fn "):
            words = shlex.split(line[4:])
            yield "%s -> %s" % (norm("%s(%s)" % (words[0],
                                ", ".join(words[1:]))), norm(ftype or ""))
            ftype = None


def main():
    kind, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        text = f.read()
    for proto in (header if kind == "header" else man)(text):
        print(proto)


main()
