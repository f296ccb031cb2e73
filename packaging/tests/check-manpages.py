#!/usr/bin/env python3
"""Keep the man pages honest.

layerbox.1 must document every command and option that the layerbox binary has:
  - every command path of `layerbox --help-all` has a subsection whose heading is its usage
    line (the path and the synopsis, as --help-all prints them), followed by a description;
  - every option of `layerbox PATH --help` appears in that subsection as an item spelled as
    --help spells it ("-p, --profile NAME|FILE"), followed by a description.
layerbox-profile.5 must document every field of `layerbox profile fields`: an item headed by
the field's JSON pointer, giving its type and, when it has one, its default, as that command
prints them, followed by a description.
Every page must format without warnings (groff -ww, man -l) and have a NAME section that
lexgrog (the whatis/apropos indexer) can read.

Usage: check-manpages.py LAYERBOX MAN_DIR  (MAN_DIR holds layerbox.1, layerbox-profile.5, ...)
"""

import os
import re
import subprocess
import sys

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def render(page):
    """The page as plain text: wide lines, no hyphenation, no bold/underline overstrikes; all
    headings (.SH, .SS) at column 0 and the text at column 1 (-rIN=1n), so that every .TP tag
    is wider than the item indent and sits alone on its line, the description below it."""
    r = run(["groff", "-t", "-man", "-Tascii", "-P-cbou", "-rLL=250n", "-rHY=0", "-rIN=1n",
             "-rSN=0n", page],
            env=dict(os.environ, LC_ALL="C"))
    if r.returncode != 0:
        fail(f"groff cannot format {page}: {r.stderr.strip()}")
    return r.stdout.splitlines()


def norm(s):
    return " ".join(s.split())


def lint(page):
    name = os.path.basename(page)
    r = run(["groff", "-ww", "-z", "-t", "-man", page], env=dict(os.environ, LC_ALL="C.UTF-8"))
    if r.returncode != 0 or r.stderr.strip():
        fail(f"{name}: groff -ww warns:\n{r.stderr}")
    r = run(["man", "--warnings=w", "-l", page],
            env=dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat", LC_ALL="C.UTF-8"))
    if r.returncode != 0 or r.stderr.strip():
        fail(f"{name}: man -l warns:\n{r.stderr}")
    r = run(["lexgrog", page])
    if r.returncode != 0 or "parse failed" in r.stdout:
        fail(f"{name}: lexgrog cannot read its NAME section: {r.stdout}{r.stderr}")
    print(f"ok: {name} formats without warnings; whatis: {r.stdout.strip()}")


def sections(lines):
    """Split rendered text into (heading, body lines); headings are at column 0."""
    out, head, body = [], None, []
    for line in lines:
        if re.match(r"^\S", line):
            if head is not None:
                out.append((head, body))
            head, body = norm(line), []
        elif head is not None:
            body.append(line)
    if head is not None:
        out.append((head, body))
    return out


def indent(line):
    return len(line) - len(line.lstrip(" "))


def described_items(body):
    """Items of a .TP list at the base indent: {tag: description}, the description being the
    more indented lines below the tag."""
    items = {}
    for i, line in enumerate(body):
        if indent(line) != 1 or not line.lstrip().startswith(("-", "/")):
            continue
        desc = []
        for nxt in body[i + 1 :]:
            if nxt.strip() and indent(nxt) <= 1:
                break
            desc.append(nxt.strip())
        items[norm(line)] = norm(" ".join(desc))
    return items


def check_commands(layerbox, page):
    r = run([layerbox, "--help-all"])
    if r.returncode != 0:
        fail(f"layerbox --help-all failed: {r.stderr}")
        return
    commands = []  # (path, usage, long options)
    for line in r.stdout.splitlines():
        if line.startswith("layerbox"):
            words = line.split()
            path = []
            for w in words[1:]:
                if not re.fullmatch(r"[a-z][a-z0-9-]*", w):
                    break
                path.append(w)
            commands.append((path, norm(line), []))
        elif line.startswith("  --"):
            commands[-1][2].append(line.strip())

    text = render(page)
    secs = sections(text)
    by_head = {h: b for h, b in secs}
    heads = [h for h, _ in secs]
    n_opts = 0
    for path, usage, longs in commands:
        if not path:
            continue  # the root: its options are in OPTIONS
        groups = [p for p, _, _ in commands if p[: len(path)] == path and len(p) > len(path)]
        if groups:
            # a command group (layer, profile): documented through its subcommands
            continue
        if usage not in by_head:
            close = [h for h in heads if h.startswith("layerbox " + " ".join(path))]
            fail(f"layerbox.1: no subsection headed {usage!r}" + (f" (found {close})" if close else ""))
            continue
        body = by_head[usage]
        prose = [l for l in body if l.strip() and not l.lstrip().startswith("-")]
        if not prose:
            fail(f"layerbox.1: {usage!r} has no description")
        # every option, spelled as --help spells it
        h = run([layerbox, *path, "--help"])
        labels = {}
        in_opts = False
        for line in h.stdout.splitlines():
            if line.startswith("Options:"):
                in_opts = True
                continue
            if in_opts:
                m = re.match(r"^\s+(-\w, )?(--[a-z0-9-]+)( \S+)?", line)
                if m and m.group(2) != "--help":
                    labels[m.group(2)] = norm(m.group(0))
        if sorted(labels) != sorted(longs):
            fail(f"{usage}: --help lists {sorted(labels)}, --help-all {sorted(longs)}")
        items = described_items(body)
        for opt, label in labels.items():
            n_opts += 1
            if label not in items:
                near = [t for t in items if opt in t.split()]
                fail(f"layerbox.1: {usage!r}: no item {label!r}" + (f" (found {near})" if near else ""))
            elif not items[label]:
                fail(f"layerbox.1: {usage!r}: {label!r} has no description")
        for tag in items:
            m = re.search(r"--[a-z0-9-]+", tag)
            if m and m.group(0) not in labels:
                fail(f"layerbox.1: {usage!r} documents {tag!r}, which layerbox does not have")
    # sections every page needs
    for s in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "EXIT STATUS", "ENVIRONMENT",
              "FILES", "EXAMPLES", "SEE ALSO"]:
        if s not in heads:
            fail(f"layerbox.1: no {s} section")
    cmds = [c for c in commands if c[0]]
    print(f"ok: layerbox.1 checked against {len(cmds)} command lines and {n_opts} options")


def check_fields(layerbox, page):
    r = run([layerbox, "profile", "fields"])
    if r.returncode != 0:
        fail(f"layerbox profile fields failed: {r.stderr}")
        return
    fields = [line.split("\t") for line in r.stdout.splitlines() if line.strip()]
    text = render(page)
    secs = sections(text)
    heads = [h for h, _ in secs]
    items = {}
    for h, body in secs:
        if h == "FIELDS" or (heads.index(h) > heads.index("FIELDS") and h.upper() != h):
            items.update(described_items(body))
    for ptr, typ, default, _desc in fields:
        if ptr not in items:
            fail(f"layerbox-profile.5: no item for {ptr}")
            continue
        d = items[ptr]
        if f"Type: {typ}." not in d:
            fail(f"layerbox-profile.5: {ptr}: expected 'Type: {typ}.' in {d[:120]!r}")
        if default and f"Default: {norm(default)}" not in d:
            fail(f"layerbox-profile.5: {ptr}: expected 'Default: {default}' in {d[:160]!r}")
        rest = d.split(".", 2)[-1] if "Default:" in d else d
        if len(rest.strip()) < 10:
            fail(f"layerbox-profile.5: {ptr}: no description")
    documented = {t for t in items if t.startswith("/")}
    for extra in sorted(documented - {f[0] for f in fields}):
        fail(f"layerbox-profile.5: documents {extra}, which is not a profile field")
    for s in ["NAME", "SYNOPSIS", "DESCRIPTION", "FIELDS", "FILES", "ENVIRONMENT", "EXAMPLES", "SEE ALSO"]:
        if s not in heads:
            fail(f"layerbox-profile.5: no {s} section")
    print(f"ok: layerbox-profile.5 checked against {len(fields)} fields")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    layerbox, man_dir = sys.argv[1], sys.argv[2]
    pages = sorted(os.path.join(man_dir, p) for p in os.listdir(man_dir) if re.search(r"\.[0-9]$", p))
    for p in pages:
        lint(p)
    check_commands(layerbox, os.path.join(man_dir, "layerbox.1"))
    check_fields(layerbox, os.path.join(man_dir, "layerbox-profile.5"))
    if failures:
        print(f"{len(failures)} problem(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
