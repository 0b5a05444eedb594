#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""smbfs test gate: decide from a guest's kernel log whether a test run passed.

The guest writes dmesg.txt (and optionally kmemleak.txt). This program parses
every KUnit/KTAP batch in the log, checks the expected suites, and scans the
log for kernel error reports (lockdep, KASAN, UBSAN, WARN, BUG, Oops, ...).
Any finding fails the run. It is the last line of defence before a green
`make check`, so when in doubt it fails.

Usage:
    smbfs_gate.py check --dmesg FILE [--kmemleak FILE] [--expect-suite NAME ...]
                        [--expect-suites-file FILE] [--ignore-file FILE]
                        [--label LABEL] [--baseline]
    smbfs_gate.py suites --dmesg FILE [--names]

Exit status: 0 pass, 1 fail, 2 usage or I/O error.
Python 3 standard library only.
"""

import argparse
import os
import re
import sys

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_USAGE = 2

# Every kind of failure, in the order they are listed in the verdict line.
KINDS = (
    'ktap',
    'missing-suite',
    'panic',
    'oops',
    'bug',
    'kasan',
    'kfence',
    'ubsan',
    'lockdep',
    'atomic-sleep',
    'refcount',
    'warning',
    'kmemleak',
    'hung-task',
    'rcu-stall',
    'soft-lockup',
    'log-lost',
)

CONTEXT_AFTER = 15      # lines shown after a report header
MAX_DETAILED = 40       # problems printed in full; the rest are summarised
MAX_LINE = 300          # long lines are cut in the report

# ---------------------------------------------------------------------------
# Log lines
# ---------------------------------------------------------------------------

_ANSI_RE = re.compile(r'\x1b\[[0-9;?]*[ -/]*[@-~]')
_LEVEL_RE = re.compile(r'<\d{1,3}>')                       # dmesg -r
_KMSG_RE = re.compile(r'\d+,\d+,\d+,[^;]*;')                # /dev/kmsg
_JOURNAL_RE = re.compile(                                    # journalctl -k
    r'[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ kernel: ')
_FACILITY_RE = re.compile(                                   # dmesg -x
    r'(?:kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|'
    r'local\d)\s*:(?:emerg|alert|crit|err|warn|notice|info|debug)\s*: ')
_TIME_RE = re.compile(
    r'\[\s*\d+[.,]\d+\]'                                     # [    1.234567]
    r'|\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\]'  # dmesg -T
    r'|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[,.]\d+[+-]\d\d:?\d\d')  # --time-format iso
_CALLER_RE = re.compile(r' ?\[\s*[TC]\d+\]')                  # CONFIG_PRINTK_CALLER


class Line:
    """One line of the kernel log.

    raw is the line as logged (minus CR and terminal escapes), msg the printk
    message without its timestamp/caller/level prefix. A continuation line
    of a multi-line record, which dmesg pads to the prefix width instead of
    repeating the prefix, gets that padding removed from msg.
    """

    __slots__ = ('no', 'raw', 'msg', 'cont')

    def __init__(self, no, raw, msg, cont=False):
        self.no = no
        self.raw = raw
        self.msg = msg
        self.cont = cont        # continues the record of the line before


def _strip_prefix(raw):
    """Return (message, prefix width) for one raw line."""
    pos = 0
    for regex in (_LEVEL_RE, _KMSG_RE, _JOURNAL_RE, _FACILITY_RE):
        m = regex.match(raw, pos)
        if m:
            pos = m.end()
    m = _TIME_RE.match(raw, pos)
    if m:
        pos = m.end()
    m = _CALLER_RE.match(raw, pos)
    if m and (pos > 0 or m.group(0)[0] == '['):
        pos = m.end()
    if pos == 0:
        return raw, 0
    if raw.startswith(' ', pos):
        pos += 1
    elif pos == len(raw):
        # An empty message whose separator space was trimmed away.
        return '', pos + 1
    return raw[pos:], pos


def split_log(text):
    """Split a kernel log into Line objects, whatever its line endings."""
    text = text.replace('\x00', '')
    if '\n' not in text and '\r' in text:
        text = text.replace('\r', '\n')       # bare-CR line endings
    else:
        text = text.replace('\r', '')         # CRLF or serial noise
    text = _ANSI_RE.sub('', text)
    lines = []
    width = 0           # prefix width of the record being continued
    for no, raw in enumerate(text.split('\n'), 1):
        raw = raw.rstrip()
        msg, pwidth = _strip_prefix(raw)
        cont = False
        if pwidth:
            width = pwidth
        elif width and raw.startswith(' ' * width):
            msg = raw[width:]
            cont = True
        elif raw:
            width = 0
        lines.append(Line(no, raw, msg, cont))
    if lines and not lines[-1].raw:
        lines.pop()
    return lines


# ---------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------

class Problem:
    """One reason to fail the run."""

    def __init__(self, kind, title, line=None, context=None, match_texts=None):
        self.kind = kind
        self.title = title
        self.line = line                  # 1-based dmesg line, or None
        self.context = context or []      # lines to print under the title
        self.match_texts = match_texts if match_texts is not None else [title]
        self.related = []                 # lines of reports folded into this one
        self.during = None                # KUnit suite running at the time
        self.ignored_by = None            # ignore pattern that matched

    @property
    def last_line(self):
        return max([self.line or 0] + self.related)


# ---------------------------------------------------------------------------
# KTAP / KUnit
# ---------------------------------------------------------------------------

_KTAP_VERSION_RE = re.compile(r'K?TAP version (\d+)$')
_KTAP_PLAN_RE = re.compile(r'1\.\.(\d+)(?:\s+#.*)?$')
_KTAP_RESULT_RE = re.compile(r'(not ok|ok) (\d+)(?: (.*))?$')
_KTAP_SUBTEST_RE = re.compile(r'(?:# Subtest:|#:ktap_test:)\s*(.*?)$')
_KTAP_BAILOUT_RE = re.compile(r'Bail out!\s*(.*)$')
_KTAP_DIAG_RE = re.compile(r'#(?:[ :](.*))?$')      # "# text", "#:ktap_attr: v"
_KTAP_DIRECTIVE_RE = re.compile(
    r'^(.*?)\s*#\s*(SKIP|TODO|XFAIL|TIMEOUT|ERROR)\b\s*(.*)$', re.I)
_INDENT_RE = re.compile(r'[ \t]*')


class Result:
    """A KTAP result line ("ok N name" / "not ok N name")."""

    def __init__(self, ok, number, name, directive, reason, line):
        self.ok = ok
        self.number = number
        self.name = name
        self.directive = directive        # 'SKIP', 'TODO', ... or None
        self.reason = reason
        self.line = line
        self.diag = []                    # diagnostic lines printed before it
        self.body = None                  # Node with its subtests, if any

    @property
    def skipped(self):
        return self.ok and self.directive == 'SKIP'


class Node:
    """A KTAP test document or subtest body at one indentation level."""

    def __init__(self, level, line):
        self.level = level
        self.line = line
        self.name = None
        self.plan = None
        self.version = False
        self.disabled = False             # "kunit: disabled" followed the plan
        self.results = []
        self.incomplete = []              # child Nodes that never got a result
        self.pending = []                 # diagnostics not yet given to a result

    def has_content(self):
        return (self.name is not None or self.plan is not None
                or self.results or self.incomplete)

    def count(self):
        return len(self.results) + len(self.incomplete)


class KtapParser:
    """Rebuilds the KTAP test tree from a kernel log.

    Only structural lines (version, "# Subtest:", plan, result, bail out)
    move the parser between levels; the level is the indentation (4 spaces
    or one tab per level). Diagnostic lines go to the innermost open test
    and are handed to the next result line. Any line that is not KTAP-shaped
    is ignored, so other kernel messages may interleave freely.
    """

    def __init__(self):
        self.batches = []                 # top-level Nodes, one per KTAP document
        self.stack = []
        self.problems = []
        self.kunit_disabled = False
        self._in_diag = False
        self._diag_indent = 0

    # -- helpers ----------------------------------------------------------

    def _path(self, node=None):
        names = [n.name or '?' for n in self.stack[1:]]
        if node is not None and node not in self.stack[1:]:
            names.append(node.name or '?')
        return '.'.join(names)

    def running_suite(self):
        """Name of the KUnit suite open right now, if any."""
        if len(self.stack) > 1:
            return self.stack[1].name
        return None

    def _problem(self, title, line, context=None):
        self.problems.append(Problem('ktap', title, line, context))

    def _close_batch(self, batch):
        # An incomplete suite already explains a short document.
        if batch.plan is not None and batch.plan != batch.count() \
                and not batch.incomplete and not batch.disabled:
            self._problem(
                'KTAP document at line %d: plan 1..%d but %d suite result(s)'
                % (batch.line, batch.plan, batch.count()), batch.line)

    def _abandon(self, node, inner=()):
        """A node ended without its result line: it crashed or hung.

        inner lists the deeper nodes abandoned at the same moment (the
        test that was running inside this suite); they are reported as
        part of this one problem.
        """
        if node.level == 0:
            self._close_batch(node)
            return
        parent = self.stack[-1]
        parent.incomplete.append(node)
        path = self._path(node)
        what = 'suite' if node.level == 1 else 'test'
        title = 'incomplete %s %s: started at line %d, no result line' % (
            what, path, node.line)
        context = []
        for n in [node] + list(inner):
            done = ', '.join('%s %s' % ('ok' if r.ok else 'not ok', r.name)
                             for r in n.results[-3:])
            context.append('%s: %d result(s)%s%s' % (
                n.name or '?', len(n.results),
                ' of 1..%d' % n.plan if n.plan is not None else '',
                ' (last: %s)' % done if done else ''))
        if inner:
            title += ' (stopped inside %s)' % '.'.join(
                [path] + [n.name or '?' for n in inner])
        self._problem(title, node.line, context)

    def _pop_above(self, level):
        popped = []
        while self.stack and self.stack[-1].level > level:
            popped.append(self.stack.pop())
        # Each inner node is an unfinished child of the one above it; the
        # outermost is reported, naming the inner ones.
        for n, node in enumerate(popped[:-1]):
            popped[n + 1].incomplete.append(node)
        if popped:
            outer = popped[-1]
            self._abandon(outer, list(reversed(popped[:-1])))

    def _new_batch(self, line):
        if self.stack:
            self._pop_above(0)
            self._close_batch(self.stack.pop())
        batch = Node(0, line)
        self.batches.append(batch)
        self.stack.append(batch)
        return batch

    def _open(self, level, line):
        """Make the top of the stack a node at exactly `level`."""
        self._pop_above(level)
        if not self.stack:
            self._new_batch(line)
        if level >= 1 and len(self.stack) == 1:
            # A new suite starts: if its document's plan is already used
            # up, this is a new document whose header we did not see.
            batch = self.stack[0]
            if batch.plan is not None and batch.count() >= batch.plan:
                self._new_batch(line)
        while self.stack[-1].level < level:
            self.stack.append(Node(self.stack[-1].level + 1, line))
        return self.stack[-1]

    def _fresh(self, level, line):
        """Open a new node at `level`, abandoning one that is in progress."""
        self._pop_above(level)
        if self.stack and self.stack[-1].level == level:
            node = self.stack[-1]
            if node.version or node.has_content():
                if level == 0:
                    return self._new_batch(line)
                self.stack.pop()
                self._abandon(node)
        return self._open(level, line)

    # -- line handlers ----------------------------------------------------

    def feed(self, line):
        msg = line.msg
        indent = _INDENT_RE.match(msg).group(0)
        body = msg[len(indent):]
        width = indent.count(' ') + 4 * indent.count('\t')
        if not body:
            self._in_diag = False
            return
        if width % 4:
            self._maybe_continuation(line, width, msg)
            return
        level = width // 4

        m = _KTAP_VERSION_RE.match(body)
        if m:
            node = self._fresh(level, line.no)
            node.version = True
        elif _KTAP_SUBTEST_RE.match(body):
            name = _KTAP_SUBTEST_RE.match(body).group(1).strip()
            node = None
            if self.stack and level > 0:
                self._pop_above(level)
                top = self.stack[-1]
                if (top.level == level and top.name is None
                        and top.plan is None and not top.results
                        and not top.incomplete):
                    node = top
            if node is None:
                node = self._fresh(level, line.no)
            node.name = name
        elif _KTAP_PLAN_RE.match(body):
            plan = int(_KTAP_PLAN_RE.match(body).group(1))
            self._pop_above(level)
            top = self.stack[-1] if self.stack else None
            if top is not None and top.level == level and top.plan is None:
                top.plan = plan           # leading or trailing plan
            else:
                node = (self._fresh(level, line.no)
                        if top is not None and top.level == level
                        else self._open(level, line.no))
                node.plan = plan
        elif _KTAP_RESULT_RE.match(body):
            self._result(level, _KTAP_RESULT_RE.match(body), line)
        elif _KTAP_BAILOUT_RE.match(body):
            self._open(level, line.no)
            self._problem('KTAP bail out at %s: %s' % (
                self._path() or 'top level',
                _KTAP_BAILOUT_RE.match(body).group(1) or '(no reason)'),
                line.no)
        elif (body == 'kunit: disabled' and level == 0 and self.stack
              and self.stack[0].count() == 0):
            # kunit.enable=0: KUnit prints the document's header, then runs
            # nothing. Not a short document; the expected suites (if any)
            # are still checked, and are then missing.
            self.stack[0].disabled = True
            self.kunit_disabled = True
            return
        elif _KTAP_DIAG_RE.match(body):
            if self.stack:
                self.stack[-1].pending.append(body)
                self._in_diag = True
                self._diag_indent = len(indent)
            return
        else:
            self._maybe_continuation(line, width, msg)
            return
        self._in_diag = False

    def _maybe_continuation(self, line, width, msg):
        # Multi-line diagnostics (KUnit's "Expected ... but" block) continue
        # on indented lines without a '#'.
        if self._in_diag and (width >= 4 or line.cont) and self.stack:
            lead = len(msg) - len(msg.lstrip())
            self.stack[-1].pending.append(
                msg[min(lead, self._diag_indent):].rstrip())
        else:
            self._in_diag = False

    def _result(self, level, m, line):
        ok = m.group(1) == 'ok'
        number = int(m.group(2))
        rest = (m.group(3) or '').strip()
        if rest.startswith('- '):
            rest = rest[2:]
        elif rest == '-':
            rest = ''
        directive = reason = None
        d = _KTAP_DIRECTIVE_RE.match(rest)
        if d:
            rest, directive, reason = d.group(1), d.group(2).upper(), d.group(3)
        result = Result(ok, number, rest.strip(), directive, reason, line.no)

        self._pop_above(level + 1)
        child = None
        if self.stack and self.stack[-1].level == level + 1:
            child = self.stack.pop()
            if child.name is not None and child.name != result.name:
                # The open subtest is not this one: it never finished.
                self.stack.append(child)
                self._pop_above(level)
                child = None
        if not self.stack or self.stack[-1].level != level:
            self._open(level, line.no)
        parent = self.stack[-1]
        if level == 0 and parent.plan is not None and child is None \
                and parent.count() >= parent.plan:
            parent = self._new_batch(line.no)
        result.diag = parent.pending
        parent.pending = []
        if child is not None:
            result.body = child
            result.diag.extend(child.pending)
            child.pending = []
            if child.plan is not None and child.plan != child.count():
                path = '.'.join([n.name or '?' for n in self.stack[1:]]
                                + [result.name])
                self._problem('%s: plan 1..%d but %d result(s)' % (
                    path, child.plan, child.count()), line.no)
        parent.results.append(result)

    def finish(self):
        if self.stack:
            self._pop_above(0)
            self._close_batch(self.stack.pop())


class Suite:
    """Summary of one top-level KUnit suite found in the log."""

    def __init__(self, name, status, line, counts, failures, reason=None):
        self.name = name
        self.status = status              # PASS, FAIL, SKIP, INCOMPLETE
        self.line = line
        self.counts = counts              # (pass, fail, skip, total)
        self.failures = failures          # [(path, Result)]
        self.reason = reason


def _failures(result, path):
    """Failing leaves under a result: [(dotted path, Result)]."""
    path = path + [result.name or '?']
    found = []
    if result.body is not None:
        for child in result.body.results:
            found.extend(_failures(child, path))
    if not result.ok and not found:
        found.append(('.'.join(path), result))
    return found


def _counts(node):
    passed = failed = skipped = 0
    if node is not None:
        for r in node.results:
            if not r.ok:
                failed += 1
            elif r.skipped:
                skipped += 1
            else:
                passed += 1
    return (passed, failed, skipped, passed + failed + skipped)


def summarise_suites(parser):
    suites = []
    for batch in parser.batches:
        for r in batch.results:
            failures = _failures(r, [])
            if failures or not r.ok:
                status = 'FAIL'
            elif r.skipped:
                status = 'SKIP'
            else:
                status = 'PASS'
            suites.append(Suite(r.name, status, r.line, _counts(r.body),
                                failures, r.reason))
        for node in batch.incomplete:
            suites.append(Suite(node.name or '?', 'INCOMPLETE', node.line,
                                _counts(node), []))
    suites.sort(key=lambda s: s.line)
    return suites


# ---------------------------------------------------------------------------
# Kernel error reports in dmesg
# ---------------------------------------------------------------------------

def _rules(*pairs):
    return [(kind, re.compile(rx)) for kind, rx in pairs]


# First match wins; lockdep and the context checks come before the generic
# BUG:/WARNING: catch-alls so that one report is never counted twice.
REPORT_RULES = _rules(
    # lockdep and the other lock debugging checks
    ('lockdep', r'^WARNING: possible (?:circular|recursive) locking'),
    ('lockdep', r'^WARNING: possible irq lock inversion dependency'),
    ('lockdep', r'^WARNING: inconsistent lock state'),
    ('lockdep', r'^WARNING: suspicious RCU usage'),
    ('lockdep', r'^WARNING: \S+-(?:READ-)?safe -> \S+-(?:READ-)?unsafe '
                r'lock order detected'),
    ('lockdep', r'^WARNING: lock held when returning to user space'),
    ('lockdep', r'^WARNING: held lock freed'),
    ('lockdep', r'^WARNING: bad (?:unlock balance|contention) detected'),
    ('lockdep', r'^WARNING: Nested lock was not taken'),
    ('lockdep', r'^WARNING: chain_key collision'),
    ('lockdep', r'^WARNING: .*\bstill has locks held'),
    ('lockdep', r'^WARNING: Invalid wait context'),
    ('lockdep', r'^\[ (?:BUG|INFO|WARNING): .+ \]$'),   # older lockdep, wait ctx
    ('lockdep', r'^(?:BUG|INFO): possible (?:circular|recursive) locking'),
    ('lockdep', r'^(?:BUG|INFO): (?:inconsistent lock state|possible irq lock '
                r'inversion|\S+-safe -> \S+-unsafe lock order)'),
    ('lockdep', r'^(?:BUG|INFO): suspicious RCU usage'),
    ('lockdep', r'^INFO: trying to register non-static key'),
    ('lockdep', r'^BUG: (?:held lock freed|bad unlock balance|lock held when '
                r'returning to user space|Invalid wait context)'),
    ('lockdep', r'^BUG: .*\bstill has locks held'),
    ('lockdep', r'^BUG: MAX_\w+ too low'),
    ('lockdep', r'^BUG: key \S+ has not been registered'),
    ('lockdep', r'^BUG: looking up invalid subclass'),
    ('lockdep', r'^BUG: (?:raw_)?(?:spinlock|rwlock) '),
    # sleeping or preemption-sensitive calls in atomic context
    ('atomic-sleep', r'^BUG: sleeping function called from invalid context'),
    ('atomic-sleep', r'^BUG: scheduling while atomic'),
    ('atomic-sleep', r'^BUG: workqueue leaked'),
    ('atomic-sleep', r'^BUG: using \S+ in preemptible'),
    # sanitizers
    ('kasan', r'^BUG: KASAN: '),
    ('kfence', r'^BUG: KFENCE: '),
    ('ubsan', r'^UBSAN: '),
    # stalls and lockups
    ('soft-lockup', r'^(?:[\w ]+: )?BUG: soft lockup'),
    ('soft-lockup', r'^(?:[\w ]+: )?Watchdog detected hard LOCKUP'),
    ('hung-task', r'^INFO: task .+ blocked for more than \d+ seconds'),
    ('hung-task', r"^INFO: task .+ can't die for more than"),
    ('hung-task', r'^BUG: workqueue lockup'),
    ('rcu-stall', r'^(?:rcu: )?(?:INFO: )?\S+ (?:self-)?detected (?:expedited )?'
                  r'stalls?\b'),
    # leaks and reference counts
    ('kmemleak', r'^kmemleak: \d+ new suspected memory leaks?'),
    ('kmemleak', r'^kmemleak: unreferenced object 0x'),
    ('refcount', r'^refcount_t: '),
    # crashes
    ('panic', r'^Kernel panic - not syncing'),
    ('bug', r'^(?:[\w.-]+: )?panicked at\b'),                # Rust panic
    ('oops', r'^(?:Oops: |Oops - |Internal error: Oops)'),
    ('oops', r'^[\w ,().-]{1,120}: [0-9a-f]{4,16} \[#\d+\]'),  # die() header
    ('oops', r'^general protection fault\b'),
    ('bug', r'^kernel BUG at '),
    ('bug', r'^Unable to handle kernel '),
    ('bug', r'^BUG \S+ \((?:Not tainted|Tainted: [^)]*)\): '),  # SLUB debug
    ('bug', r'^VFS: Busy inodes after unmount'),
    ('bug', r'^(?:[\w.-]+: )?BUG:'),
    ('warning', r'^WARNING:'),
    # the kernel log itself lost messages
    ('log-lost', r'^\*\* \d+ printk messages dropped \*\*'),
)

# A WARN() prints its message next to the WARNING: line; these reports are
# such messages, so the WARNING that comes with them is the same event.
_ABSORBS_WARNING = re.compile(r'^(?:refcount_t: |VFS: Busy inodes)')
_WARN_LOCATION = re.compile(r'^WARNING: (?:CPU: \d+ PID: \d+ |\S+:\d+ at |at )')
_RULER = re.compile(r'^(?:=+|-+)$')
_LOCKISH = re.compile(r'lock|rcu|held|context|irq|dependency|deadlock', re.I)
_CUT_HERE = re.compile(r'^-+\[ cut here \]-+$')
_KERNEL_BUG_AT = re.compile(r'^kernel BUG at ')
_RUST_PANIC = re.compile(r'^(?:[\w.-]+: )?panicked at\b')


# One pass over a line decides whether any rule can match it at all.
_ANY_REPORT = re.compile('|'.join('(?:%s)' % rx.pattern
                                  for _, rx in REPORT_RULES))


def classify(lines, i):
    """Kind of the report whose header is lines[i], or None."""
    msg = lines[i].msg
    if not _ANY_REPORT.match(msg):
        return None
    for kind, regex in REPORT_RULES:
        if regex.match(msg):
            if kind == 'warning' and not _WARN_LOCATION.match(msg) \
                    and _LOCKISH.search(msg):
                # lockdep frames its reports with a ruler line; a WARNING:
                # about locking under one is lockdep's, whatever its text.
                j = i - 1
                while j >= 0 and not lines[j].msg.strip():
                    j -= 1
                if j >= 0 and len(lines[j].msg) >= 8 \
                        and set(lines[j].msg) == {'='}:
                    return 'lockdep'
            return kind
    return None


def _context(lines, i):
    """Lines printed for a report whose header is lines[i]."""
    start = i
    for j in range(i - 1, max(-1, i - 5), -1):
        msg = lines[j].msg
        if _CUT_HERE.match(msg) or (len(msg) >= 8 and _RULER.match(msg)):
            start = j
            break
        if not msg.strip():
            break
    end = min(len(lines), i + 1 + CONTEXT_AFTER)
    return [lines[k].raw for k in range(start, end)]


def scan_reports(lines, ktap_feed=None):
    """Find error reports in the log. ktap_feed(line) is called for every
    line first, and must return the KUnit suite running at that point."""
    found = []
    for i, line in enumerate(lines):
        during = ktap_feed(line) if ktap_feed else None
        kind = classify(lines, i)
        if kind is None:
            continue
        title = line.msg.strip()
        if _RUST_PANIC.match(line.msg) and i + 1 < len(lines) \
                and lines[i + 1].msg.strip() \
                and classify(lines, i + 1) is None:
            # Rust prints the panic message on the line after the location.
            title += ' ' + lines[i + 1].msg.strip()
        p = Problem(kind, title, line.no, _context(lines, i), [line.msg])
        p.during = during
        found.append(p)
    return _fold(found)


def _fold(found):
    """Merge reports that the kernel prints as parts of one event."""
    used = set()
    # WARNING + its refcount_t / VFS message, in either order.
    for n, w in enumerate(found):
        if w.kind != 'warning':
            continue
        for m in (n - 1, n + 1):
            if 0 <= m < len(found) and m not in used and n not in used:
                other = found[m]
                if _ABSORBS_WARNING.match(other.match_texts[0]) \
                        and abs(other.line - w.line) <= 4:
                    other.related.append(w.line)
                    other.match_texts.append(w.match_texts[0])
                    used.add(n)
    merged = []
    for n, p in enumerate(found):
        if n in used:
            continue
        prev = merged[-1] if merged else None
        if prev is not None and prev.kind == 'bug' and (
                (p.kind == 'oops' and p.line - prev.last_line <= 12)
                or (_KERNEL_BUG_AT.match(p.match_texts[0])
                    and _RUST_PANIC.match(prev.match_texts[0])
                    and p.line - prev.last_line <= 6)):
            # "BUG: ... NULL pointer" / "kernel BUG at" are followed by the
            # Oops line, and a Rust panic by BUG(): one crash, one problem.
            prev.related.append(p.line)
            prev.match_texts.append(p.match_texts[0])
            prev.context.append('(followed by: %s)' % p.title)
            continue
        merged.append(p)
    return merged


def check_banner(lines):
    """The log must start at boot, or early reports may have been lost."""
    for line in lines:
        if line.msg.startswith('Linux version '):
            return []
    first = lines[0].raw if lines else ''
    return [Problem('log-lost',
                    "kernel log does not start at boot (no 'Linux version' "
                    'banner): earlier messages were lost; boot the guest with '
                    'a larger log_buf_len', 1, ['first line: ' + first])]


# ---------------------------------------------------------------------------
# kmemleak
# ---------------------------------------------------------------------------

_KMEMLEAK_OBJ_RE = re.compile(
    r'^unreferenced object (0x[0-9a-f]+) \(size (\d+)\):')
_KMEMLEAK_COMM_RE = re.compile(r'^\s*comm "(.*)", pid (\d+)')
_KMEMLEAK_BT_RE = re.compile(r'^\s*backtrace\b.*:$')
_KMEMLEAK_FRAME_RE = re.compile(r'^\s*(?:\[<[0-9a-f]+>\]\s*)?(\S.*)$')
_KMEMLEAK_FRAMES = 8


def parse_kmemleak(text):
    """One Problem per "unreferenced object" entry."""
    problems = []
    entries = []
    for raw in text.replace('\r', '').split('\n'):
        if _KMEMLEAK_OBJ_RE.match(raw.strip()):
            entries.append([raw.strip()])
        elif entries:
            entries[-1].append(raw.rstrip())
    for entry in entries:
        m = _KMEMLEAK_OBJ_RE.match(entry[0])
        comm = ''
        frames = []
        in_bt = False
        for raw in entry[1:]:
            c = _KMEMLEAK_COMM_RE.match(raw)
            if c:
                comm = ' (comm "%s", pid %s)' % (c.group(1), c.group(2))
            elif _KMEMLEAK_BT_RE.match(raw):
                in_bt = True
            elif in_bt and raw.strip():
                frames.append(_KMEMLEAK_FRAME_RE.match(raw).group(1))
        title = 'leaked object %s, size %s bytes%s' % (m.group(1), m.group(2),
                                                       comm)
        context = ['backtrace:'] + ['  ' + f for f in frames[:_KMEMLEAK_FRAMES]]
        if len(frames) > _KMEMLEAK_FRAMES:
            context.append('  ... %d more frames' % (len(frames)
                                                      - _KMEMLEAK_FRAMES))
        if not frames:
            context = entry[1:1 + CONTEXT_AFTER]
        problems.append(Problem('kmemleak', title, None, context,
                                [l.strip() for l in entry]))
    return problems


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------

class UsageError(Exception):
    pass


def read_text(path):
    with open(path, 'rb') as f:
        return f.read().decode('utf-8', errors='replace')


def _config_lines(path):
    try:
        text = read_text(path)
    except OSError as e:
        raise UsageError('cannot read %s: %s' % (path, e.strerror or e))
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line and not line.startswith('#'):
            yield no, line


def load_expected(paths, names):
    expected = []
    for name in names or []:
        expected.append(name.strip())
    for path in paths or []:
        for no, line in _config_lines(path):
            line = re.sub(r'\s+#.*$', '', line)
            expected.append(line)
    for name in expected:
        if not re.match(r'^[A-Za-z0-9_.-]+$', name):
            raise UsageError('bad suite name %r: exact suite names only '
                             '(letters, digits, _ . -); no globs' % name)
    seen = set()
    return [n for n in expected if not (n in seen or seen.add(n))]


def _report_text(lines, p):
    """A dmesg report as printed: from its header to the closing ruler (or
    120 lines), messages without timestamps; a kmemleak entry's lines."""
    if p.line is None or p.kind == 'kmemleak':
        return '\n'.join(p.match_texts)
    i = p.line - 1
    out = []
    for k in range(i, min(len(lines), i + 120)):
        msg = lines[k].msg
        if k > i and len(msg) >= 8 and _RULER.match(msg):
            break
        out.append(msg)
    return '\n'.join(out)


class WholeReport:
    """An ignore entry written "report: REGEX": searched (with re.S, so '.'
    spans lines) in the whole report as printed, header and context (the
    call trace), one line per line. Lets an entry name the path a report
    came through, which the header alone cannot."""

    def __init__(self, pattern):
        self.rx = re.compile(pattern, re.S | re.M)
        self.pattern = 'report: ' + pattern

    def search(self, text):
        return self.rx.search(text)


def load_ignores(paths):
    patterns = []
    for path in paths or []:
        for no, line in _config_lines(path):
            try:
                if line.startswith('report:'):
                    patterns.append(WholeReport(line[len('report:'):].strip()))
                else:
                    patterns.append(re.compile(line))
            except re.error as e:
                raise UsageError('%s:%d: bad regex %r: %s' % (path, no, line, e))
    return patterns


# ---------------------------------------------------------------------------
# Verdict
# ---------------------------------------------------------------------------

class Verdict:
    def __init__(self):
        self.suites = []
        self.expected = []
        self.problems = []
        self.ignored = []
        self.notes = []
        self.dmesg_lines = 0

    @property
    def passed(self):
        return not self.problems

    def kinds(self):
        present = {p.kind for p in self.problems}
        return [k for k in KINDS if k in present]


def evaluate(dmesg_text, kmemleak_text=None, expected=(), ignores=(),
             kmemleak_note=None):
    """Judge one run. dmesg_text None means the log file was missing."""
    v = Verdict()
    v.expected = list(expected)
    problems = []
    if dmesg_text is None:
        problems.append(Problem('ktap', 'kernel log is missing: the guest '
                                'wrote no dmesg; never a pass'))
        dmesg_text = ''
    elif not dmesg_text.strip():
        problems.append(Problem('ktap', 'kernel log is empty: never a pass'))
    lines = split_log(dmesg_text)
    v.dmesg_lines = len(lines)

    parser = KtapParser()

    def feed(line):
        parser.feed(line)
        return parser.running_suite()

    reports = scan_reports(lines, feed)
    parser.finish()
    if dmesg_text.strip():
        reports = check_banner(lines) + reports

    v.suites = summarise_suites(parser)
    for suite in v.suites:
        for path, r in suite.failures:
            title = '%s: not ok' % path
            if r.directive:
                title += ' # %s %s' % (r.directive, r.reason or '')
            # The diagnostics are printed under the suite, not twice.
            problems.append(Problem('ktap', title.strip(), r.line))
    problems.extend(parser.problems)
    if parser.kunit_disabled:
        v.notes.append('KUnit was disabled in this boot (kunit.enable=0): '
                       'no suite ran')

    found = {s.name for s in v.suites}
    for name in v.expected:
        if name not in found:
            problems.append(Problem('missing-suite', 'expected KUnit suite %s '
                                    'was not run (no KTAP result in the log)'
                                    % name))

    if kmemleak_text is not None:
        reports.extend(parse_kmemleak(kmemleak_text))
    if kmemleak_note:
        v.notes.append(kmemleak_note)

    for p in reports:
        whole = _report_text(lines, p)
        for rx in ignores:
            texts = [whole] if isinstance(rx, WholeReport) else p.match_texts
            if any(rx.search(t) for t in texts):
                p.ignored_by = rx.pattern
                break
        (v.ignored if p.ignored_by else problems).append(p)
    if v.ignored:
        for ln in lines:
            if 'Disabling lock debugging due to kernel taint' in ln.msg:
                v.notes.append('lock debugging was turned off at dmesg line '
                               '%d (after a report the ignore list '
                               'accepts): lockdep did not check the rest of '
                               'this run' % ln.no)
                break

    order = {k: n for n, k in enumerate(KINDS)}
    problems.sort(key=lambda p: (p.line is None, p.line or 0, order[p.kind]))
    v.problems = problems
    return v


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

def _cut(text):
    return text if len(text) <= MAX_LINE else text[:MAX_LINE] + ' [...]'


def _kind(kind, baseline):
    return 'baseline:' + kind if baseline else kind


def verdict_line(v, label, baseline=False):
    if v.passed:
        return 'GATE %s: PASS' % label
    kinds = ', '.join(_kind(k, baseline) for k in v.kinds())
    summary = '%d problems: %s' % (len(v.problems), kinds)
    if baseline:
        return 'GATE %s: FAIL (baseline: kernel/server, not smbfs: %s)' % (
            label, summary)
    return 'GATE %s: FAIL (%s)' % (label, summary)


def _suite_row(s):
    p, f, k, t = s.counts
    row = '  %-10s %-36s pass %d  fail %d  skip %d  total %d' % (
        s.status, s.name, p, f, k, t)
    if s.status == 'SKIP' and s.reason:
        row += '  (skipped: %s)' % s.reason
    if s.status == 'INCOMPLETE':
        row += '  (no result line)'
    return row


def render(v, label, baseline=False, dmesg_path=None, kmemleak_path=None,
           count_only=None):
    out = []
    out.append('smbfs gate: %s%s' % (label, ' (baseline run: no smbfs '
                                     'modules; findings are the kernel\'s or '
                                     'the server\'s)' if baseline else ''))
    if dmesg_path:
        out.append('  dmesg:    %s (%d lines)' % (dmesg_path, v.dmesg_lines))
    if kmemleak_path:
        out.append('  kmemleak: %s' % kmemleak_path)
    for note in v.notes:
        out.append('  note: %s' % note)

    out.append('')
    out.append('== KUnit suites (%d) ==' % len(v.suites))
    if not v.suites:
        out.append('  (no KTAP results found)')
    for s in v.suites:
        out.append(_suite_row(s))
        for path, r in s.failures:
            out.append('      not ok %s' % path)
            for d in r.diag:
                out.append('        ' + _cut(d))
    if v.expected:
        found = {s.name for s in v.suites}
        missing = [n for n in v.expected if n not in found]
        out.append('  expected %d suite(s): %d found, %d missing%s' % (
            len(v.expected), len(v.expected) - len(missing), len(missing),
            ': ' + ', '.join(missing) if missing else ''))
    skipped = [s.name for s in v.suites if s.status == 'SKIP']
    if skipped:
        out.append('  whole suites skipped (not a failure): '
                   + ', '.join(skipped))

    out.append('')
    out.append('== Problems (%d) ==' % len(v.problems))
    if not v.problems:
        out.append('  none')
    for n, p in enumerate(v.problems[:MAX_DETAILED], 1):
        where = ' (dmesg line %d)' % p.line if p.line else ''
        during = ' [while KUnit suite %s was running]' % p.during \
            if p.during else ''
        out.append('[%d] %s: %s%s%s' % (n, _kind(p.kind, baseline),
                                        _cut(p.title), where, during))
        for c in p.context:
            out.append('      | ' + _cut(c))
    rest = v.problems[MAX_DETAILED:]
    if rest:
        counts = {}
        for p in rest:
            counts[p.kind] = counts.get(p.kind, 0) + 1
        out.append('... and %d more: %s' % (len(rest), ', '.join(
            '%d %s' % (counts[k], _kind(k, baseline))
            for k in KINDS if k in counts)))

    if v.ignored:
        out.append('')
        out.append('== Ignored by the ignore list (%d) ==' % len(v.ignored))
        for p in v.ignored:
            where = ' (dmesg line %d)' % p.line if p.line else ''
            out.append('  %s: %s%s  [matched /%s/]' % (
                p.kind, _cut(p.title), where, p.ignored_by))
    out.append('')
    out.append(counts_line(v, count_only))
    out.append(verdict_line(v, label, baseline))
    return '\n'.join(out) + '\n'


def counts_line(v, only=None):
    """Machine-readable KUnit test-case totals, for make check's summary;
    with `only`, just those suites'."""
    suites = [s for s in v.suites if only is None or s.name in only]
    p = sum(s.counts[0] for s in suites)
    f = sum(s.counts[1] for s in suites)
    k = sum(s.counts[2] for s in suites)
    return 'GATE-COUNTS pass=%d fail=%d skip=%d suites=%d' % (
        p, f, k, len(suites))


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write('%s: error: %s\n' % (self.prog, message))
        sys.exit(EXIT_USAGE)


def build_argparser():
    ap = _Parser(prog='smbfs_gate.py',
                 description='Decide whether an smbfs guest test run passed, '
                 'from its kernel log (KTAP + kernel error reports).')
    sub = ap.add_subparsers(dest='command', metavar='COMMAND')
    sub.required = True

    c = sub.add_parser('check', help='judge a run: PASS or FAIL')
    c.add_argument('--dmesg', required=True, metavar='FILE',
                   help='the guest kernel log (dmesg or serial console)')
    c.add_argument('--kmemleak', metavar='FILE',
                   help='contents of /sys/kernel/debug/kmemleak after the '
                   'scans; a missing file is noted, not failed')
    c.add_argument('--expect-suite', action='append', default=[],
                   metavar='NAME', help='a KUnit suite that must have run '
                   '(exact name; repeatable)')
    c.add_argument('--expect-suites-file', action='append', default=[],
                   metavar='FILE', help='file with one suite name per line; '
                   '# comments and blank lines ignored')
    c.add_argument('--count-suites-file', action='append', default=[],
                   metavar='FILE', help='restrict the GATE-COUNTS totals to '
                   'the suites listed (same format as --expect-suites-file); '
                   'the verdict still covers every suite')
    c.add_argument('--ignore-file', action='append', default=[],
                   metavar='FILE', help='file of Python regexes, one per '
                   'line, for known benign report headers')
    c.add_argument('--label', help='name of the run in the verdict line '
                   '(default: the directory holding the dmesg file)')
    c.add_argument('--baseline', action='store_true',
                   help='the run booted without smbfs modules: attribute '
                   'findings to the kernel or the server')

    s = sub.add_parser('suites', help='list the KUnit suites in a log')
    s.add_argument('--dmesg', required=True, metavar='FILE')
    s.add_argument('--names', action='store_true',
                   help='print only the suite names (an expected-suites list)')
    return ap


def _default_label(path):
    parent = os.path.basename(os.path.dirname(os.path.abspath(path)))
    return parent or 'run'


def cmd_check(args, stdout):
    expected = load_expected(args.expect_suites_file, args.expect_suite)
    ignores = load_ignores(args.ignore_file)
    label = args.label or _default_label(args.dmesg)

    try:
        dmesg = read_text(args.dmesg)
    except FileNotFoundError:
        dmesg = None
    except OSError as e:
        raise UsageError('cannot read %s: %s' % (args.dmesg, e.strerror or e))

    kmemleak = note = None
    if args.kmemleak:
        try:
            kmemleak = read_text(args.kmemleak)
        except FileNotFoundError:
            note = ('kmemleak file %s not present: leak scan results not '
                    'checked' % args.kmemleak)
        except OSError as e:
            raise UsageError('cannot read %s: %s' % (args.kmemleak,
                                                     e.strerror or e))
        if kmemleak is not None and kmemleak.strip() and \
                'unreferenced object' not in kmemleak:
            note = ('kmemleak file has content but no "unreferenced object" '
                    'entries: %s' % _cut(kmemleak.strip().splitlines()[0]))

    count_only = None
    if args.count_suites_file:
        count_only = set(load_expected(args.count_suites_file, []))
    v = evaluate(dmesg, kmemleak, expected, ignores, note)
    stdout.write(render(v, label, args.baseline, args.dmesg, args.kmemleak,
                        count_only))
    return EXIT_PASS if v.passed else EXIT_FAIL


def cmd_suites(args, stdout):
    try:
        text = read_text(args.dmesg)
    except OSError as e:
        raise UsageError('cannot read %s: %s' % (args.dmesg, e.strerror or e))
    parser = KtapParser()
    for line in split_log(text):
        parser.feed(line)
    parser.finish()
    suites = summarise_suites(parser)
    if args.names:
        seen = set()
        for s in suites:
            if s.name not in seen:
                seen.add(s.name)
                stdout.write(s.name + '\n')
    else:
        for s in suites:
            stdout.write(_suite_row(s).strip() + '  (line %d)\n' % s.line)
            for path, r in s.failures:
                stdout.write('    not ok %s\n' % path)
    if not suites:
        sys.stderr.write('smbfs_gate: no KTAP suite results in %s\n'
                         % args.dmesg)
    return EXIT_PASS


def main(argv=None, stdout=None):
    stdout = stdout or sys.stdout
    args = build_argparser().parse_args(argv)
    try:
        if args.command == 'check':
            return cmd_check(args, stdout)
        return cmd_suites(args, stdout)
    except UsageError as e:
        sys.stderr.write('smbfs_gate: error: %s\n' % e)
        return EXIT_USAGE


if __name__ == '__main__':
    sys.exit(main())
