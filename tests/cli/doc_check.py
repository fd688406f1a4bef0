#!/usr/bin/env python3
"""Checks the Markdown documentation (README.md, docs/*.md) against the tools and itself.

    doc_check.py [--root DIR] links FILE...           every relative link resolves
    doc_check.py [--root DIR] options BIN_DIR FILE... every --option is in its tool's --help

Prints one problem per line (FILE:LINE: ...; FILE relative to --root) and exits 1 when there
are any. Standard library only. The rules are described in tests/cli/docs_sync_test.sh.
"""
import os
import re
import subprocess
import sys
import urllib.parse

TOOLS = ["rd-train", "rd-score", "rd-threshold", "rd-map", "rd-eval", "rd-export", "rd-report"]
# A tool named in text or code: "rd-score", "build/rd-eval", "rd-score's", "man/rd-map.1";
# not "rd-map-torch.so". rd-threshold may be followed by its command.
TOOL_RE = re.compile(r"(?<![\w.-])(rd-(?:train|score|threshold|map|eval|export|report))(?![\w-])"
                     r"(?:\s+(fit|apply)\b)?")
OPTION_RE = re.compile(r"(?<![\w-])--([a-z0-9][a-z0-9-]*)")
FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([\w+-]*)")
ATX_RE = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
SHELL_LANGS = {"", "sh", "bash", "shell", "console", "zsh", "text"}
FOREIGN = "foreign"  # the options belong to a program other than rd's tools
ANY = "any"          # no tool in sight: the option must be one of some tool


def rel(path, root):
    return os.path.relpath(path, root) if root else path


def lines_with_fences(text):
    """Yields (line number, line, fence language or None when outside a fenced block)."""
    fence = None
    lang = None
    for number, line in enumerate(text.split("\n"), 1):
        m = FENCE_RE.match(line)
        if fence is None and m:
            fence, lang = m.group(1), m.group(2).lower()
            continue
        if fence is not None and m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) \
                and not m.group(2):
            fence = None
            continue
        yield number, line, (lang if fence is not None else None)


def strip_code_spans(line):
    """The line with `code spans` blanked out (same length)."""
    return re.sub(r"(`+)(.+?)\1", lambda m: " " * len(m.group(0)), line)


# --- headings and GitHub's anchors

def slug(heading):
    """GitHub's anchor for a heading: the rendered text in lower case, every character that is
    not a letter, digit, underscore, hyphen or space removed, spaces turned into hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links and images: their text
    text = re.sub(r"<[^>]+>", "", text)                         # HTML tags
    text = re.sub(r"(`+)(.+?)\1", lambda m: m.group(2), text)    # code spans: their content
    text = re.sub(r"(?<!\w)_(.+?)_(?!\w)", r"\1", text)          # _emphasis_
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(path, cache={}):
    """The anchors of a Markdown file: its headings' slugs (a repeated slug gets -1, -2, ...)
    and the id/name attributes of its HTML."""
    if path in cache:
        return cache[path]
    with open(path, encoding="utf-8") as f:
        text = f.read()
    found, seen = set(), {}
    previous = None
    for _, line, lang in lines_with_fences(text):
        heading = None
        if lang is None:
            m = ATX_RE.match(line)
            if m:
                heading = m.group(2)
            elif previous and re.match(r"^ {0,3}(=+|-+)\s*$", line) and previous.strip() \
                    and not re.match(r"^\s*([-*+|>]|\d+\.)", previous):
                heading = previous.strip()  # a setext heading: the line above, underlined
            for attr in re.findall(r"""\b(?:id|name)=["']([^"']+)["']""", line):
                found.add(attr)
        if heading is not None:
            s = slug(heading)
            n = seen.get(s, 0)
            seen[s] = n + 1
            found.add(s if n == 0 else f"{s}-{n}")
        previous = line if lang is None else None
    cache[path] = found
    return found


# --- links

LINK_RE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'(][^)]*)?\)")
REF_DEF_RE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
HTML_LINK_RE = re.compile(r"""\b(?:href|src)=["']([^"']+)["']""")


def check_links(files, root):
    problems = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for number, line, lang in lines_with_fences(text):
            if lang is not None:
                continue
            plain = strip_code_spans(line)
            targets = LINK_RE.findall(plain) + HTML_LINK_RE.findall(plain)
            m = REF_DEF_RE.match(plain)
            if m:
                targets.append(m.group(1))
            for target in targets:
                where = f"{rel(path, root)}:{number}"
                if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", target):
                    continue  # http:, https:, mailto: ...: not fetched
                if not target:
                    problems.append(f"{where}: empty link")
                    continue
                file_part, _, anchor = target.partition("#")
                file_part = urllib.parse.unquote(file_part)
                if file_part.startswith("/"):
                    problems.append(f"{where}: {target}: an absolute path; link relative to the file")
                    continue
                dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
                if not os.path.exists(dest):
                    problems.append(f"{where}: {target}: no such file ({rel(dest, root)})")
                    continue
                if not anchor:
                    continue
                if not dest.endswith(".md") or os.path.isdir(dest):
                    problems.append(f"{where}: {target}: an anchor into a file that is not Markdown")
                elif urllib.parse.unquote(anchor) not in anchors(dest):
                    problems.append(f"{where}: {target}: no heading of {rel(dest, root)} has the anchor #{anchor}")
    return problems


# --- options

def help_options(bin_dir):
    """{tool: set of long options} from each built tool's --help; "rd-threshold fit" and
    "rd-threshold apply" separately, "rd-threshold" their union."""
    def longs(argv):
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        return set(re.findall(r"^  (?:-[^ -], |    )--([A-Za-z0-9][A-Za-z0-9-]*)", out, re.M))
    options = {}
    for tool in TOOLS:
        exe = os.path.join(bin_dir, tool)
        if not os.access(exe, os.X_OK):
            continue
        if tool == "rd-threshold":
            options["rd-threshold fit"] = longs([exe, "fit", "--help"])
            options["rd-threshold apply"] = longs([exe, "apply", "--help"])
            options[tool] = options["rd-threshold fit"] | options["rd-threshold apply"] | longs([exe, "--help"])
        else:
            options[tool] = longs([exe, "--help"])
    options[ANY] = set().union(*options.values()) if options else set()
    return options


def tool_key(m):
    """The key of a TOOL_RE match: "rd-score", "rd-threshold fit", ..."""
    return m.group(1) + (" " + m.group(2) if m.group(1) == "rd-threshold" and m.group(2) else "")


def shell_events(code, inherited):
    """(position, option, owner) for each --option of a shell command line: its owner is the rd
    tool named last before it in the same simple command (wrappers such as xargs, sudo or time
    in between do not matter), FOREIGN when the command is another program and no rd tool came
    since, `inherited` when the command starts with an option (a continued line, or a code span
    such as `--val DIR` in a sentence about a tool)."""
    events = []
    for seg in re.finditer(r"[^|;&()`]+", code):
        owner, first = None, True
        for tok in re.finditer(r"\S+", seg.group(0)):
            word = tok.group(0).strip("\"'")
            pos = seg.start() + tok.start()
            if first and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", word):
                continue  # VAR=value before the command
            if first and word == "$":
                continue  # a prompt
            m = TOOL_RE.fullmatch(re.sub(r"^.*/", "", word)) if "rd-" in word else None
            if m:
                owner = m.group(1)
                after = seg.group(0)[tok.end():].split()
                if owner == "rd-threshold" and after and after[0] in ("fit", "apply"):
                    owner += " " + after[0]
            elif word.startswith("--"):
                if first:
                    owner = inherited
                om = OPTION_RE.match(word)
                if om and owner != FOREIGN:
                    events.append((pos, om.group(1), owner or ANY))
            elif first and not word.startswith("-"):
                owner = FOREIGN
            first = False
    return events


def prose_events(text):
    """(position, option, owner) for a paragraph: options in the text or in code spans that start
    with an option belong to the rd tool named last before them in the paragraph (or to ANY);
    a code span that is a command line is read as one (shell_events)."""
    mentions = []  # (position, tool)
    options = []   # (position, option) whose owner is the paragraph's current tool
    fixed = []     # (position, option, owner) decided inside a code span
    spans = list(re.finditer(r"(`+)(.+?)\1", text))
    plain = strip_code_spans(text)
    for m in TOOL_RE.finditer(plain):
        mentions.append((m.start(), tool_key(m)))
    for m in OPTION_RE.finditer(plain):
        options.append((m.start(), m.group(1)))
    for span in spans:
        code = span.group(2).strip()
        start = span.start(2)
        for m in TOOL_RE.finditer(code):
            mentions.append((start + m.start(), tool_key(m)))
        if code.startswith("--"):
            for pos, option, owner in shell_events(code, None):
                if owner in (None, ANY):
                    options.append((start + pos, option))
                else:
                    fixed.append((start + pos, option, owner))
        else:
            fixed.extend((start + pos, option, owner) for pos, option, owner in shell_events(code, ANY))
    mentions.sort()
    events = list(fixed)
    for pos, option in options:
        owner = ANY
        for mpos, tool in mentions:
            if mpos > pos:
                break
            owner = tool
        events.append((pos, option, owner))
    return sorted(events)


def first_word(command):
    """The program a command line runs: its first word after VAR=value assignments and a prompt."""
    for word in command.split():
        word = word.strip("\"'")
        if word != "$" and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", word):
            return word
    return ""


def units(text):
    """(first line number, text, kind): the paragraphs, list items, table rows and headings
    outside fenced blocks ("prose"); each command of a shell block, a line with its continuation
    lines ("command"); each comment in a shell block ("prose", or "foreign" beside a command of
    another program, whose options it is about)."""
    out = []
    para, para_line = [], 0
    command, command_line = "", 0

    def end_paragraph():
        nonlocal para
        if para:
            out.append((para_line, " ".join(para), "prose"))
        para = []

    def end_command():
        nonlocal command
        if command.strip():
            out.append((command_line, command, "command"))
        command = ""

    for number, line, lang in lines_with_fences(text):
        if lang is not None:
            end_paragraph()
            if lang not in SHELL_LANGS:
                continue
            code, comment = line, None
            m = re.search(r"(^|\s)#.*$", code)
            if m and not re.match(r"^\s*#!", code):
                code, comment = code[:m.start()], m.group(0)
            if not command:
                command_line = number
            command += " " + code
            if comment:
                program = first_word(command)
                foreign = program and not program.startswith("-") and not TOOL_RE.search(command)
                out.append((number, comment, "foreign" if foreign else "prose"))
            if code.rstrip().endswith("\\"):
                command = command.rstrip()[:-1]  # continued on the next line
            else:
                end_command()
            continue
        end_command()
        if not line.strip() or re.match(r"^\s*([-*+]\s|\d+\.\s|\||#{1,6}\s|>)", line):
            end_paragraph()  # a blank line, or the start of a list item, table row, heading, quote
        if line.strip():
            if not para:
                para_line = number
            para.append(line.strip())
            if re.match(r"^\s*(\||#{1,6}\s)", line):
                end_paragraph()  # a table row or a heading stands alone
    end_paragraph()
    end_command()
    return out


def check_options(bin_dir, files, root):
    options = help_options(bin_dir)
    problems = []
    if len(options) <= 1:
        return [f"{bin_dir}: no rd tools found"]
    for path in files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for number, unit, kind in units(text):
            if kind == "command":
                events = shell_events(unit, None)
            else:
                events = prose_events(unit)
                if kind == "foreign":  # only options it says belong to an rd tool
                    events = [e for e in events if e[2] != ANY]
            for _, option, owner in events:
                if owner == FOREIGN or owner not in options:
                    continue  # another program's option, or a tool that is not built
                if option not in options[owner]:
                    whose = "any rd tool" if owner == ANY else owner
                    problems.append(f"{rel(path, root)}:{number}: --{option} is not an option of {whose} (its --help)")
    return problems


def main(argv):
    root = None
    if len(argv) > 2 and argv[1] == "--root":
        root = argv[2]
        argv = argv[:1] + argv[3:]
    if len(argv) >= 3 and argv[1] == "links":
        problems = check_links(argv[2:], root)
    elif len(argv) >= 4 and argv[1] == "options":
        problems = check_options(argv[2], argv[3:], root)
    else:
        sys.stderr.write(__doc__)
        return 2
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
