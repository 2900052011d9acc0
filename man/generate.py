#!/usr/bin/env python3
"""Builds ipckit's man pages: hand-written prose (man/*.scd) + generated SYNOPSIS and OPTIONS.

Usage: generate.py --ipckit BUILD/tools/ipckit --source man --include include --out DIR

Every page man/NAME.SECTION.scd may hold these lines, which are replaced:
  @SYNOPSIS@  the synopsis of every command of the page's family, from the CLI definitions
  @OPTIONS@   every option and argument of every command of the family, with its help line
  @COMMANDS@  (ipckit.1) the top-level commands and what each does
  @HEADERS@   (ipckit.3) the public headers, each with the first line of its comment
The CLI definitions come from `ipckit completion describe` (the CLI11 tree); the util-linux
drop-ins (ipckit-ipcs and the others) parse their own options, so theirs come from their
`--help`. A new option therefore cannot be missing from its page: tests/cli/man_pages.sh
checks every option `--help` prints against the rendered page. Then scdoc(1) makes troff.
"""

import argparse
import json
import pathlib
import re
import subprocess
import sys

DROP_INS = ("ipcs", "ipcmk", "ipcrm", "lsipc")


def esc(text):
    """scdoc text: *, _ and a leading special character lose their meaning."""
    text = text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")
    return text


def usage_of(path, app):
    """`*ipckit chan send* [_options_] _NAME_ [_FILE_]` for one command."""
    words = []
    has_options = False
    for o in app["options"]:
        if o["positional"]:
            name = "_" + esc(o["names"][0]) + "_"
            words.append(name if o["required"] else "[" + name + "]")
        elif o["names"] != ["-h", "--help"]:
            has_options = True
    if app["subcommands"]:
        words.append("_COMMAND_")
    return "*" + esc(" ".join(path)) + "*" + (" [_options_]" if has_options else "") + (
        " " + " ".join(words) if words else "")


def walk(path, app):
    """(path, app) for `app` and every subcommand below it, depth first."""
    yield path, app
    for sub in app["subcommands"]:
        yield from walk(path + [sub["name"]], sub)


def leaves(path, app):
    """The commands one runs: those without subcommands (and the family itself if it has options)."""
    for p, a in walk(path, app):
        if not a["subcommands"] or [o for o in a["options"] if o["names"] != ["-h", "--help"]]:
            yield p, a


def options_of(path, app):
    lines = []
    for o in app["options"]:
        term = ", ".join("*" + esc(n) + "*" for n in o["names"]) if not o["positional"] else \
            "_" + esc(o["names"][0]) + "_"
        if o["value"] and not o["positional"]:
            term += " _" + esc(o["value"]) + "_"
        text = esc(o["description"])
        if o.get("choices"):
            text += " (" + ", ".join(esc(c) for c in o["choices"][:40]) + ")"
        lines += [term, "\t" + text, ""]
    if app.get("footer"):
        lines += ["```", app["footer"].rstrip("\n"), "```", ""]
    return lines


def family_sections(tree, family):
    app = next(s for s in tree["subcommands"] if s["name"] == family)
    synopsis, options = [], []
    for path, a in leaves(["ipckit", family], app):
        synopsis += [usage_of(path, a), ""]
        options += ["## " + " ".join(path), ""]
        if a["description"]:
            options += [esc(a["description"]) + ".", ""]
        options += options_of(path, a)
    return synopsis, options


def drop_in_sections(ipckit, name):
    """SYNOPSIS and OPTIONS from a drop-in's own --help (util-linux's layout)."""
    text = subprocess.run([ipckit, name, "--help"], capture_output=True, text=True,
                          check=True).stdout
    synopsis, options = [], []
    section = None
    for line in text.splitlines():
        if line == "Usage:":
            section = "usage"
            continue
        if re.match(r"^[A-Z][A-Za-z -]*:$", line):
            section = line[:-1]
            if section != "Usage":
                options += ["## " + esc(section), ""]
            continue
        if section == "usage" and line.startswith(" "):
            synopsis += ["*" + esc(line.strip().split(" ", 1)[0]) + "* " +
                         esc(line.strip().split(" ", 1)[1] if " " in line.strip() else ""), ""]
        elif section not in (None, "usage") and re.match(r"^ +-", line):
            m = re.match(r"^ +(\S.*?)(?:\s{2,}(.*))?$", line)
            term, desc = m.group(1), m.group(2) or ""
            names = re.sub(r"(--?[\w-]+)", r"*\1*",
                           term.replace("*", "\\*").replace("_", "\\_"))
            options += [names, "\t" + esc(desc), ""]
        elif section not in (None, "usage") and line.startswith("      ") and options:
            options[-2] += " " + esc(line.strip())  # a wrapped description
    return synopsis, options


def top_commands(tree):
    lines = []
    for s in tree["subcommands"]:
        page = "ipckit-" + s["name"]
        lines += ["*" + esc(s["name"]) + "*", "\t" + esc(s["description"]) + ". See *" + page +
                  "*(1).", ""]
    return lines


def headers(include):
    lines = []
    for h in sorted(pathlib.Path(include, "ipckit").rglob("*.hpp")):
        rel = h.relative_to(include).as_posix()
        if rel.startswith("ipckit/bridge/"):
            continue  # not installed: the bridge's engine belongs to the command
        first = ""
        for line in h.read_text().splitlines():
            if line.startswith("//"):
                first = line[2:].strip()
                break
        lines += ["*<" + esc(rel) + ">*", "\t" + esc(first), ""]
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ipckit", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--include", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--scdoc", default="scdoc")
    args = ap.parse_args()
    tree = json.loads(subprocess.run([args.ipckit, "completion", "describe"], capture_output=True,
                                     text=True, check=True).stdout)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    families = {s["name"] for s in tree["subcommands"]}
    for template in sorted(pathlib.Path(args.source).glob("*.scd")):
        page = template.name[:-len(".scd")]  # ipckit-chan.1
        name = page.rsplit(".", 1)[0]
        family = name[len("ipckit-"):] if name.startswith("ipckit-") else None
        synopsis = options = None
        if family in DROP_INS:
            synopsis, options = drop_in_sections(args.ipckit, family)
        elif family in families:
            synopsis, options = family_sections(tree, family)
        elif name == "ipckit" and page.endswith(".1"):
            synopsis = ["*ipckit* [*--help*|*--version*]", "",
                        "*ipckit* _COMMAND_ [_options_] [_arguments_]", ""]
            options = options_of(["ipckit"], tree)
        text = []
        for line in template.read_text().splitlines():
            if line == "@SYNOPSIS@":
                text += synopsis
            elif line == "@OPTIONS@":
                text += options
            elif line == "@COMMANDS@":
                text += top_commands(tree)
            elif line == "@HEADERS@":
                text += headers(args.include)
            else:
                text.append(line)
        scd = "\n".join(text) + "\n"
        (out / (page + ".scd")).write_text(scd)
        troff = subprocess.run([args.scdoc], input=scd, capture_output=True, text=True)
        if troff.returncode != 0:
            sys.exit(f"generate.py: scdoc failed on {page}: {troff.stderr.strip()}")
        (out / page).write_text(troff.stdout)
    missing = [f for f in families if not (pathlib.Path(args.source) / f"ipckit-{f}.1.scd").exists()]
    if missing:
        sys.exit("generate.py: no man page for: " + ", ".join(sorted(missing)))


if __name__ == "__main__":
    main()
