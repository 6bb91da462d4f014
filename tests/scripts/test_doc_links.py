#!/usr/bin/env python3
"""test_doc_links.py - every relative link and image in README.md and
docs/**/*.md names a file or directory that exists.

Links to the web (http:, https:, mailto:) and to anchors of the same page
are not checked; code (fenced blocks and `inline spans`) is not markdown and
is skipped. Run by ctest (tests/scripts/CMakeLists.txt), label `script`:
    python3 test_doc_links.py [unittest options]
"""
import glob
import os
import re
import tempfile
import unittest

ROOT = os.environ.get("TF_SOURCE_DIR") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))

# [text](target "title") and ![alt](target); the text may hold one level of
# brackets (an image inside a link: [![alt](img)](target)).
INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
HTML = re.compile(r"<(?:img|a)\b[^>]*?\b(?:src|href)\s*=\s*\"([^\"]+)\"", re.I)
FENCE = re.compile(r"^\s{0,3}(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")


def links(text):
    """(line number, target) of each link outside code."""
    out, fence = [], None
    for n, line in enumerate(text.splitlines(), 1):
        m = FENCE.match(line)
        if m:
            if fence is None:
                fence = m.group(1)
            elif m.group(1) == fence:
                fence = None
            continue
        if fence is not None:
            continue
        line = CODE_SPAN.sub("", line)
        for rx in (INLINE, HTML):
            out += [(n, m.group(1)) for m in rx.finditer(line)]
        m = REFERENCE.match(line)
        if m:
            out.append((n, m.group(1)))
    return out


def broken(path):
    """'FILE:LINE: target' for each relative link of path that names nothing."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    bad = []
    for n, target in links(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            continue
        rel = target.split("#", 1)[0].split("?", 1)[0]
        if not rel:
            continue
        base = ROOT if rel.startswith("/") else os.path.dirname(path)
        if not os.path.exists(os.path.normpath(os.path.join(base, rel.lstrip("/")))):
            bad.append(f"{os.path.relpath(path, ROOT)}:{n}: {target}")
    return bad


def pages():
    return [os.path.join(ROOT, "README.md")] + sorted(
        glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True))


class DocLinks(unittest.TestCase):
    def test_every_relative_link_resolves(self):
        bad = [b for p in pages() for b in broken(p)]
        self.assertEqual(bad, [], "links to files that do not exist:\n" + "\n".join(bad))

    def test_the_checker_finds_a_broken_link(self):
        # The check itself: a page with a good and a bad link of each kind.
        with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, "docs")) as d:
            open(os.path.join(d, "there.png"), "wb").close()
            page = os.path.join(d, "p.md")
            with open(page, "w") as f:
                f.write("![ok](there.png) [ok](there.png#x) [web](https://example.org/x.png)\n"
                        "![bad](missing.png)\n"
                        "[![alt](there.png)](gone.md)\n"
                        "`[not a link](nowhere.md)`\n"
                        "```\n[in code](nowhere.md)\n```\n"
                        "[ref]: ../nothing-here.md\n"
                        '<img src="absent.svg" width="50%">\n'
                        "[anchor](#section) [up](../BENCHMARKS.md)\n")
            bad = [b.rsplit(": ", 1)[1] for b in broken(page)]
            self.assertEqual(bad, ["missing.png", "gone.md", "../nothing-here.md",
                                   "absent.svg"])


if __name__ == "__main__":
    unittest.main()
