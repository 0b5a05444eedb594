#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests for smbfs_gate.py.

Run from the repository root with either of:
    python3 -m unittest discover -s tools/testing/gate -v
    python3 tools/testing/gate/test_gate.py

Every fixture test asserts both the verdict and the exact set of failure
kinds, so a report that is missed, misclassified or counted twice fails.
"""

import contextlib
import io
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import smbfs_gate  # noqa: E402

GATE = os.path.join(HERE, 'smbfs_gate.py')
FIXTURES = os.path.join(HERE, 'fixtures')
EXPECTED = os.path.join(FIXTURES, 'expected-suites.txt')

FINAL_RE = re.compile(
    r'^GATE (?P<label>\S+): (?P<verdict>PASS|FAIL)'
    r'(?: \((?P<baseline>baseline: kernel/server, not smbfs: )?'
    r'(?P<count>\d+) problems: (?P<kinds>[^)]*)\))?$')

BANNER = '[    0.000000] Linux version 7.3.0-smbfs-debug (builder@trixie) #1 SMP\n'


def fixture(name):
    return os.path.join(FIXTURES, name)


def read_fixture(name):
    with open(fixture(name), encoding='utf-8', newline='') as f:
        return f.read()


def run_gate(*args):
    """Run the gate in-process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            rc = smbfs_gate.main(list(args), stdout=out)
        except SystemExit as e:
            rc = e.code
    return rc, out.getvalue(), err.getvalue()


def final_line(output):
    lines = output.rstrip('\n').split('\n')
    m = FINAL_RE.match(lines[-1])
    if not m:
        raise AssertionError('last line is not a verdict: %r' % lines[-1])
    return m


class GateTestCase(unittest.TestCase):

    def assertVerdict(self, dmesg, passed, kinds=(), *extra, expect=True,
                      problems=None, baseline=False):
        """Check a run: exit code, verdict line, exact kinds, count."""
        args = ['check', '--dmesg', dmesg if os.path.isabs(dmesg)
                else fixture(dmesg), '--label', 't']
        if expect:
            args += ['--expect-suites-file', EXPECTED]
        args += list(extra)
        rc, out, err = run_gate(*args)
        m = final_line(out)
        self.assertEqual(m.group('verdict'), 'PASS' if passed else 'FAIL',
                         out)
        self.assertEqual(rc, 0 if passed else 1, out + err)
        found = set()
        if m.group('kinds'):
            found = {k.strip() for k in m.group('kinds').split(',')}
        want = {('baseline:' + k) if baseline else k for k in kinds}
        self.assertEqual(found, want, out)
        self.assertEqual(bool(m.group('baseline')), baseline and not passed)
        if problems is not None:
            self.assertEqual(int(m.group('count')), problems, out)
        return out

    def write_tmp(self, text, name='dmesg.txt'):
        tmp = tempfile.TemporaryDirectory(prefix='gate-test-')
        self.addCleanup(tmp.cleanup)
        path = os.path.join(tmp.name, name)
        with open(path, 'w', encoding='utf-8', newline='') as f:
            f.write(text)
        return path


class FixtureTests(GateTestCase):
    """The recorded guest logs under fixtures/."""

    def test_clean_run_passes(self):
        out = self.assertVerdict('clean.txt', True)
        for suite in ('rust_doctests_kernel', 'rust_kernel_kvec',
                      'smbproto_header', 'smbproto_utf16', 'smbxprt_credits',
                      'smbxprt_rdma'):
            self.assertIn(suite, out)
        self.assertRegex(out, r'PASS +smbproto_header +pass 3  fail 0  '
                         r'skip 1  total 4')
        self.assertRegex(out, r'SKIP +smbxprt_rdma')
        self.assertIn('whole suites skipped (not a failure): smbxprt_rdma',
                      out)
        self.assertIn('expected 6 suite(s): 6 found, 0 missing', out)
        self.assertIn('GATE-COUNTS pass=17 fail=0 skip=3 suites=6\n', out)
        only = self.write_tmp('smbproto_header\nsmbxprt_rdma\n', 'count.txt')
        out = self.assertVerdict('clean.txt', True, (), '--count-suites-file',
                                 only)
        self.assertIn('GATE-COUNTS pass=3 fail=0 skip=3 suites=2\n', out)

    def test_clean_run_structure(self):
        v = smbfs_gate.evaluate(read_fixture('clean.txt'))
        got = [(s.name, s.status, s.counts) for s in v.suites]
        self.assertEqual(got, [
            ('rust_doctests_kernel', 'PASS', (4, 0, 0, 4)),
            ('rust_kernel_kvec', 'PASS', (3, 0, 0, 3)),
            ('smbproto_header', 'PASS', (3, 0, 1, 4)),
            ('smbproto_utf16', 'PASS', (3, 0, 0, 3)),
            ('smbxprt_credits', 'PASS', (4, 0, 0, 4)),
            ('smbxprt_rdma', 'SKIP', (0, 0, 2, 2)),
        ])
        self.assertEqual(v.problems, [])

    def _summary(self, name):
        v = smbfs_gate.evaluate(read_fixture(name))
        return ([(s.name, s.status, s.counts,
                  [(p, r.diag) for p, r in s.failures]) for s in v.suites],
                [(p.kind, p.title, p.context if p.kind == 'ktap' else None)
                 for p in v.problems])

    def test_variants_parse_identically(self):
        clean = self._summary('clean.txt')
        for name in ('clean-notime.txt', 'clean-crlf.txt',
                     'clean-caller.txt'):
            with self.subTest(variant=name):
                self.assertEqual(self._summary(name), clean)
                self.assertVerdict(name, True)
        failed = self._summary('ktap-fail.txt')
        for name in ('ktap-fail-notime.txt', 'ktap-fail-crlf.txt'):
            with self.subTest(variant=name):
                self.assertEqual(self._summary(name), failed)
                self.assertVerdict(name, False, {'ktap'}, problems=2)

    def test_crlf_fixture_really_has_crlf(self):
        with open(fixture('clean-crlf.txt'), 'rb') as f:
            data = f.read()
        self.assertIn(b'\r\n', data)
        self.assertIn(b'\x1b[', data)
        notime = read_fixture('clean-notime.txt')
        self.assertNotRegex(notime, r'\[\s*\d+\.\d+\]')

    def test_failed_assertion(self):
        out = self.assertVerdict('ktap-fail.txt', False, {'ktap'}, problems=2)
        self.assertRegex(out, r'GATE-COUNTS pass=\d+ fail=[1-9]\d* ')
        self.assertIn('smbproto_utf16.utf16_surrogate_pair: not ok', out)
        self.assertIn('# utf16_surrogate_pair: EXPECTATION FAILED at '
                      'rust/smbproto/src/proto/utf16.rs:212', out)
        self.assertIn('Expected units.len() == 2, but', out)
        self.assertIn('    units.len() == 1 (0x1)', out)
        # A failing parameter is named down to the parameter; its parents
        # (the test and the suite) are not counted again.
        self.assertIn('smbproto_header.header_roundtrip.SMB2_WRITE: not ok',
                      out)
        self.assertNotIn('smbproto_header: not ok', out)
        self.assertRegex(out, r'FAIL +smbproto_utf16 +pass 2  fail 1')

    def test_missing_expected_suite(self):
        out = self.assertVerdict('missing-suite.txt', False,
                                 {'missing-suite'}, problems=2)
        self.assertIn('expected KUnit suite smbxprt_credits was not run', out)
        self.assertIn('2 missing: smbxprt_credits, smbxprt_rdma', out)
        # Without an expected list nothing is known to be missing.
        self.assertVerdict('missing-suite.txt', True, expect=False)
        # One more expected name than a clean run provides.
        self.assertVerdict('clean.txt', False, {'missing-suite'},
                           '--expect-suite', 'smbfs_mount', problems=1)

    def test_incomplete_suite(self):
        out = self.assertVerdict('incomplete-suite.txt', False, {'ktap'},
                                 expect=False, problems=1)
        self.assertIn('incomplete suite smbxprt_credits', out)
        self.assertIn('stopped inside smbxprt_credits.credits_charge', out)
        self.assertRegex(out, r'INCOMPLETE +smbxprt_credits')
        # A suite that started is incomplete, not missing.
        self.assertVerdict('incomplete-suite.txt', False, {'ktap'},
                           '--expect-suite', 'smbxprt_credits',
                           expect=False, problems=1)
        self.assertVerdict('incomplete-suite.txt', False,
                           {'ktap', 'missing-suite'}, problems=2)

    def test_kunit_disabled(self):
        # kunit.enable=0: each module load prints a KTAP header and plan,
        # then "kunit: disabled". Not a short document, and said so.
        out = self.assertVerdict('kunit-disabled.txt', True, expect=False)
        self.assertIn('KUnit was disabled in this boot', out)
        self.assertIn('(no KTAP results found)', out)
        # Expected suites are still expected: disabling KUnit cannot hide
        # them.
        self.assertVerdict('kunit-disabled.txt', False, {'missing-suite'},
                           problems=len([
                               n for n in read_fixture('expected-suites.txt')
                               .split('\n') if n and not n.startswith('#')]))
        # A real short document is still one.
        text = read_fixture('kunit-disabled.txt').replace(
            '1..1\n[   18.933082] kunit: disabled', '1..1')
        with tempfile.NamedTemporaryFile('w', suffix='.txt') as f:
            f.write(text)
            f.flush()
            self.assertVerdict(f.name, False, {'ktap'}, expect=False,
                               problems=1)

    def test_whole_report_ignore(self):
        # The early-boot KASAN report fails a run...
        out = self.assertVerdict('early-boot-kasan.txt', False, {'kasan'},
                                 problems=1)
        self.assertIn('wild-memory-access in do_raw_spin_lock', out)
        # ...unless the repository's ignore list names its whole path.
        ign = os.path.join(HERE, 'ignore.txt')
        out = self.assertVerdict('early-boot-kasan.txt', True,
                                 (), '--ignore-file', ign)
        self.assertIn('Ignored by the ignore list (1)', out)
        # The same header from another path is not ignored.
        text = read_fixture('early-boot-kasan.txt').replace(
            'identify_boot_cpu+', 'smb_xprt_call+')
        with tempfile.NamedTemporaryFile('w', suffix='.txt') as f:
            f.write(text)
            f.flush()
            self.assertVerdict(f.name, False, {'kasan'}, '--ignore-file',
                               ign, problems=1)

    def test_warning(self):
        out = self.assertVerdict('warning.txt', False, {'warning'},
                                 problems=1)
        self.assertIn('WARNING: fs/netfs/write_collect.c:374 at '
                      'netfs_write_collection', out)
        self.assertIn('[ cut here ]', out)       # context starts at cut here

    def test_kasan(self):
        out = self.assertVerdict('kasan.txt', False, {'kasan'}, problems=1)
        self.assertIn('BUG: KASAN: slab-use-after-free in', out)
        self.assertIn('Read of size 8 at addr', out)

    def test_ubsan(self):
        out = self.assertVerdict('ubsan.txt', False, {'ubsan'}, problems=1)
        self.assertIn('UBSAN: array-index-out-of-bounds in '
                      'fs/smb/server/smb2pdu.c:4712:22', out)

    def test_lockdep_circular_is_lockdep_not_warning(self):
        out = self.assertVerdict('lockdep.txt', False, {'lockdep'},
                                 problems=1)
        self.assertIn('possible circular locking dependency detected', out)

    def test_atomic_sleep(self):
        self.assertVerdict('atomic-sleep.txt', False, {'atomic-sleep'},
                           problems=1)

    def test_kmemleak_in_dmesg(self):
        out = self.assertVerdict('kmemleak-dmesg.txt', False, {'kmemleak'},
                                 problems=1)
        self.assertIn('2 new suspected memory leaks', out)

    def test_kmemleak_file(self):
        out = self.assertVerdict('clean.txt', False, {'kmemleak'},
                                 '--kmemleak', fixture('kmemleak.txt'),
                                 problems=2)
        self.assertIn('leaked object 0xffff888104f3c200, size 192 bytes '
                      '(comm "mount", pid 402)', out)
        self.assertIn('size 64 bytes', out)
        self.assertIn('_RNvMNtCs6yG1kq2v0Hd_9smbclient4treeNtB2_4Tree7connect'
                      '+0x9c/0x620 [smbclient]', out)

    def test_kmemleak_file_empty_or_absent(self):
        self.assertVerdict('clean.txt', True, (), '--kmemleak',
                           fixture('kmemleak-empty.txt'))
        out = self.assertVerdict('clean.txt', True, (), '--kmemleak',
                                 fixture('no-such-kmemleak.txt'))
        self.assertIn('not present', out)

    def test_null_deref_and_oops_are_one_crash(self):
        out = self.assertVerdict('null-deref.txt', False, {'bug'},
                                 problems=1)
        self.assertIn('BUG: kernel NULL pointer dereference, address: '
                      '0000000000000018', out)
        self.assertIn('(followed by: Oops: Oops: 0000 [#1]', out)

    def test_general_protection_fault_is_oops(self):
        self.assertVerdict('gpf.txt', False, {'oops'}, problems=1)

    def test_hung_task(self):
        out = self.assertVerdict('hung-task.txt', False, {'hung-task'},
                                 problems=1)
        self.assertIn('INFO: task mount:402 blocked for more than 122 '
                      'seconds.', out)

    def test_rcu_stall(self):
        self.assertVerdict('rcu-stall.txt', False, {'rcu-stall'}, problems=1)

    def test_soft_lockup(self):
        self.assertVerdict('soft-lockup.txt', False, {'soft-lockup'},
                           problems=1)

    def test_panic(self):
        out = self.assertVerdict('panic.txt', False, {'panic'}, problems=1)
        self.assertIn('Attempted to kill init!', out)

    def test_rust_panic(self):
        out = self.assertVerdict('rust-panic.txt', False, {'bug'}, problems=1)
        self.assertIn('rust_kernel: panicked at fs/smbfs/dir.rs:141:33: index '
                      'out of bounds: the len is 4 but the index is 4', out)

    def test_refcount_reported_once(self):
        out = self.assertVerdict('refcount.txt', False, {'refcount'},
                                 problems=1)
        self.assertIn('refcount_t: underflow; use-after-free.', out)

    def test_log_lost(self):
        out = self.assertVerdict('log-lost.txt', False, {'log-lost'},
                                 expect=False, problems=1)
        self.assertIn('log_buf_len', out)

    def test_ignore_file_suppresses_matching_report(self):
        ignore = self.write_tmp('# server bug, tracked upstream\n'
                                r'UBSAN: array-index-out-of-bounds in '
                                r'fs/smb/server/smb2pdu\.c:\d+' '\n',
                                'ignore.txt')
        out = self.assertVerdict('ubsan.txt', True, (), '--ignore-file',
                                 ignore)
        self.assertIn('== Ignored by the ignore list (1) ==', out)
        self.assertIn('smb2pdu', out.split('== Ignored')[1])
        # A pattern for something else suppresses nothing.
        other = self.write_tmp('^WARNING: .*netfs\n', 'other.txt')
        self.assertVerdict('ubsan.txt', False, {'ubsan'}, '--ignore-file',
                           other)
        # Only the matching report is ignored, the rest still fails.
        self.assertVerdict('refcount.txt', False, {'refcount'},
                           '--ignore-file', ignore)

    def test_ignore_file_matches_kmemleak_backtrace(self):
        ignore = self.write_tmp(r'smbproto5proto5utf168to_utf16' '\n',
                                'ignore.txt')
        self.assertVerdict('clean.txt', False, {'kmemleak'}, '--kmemleak',
                           fixture('kmemleak.txt'), '--ignore-file', ignore,
                           problems=1)

    def test_shipped_ignore_file_is_valid(self):
        self.assertVerdict('clean.txt', True, (), '--ignore-file',
                           os.path.join(HERE, 'ignore.txt'))
        self.assertVerdict('warning.txt', False, {'warning'},
                           '--ignore-file', os.path.join(HERE, 'ignore.txt'))

    def test_baseline(self):
        out = self.assertVerdict('ubsan.txt', False, {'ubsan'}, '--baseline',
                                 expect=False, baseline=True, problems=1)
        self.assertEqual(out.rstrip().split('\n')[-1],
                         'GATE t: FAIL (baseline: kernel/server, not smbfs: '
                         '1 problems: baseline:ubsan)')
        self.assertIn('[1] baseline:ubsan: UBSAN:', out)
        self.assertVerdict('clean.txt', True, (), '--baseline', expect=False)

    def test_empty_dmesg(self):
        out = self.assertVerdict('empty.txt', False, {'ktap'}, expect=False,
                                 problems=1)
        self.assertIn('kernel log is empty', out)
        self.assertVerdict('empty.txt', False, {'ktap', 'missing-suite'},
                           problems=7)
        out = self.assertVerdict('no-such-dmesg.txt', False, {'ktap'},
                                 expect=False, problems=1)
        self.assertIn('kernel log is missing', out)
        blank = self.write_tmp('\r\n\n  \n')
        self.assertVerdict(blank, False, {'ktap'}, expect=False, problems=1)

    def test_wrong_expectation_fails(self):
        # The assertions above are able to fail: each wrong expectation
        # below must be caught.
        with self.assertRaises(AssertionError):
            self.assertVerdict('lockdep.txt', False, {'lockdep', 'warning'})
        with self.assertRaises(AssertionError):
            self.assertVerdict('lockdep.txt', False, {'warning'})
        with self.assertRaises(AssertionError):
            self.assertVerdict('clean.txt', False, {'ktap'})
        with self.assertRaises(AssertionError):
            self.assertVerdict('null-deref.txt', False, {'bug'}, problems=2)
        with self.assertRaises(AssertionError):
            self.assertVerdict('ubsan.txt', False, {'ubsan'}, '--baseline',
                               expect=False)


class ParserTests(GateTestCase):
    """Small hand-written logs for the corners of KTAP and report parsing."""

    def check_text(self, text, *extra, **kw):
        path = self.write_tmp(text)
        return self.assertVerdict(path, *extra, expect=False, **kw)

    def test_tap14_with_tabs_and_hyphens(self):
        log = BANNER + (
            '[    0.060000] TAP version 14\n'
            '[    0.060000] \t# Subtest: kunit-resource-test\n'
            '[    0.060000] \t1..2\n'
            '[    0.060000] \tok 1 - kunit_resource_test_init_resources\n'
            '[    0.060000] \tok 2 - kunit_resource_test_alloc_resource\n'
            '[    0.060000] ok 1 - kunit-resource-test\n'
            '[    0.060000] \t# Subtest: string-stream-test\n'
            '[    0.060000] \t1..1\n'
            '[    0.060000] \tnot ok 1 - string_stream_test_get_string\n'
            '[    0.060000] not ok 2 - string-stream-test\n')
        out = self.check_text(log, False, {'ktap'}, problems=1)
        self.assertIn('string-stream-test.string_stream_test_get_string: '
                      'not ok', out)
        self.assertRegex(out, r'PASS +kunit-resource-test +pass 2')

    def test_plan_mismatch(self):
        log = BANNER + (
            'KTAP version 1\n1..1\n'
            '    KTAP version 1\n    # Subtest: short\n    1..3\n'
            '    ok 1 a\n    ok 2 b\n'
            'ok 1 short\n')
        out = self.check_text(log, False, {'ktap'}, problems=1)
        self.assertIn('short: plan 1..3 but 2 result(s)', out)
        log = BANNER + 'KTAP version 1\n1..2\n' \
            '    # Subtest: only\n    1..1\n    ok 1 a\nok 1 only\n'
        out = self.check_text(log, False, {'ktap'}, problems=1)
        self.assertIn('plan 1..2 but 1 suite result(s)', out)

    def test_batches_restart_numbering(self):
        batch = ('KTAP version 1\n1..1\n'
                 '    KTAP version 1\n    # Subtest: %s\n    1..1\n'
                 '    ok 1 t\nok 1 %s\n')
        log = BANNER + batch % ('one', 'one') + 'insmod noise\n' \
            + batch % ('two', 'two')
        self.check_text(log, True)
        # A module batch without a KTAP header (older kernels).
        log = BANNER + batch % ('one', 'one') \
            + '    # Subtest: two\n    1..1\n    ok 1 t\nok 1 two\n'
        self.check_text(log, True)
        v = smbfs_gate.evaluate(log)
        self.assertEqual([s.name for s in v.suites], ['one', 'two'])

    def test_next_batch_closes_incomplete_suite(self):
        log = BANNER + (
            'KTAP version 1\n1..1\n'
            '    KTAP version 1\n    # Subtest: crashed\n    1..2\n'
            '    ok 1 a\n'
            'KTAP version 1\n1..1\n'
            '    KTAP version 1\n    # Subtest: later\n    1..1\n'
            '    ok 1 a\nok 1 later\n')
        out = self.check_text(log, False, {'ktap'}, problems=1)
        self.assertIn('incomplete suite crashed', out)
        self.assertRegex(out, r'PASS +later')

    def test_result_name_mismatch_means_incomplete(self):
        log = BANNER + (
            'KTAP version 1\n1..1\n'
            '    # Subtest: alpha\n    1..1\n'
            'ok 1 beta\n')
        out = self.check_text(log, False, {'ktap'})
        self.assertIn('incomplete suite alpha', out)

    def test_bail_out(self):
        log = BANNER + 'KTAP version 1\n1..1\n    # Subtest: s\n' \
            '    Bail out! out of memory\n'
        out = self.check_text(log, False, {'ktap'})
        self.assertIn('bail out at s: out of memory', out)

    def test_not_ok_with_skip_directive_is_failure(self):
        log = BANNER + 'KTAP version 1\n1..1\n    # Subtest: s\n    1..1\n' \
            '    not ok 1 t # SKIP not really\nnot ok 1 s\n'
        self.check_text(log, False, {'ktap'}, problems=1)

    def test_ok_suite_with_failing_child_fails(self):
        log = BANNER + 'KTAP version 1\n1..1\n    # Subtest: s\n    1..1\n' \
            '    not ok 1 t\nok 1 s\n'
        out = self.check_text(log, False, {'ktap'}, problems=1)
        self.assertRegex(out, r'FAIL +s ')

    def test_timeout_directive_is_failure(self):
        log = BANNER + 'KTAP version 1\n1..1\n' \
            'not ok 1 slow_suite # TIMEOUT 300s\n'
        out = self.check_text(log, False, {'ktap'}, problems=1)
        self.assertIn('slow_suite: not ok # TIMEOUT 300s', out)

    def test_skipped_suite_is_listed_not_failed(self):
        log = BANNER + 'KTAP version 1\n1..1\n' \
            'ok 1 rdma # SKIP no hardware\n'
        out = self.check_text(log, True)
        self.assertIn('(skipped: no hardware)', out)

    def test_interleaved_noise_inside_ktap(self):
        log = BANNER + (
            '[    1.000000] KTAP version 1\n'
            '[    1.000001] 1..1\n'
            '[    1.000002]     KTAP version 1\n'
            '[    1.000003]     # Subtest: s\n'
            '[    1.000004]     1..2\n'
            '[    1.000005] random: crng init done\n'
            '[    1.000006]        CPU0                    CPU1\n'
            '[    1.000007]  ? dump_stack_lvl+0x1/0x2\n'
            '[    1.000008]     ok 1 a\n'
            '[    1.000009] virtio_net virtio0 enp0s3: Link is Up\n'
            '[    1.000010]         KTAP version 1\n'
            '[    1.000011]         # Subtest: p\n'
            '[    1.000012] EXT4-fs (vda): re-mounted.\n'
            '[    1.000013]         ok 1 p1\n'
            '[    1.000014]     ok 2 p\n'
            '[    1.000015] ok 1 s\n')
        self.check_text(log, True)
        v = smbfs_gate.evaluate(log)
        self.assertEqual([(s.name, s.counts) for s in v.suites],
                         [('s', (2, 0, 0, 2))])

    def test_report_names_running_suite(self):
        log = BANNER + (
            '[    1.0] KTAP version 1\n[    1.0] 1..1\n'
            '[    1.0]     # Subtest: smbxprt_credits\n[    1.0]     1..1\n'
            '[    1.1] ------------[ cut here ]------------\n'
            '[    1.1] WARNING: CPU: 0 PID: 9 at net/core/sock.c:1 f+0x1/0x2\n'
            '[    1.2]     ok 1 t\n[    1.2] ok 1 smbxprt_credits\n')
        out = self.check_text(log, False, {'warning'}, problems=1)
        self.assertIn('[while KUnit suite smbxprt_credits was running]', out)

    def test_printk_messages_dropped_is_log_lost(self):
        log = BANNER + '** 42 printk messages dropped **\n'
        self.check_text(log, False, {'log-lost'}, problems=1)

    def test_generic_lockdep_report_under_ruler(self):
        log = BANNER + ('[    2.0] \n[    2.0] ========================\n'
                        '[    2.0] WARNING: some new lock check fired!\n'
                        '[    2.0] 7.3.0 #1 Not tainted\n')
        self.check_text(log, False, {'lockdep'}, problems=1)
        # A ruler-framed WARNING that is not about locking stays a warning.
        log = BANNER + ('[    2.0] ========================\n'
                        '[    2.0] WARNING: The mand mount option has been '
                        'deprecated and\n')
        self.check_text(log, False, {'warning'}, problems=1)
        for header in ('[ BUG: Invalid wait context ]',
                       'BUG: held lock freed!',
                       'WARNING: suspicious RCU usage',
                       'WARNING: possible recursive locking detected',
                       'WARNING: inconsistent lock state',
                       'WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order '
                       'detected',
                       'WARNING: possible irq lock inversion dependency '
                       'detected',
                       'WARNING: lock held when returning to user space!',
                       'WARNING: held lock freed!',
                       'WARNING: bad unlock balance detected!',
                       'INFO: trying to register non-static key.',
                       '[ INFO: possible circular locking dependency '
                       'detected ]',
                       'BUG: spinlock bad magic on CPU#0, swapper/0/1'):
            with self.subTest(header=header):
                self.check_text(BANNER + header + '\n', False, {'lockdep'},
                                problems=1)

    def test_header_kinds(self):
        cases = {
            'BUG: scheduling while atomic: kworker/0:1/12/0x00000002':
                'atomic-sleep',
            'BUG: workqueue lockup - pool cpus=0 node=0 flags=0x0 nice=0 '
            'stuck for 33s!': 'hung-task',
            'rcu: INFO: rcu_sched self-detected stall on CPU': 'rcu-stall',
            'INFO: rcu_sched detected stalls on CPUs/tasks:': 'rcu-stall',
            'watchdog: Watchdog detected hard LOCKUP on cpu 1':
                'soft-lockup',
            'BUG: KFENCE: use-after-free read in f+0x1/0x2': 'kfence',
            'UBSAN: Undefined behaviour in fs/x.c:1:2': 'ubsan',
            'kernel BUG at fs/smbfs/inode.c:12!': 'bug',
            'BUG: unable to handle page fault for address: ffffffffffffffe8':
                'bug',
            'BUG kmalloc-64 (Not tainted): Poison overwritten': 'bug',
            'BUG: Dentry 0000000012345678{i=2,n=/}  still in use (1) '
            '[unmount of smbfs smbfs]': 'bug',
            'Unable to handle kernel NULL pointer dereference at virtual '
            'address 0000000000000008': 'bug',
            'WARNING: at fs/smbfs/file.c:3 f+0x1/0x2, CPU#0: dd/12': 'warning',
            'Oops: 0000 [#1] PREEMPT SMP NOPTI': 'oops',
            'invalid opcode: 0000 [#1] SMP': 'oops',
            'Internal error: Oops: 0000000096000005 [#1] PREEMPT SMP': 'oops',
            'kmemleak: 1 new suspected memory leaks (see '
            '/sys/kernel/debug/kmemleak)': 'kmemleak',
            'refcount_t: saturated; leaking memory.': 'refcount',
            'Kernel panic - not syncing: Fatal exception': 'panic',
        }
        for header, kind in cases.items():
            with self.subTest(header=header):
                self.check_text(BANNER + '[    3.100000] ' + header + '\n',
                                False, {kind}, problems=1)

    def test_benign_lines_are_not_reports(self):
        log = BANNER + (
            'RETBleed: WARNING: Spectre v2 mitigation leaves CPU vulnerable\n'
            'INFO: lockdep is turned off.\n'
            'ACPI BIOS Error (bug): Could not resolve symbol\n'
            '---[ end Kernel panic - not syncing: x ]---\n'
            'smbfs: retrying after STATUS_NETWORK_SESSION_EXPIRED\n'
            '    # test: pointer was not ok\n'
            'kmemleak: Automatic memory scanning thread ended\n')
        self.check_text(log, True)

    def test_refcount_message_after_new_style_warning(self):
        log = BANNER + (
            '[    4.0] WARNING: lib/refcount.c:28 at refcount_warn_saturate'
            '+0x13a/0x210, CPU#1: umount/402\n'
            '[    4.0] refcount_t: addition on 0; use-after-free.\n'
            '[    4.0] Modules linked in: smbfs(O)\n')
        self.check_text(log, False, {'refcount'}, problems=1)

    def test_kinds_in_canonical_order(self):
        kasan = read_fixture('kasan.txt')
        log = read_fixture('warning.txt') + kasan[kasan.index(
            '[    4.518330] ====='):]
        out = self.check_text(log, False, {'kasan', 'warning'}, problems=2)
        self.assertTrue(out.rstrip().endswith('(2 problems: kasan, '
                                              'warning)'))

    def test_many_problems_are_summarised(self):
        warn = ('[    5.000000] WARNING: CPU: 0 PID: 1 at fs/x.c:%d f+0x1/0x2'
                '\n')
        log = BANNER + ''.join(warn % n for n in range(60))
        out = self.check_text(log, False, {'warning'}, problems=60)
        self.assertIn('... and 20 more: 20 warning', out)

    def test_dmesg_continuation_lines(self):
        lines = smbfs_gate.split_log(
            '[ 1334.988442] \n'
            '               but task is already holding lock:\n'
            '[    0.1] next\n'
            'unprefixed line\n')
        self.assertEqual([(l.msg, l.cont) for l in lines], [
            ('', False),
            ('but task is already holding lock:', True),
            ('next', False),
            ('unprefixed line', False)])

    def test_prefix_forms(self):
        for raw in ('[    1.234567] BUG: KASAN: x in f',
                    '<3>[    1.234567] BUG: KASAN: x in f',
                    '[    1.234567][    T1] BUG: KASAN: x in f',
                    '[  T661] BUG: KASAN: x in f',
                    '[Tue Jun  2 09:14:07 2026] BUG: KASAN: x in f',
                    '2026-06-02T09:14:07,123456+00:00 BUG: KASAN: x in f',
                    '3,512,1234567,-;BUG: KASAN: x in f',
                    'kern  :err   : [    1.234567] BUG: KASAN: x in f',
                    'BUG: KASAN: x in f'):
            with self.subTest(raw=raw):
                self.assertEqual(smbfs_gate.split_log(raw)[0].msg,
                                 'BUG: KASAN: x in f')


class CliTests(GateTestCase):

    def test_suites_command(self):
        rc, out, err = run_gate('suites', '--dmesg', fixture('ktap-fail.txt'))
        self.assertEqual(rc, 0)
        self.assertRegex(out, r'FAIL +smbproto_utf16 ')
        self.assertIn('not ok smbproto_utf16.utf16_surrogate_pair', out)
        rc, out, err = run_gate('suites', '--names', '--dmesg',
                                fixture('clean.txt'))
        self.assertEqual(rc, 0)
        self.assertEqual(out.split(), [
            'rust_doctests_kernel', 'rust_kernel_kvec', 'smbproto_header',
            'smbproto_utf16', 'smbxprt_credits', 'smbxprt_rdma'])
        rc, out, err = run_gate('suites', '--dmesg', fixture('empty.txt'))
        self.assertEqual((rc, out), (0, ''))
        self.assertIn('no KTAP suite results', err)

    def test_usage_errors_exit_2(self):
        self.assertEqual(run_gate()[0], 2)
        self.assertEqual(run_gate('check')[0], 2)
        self.assertEqual(run_gate('frobnicate')[0], 2)
        rc, out, err = run_gate('check', '--dmesg', fixture('clean.txt'),
                                '--expect-suite', 'rust_doctests_*')
        self.assertEqual(rc, 2)
        self.assertIn('no globs', err)
        bad = self.write_tmp('valid\n(unclosed\n', 'ignore.txt')
        rc, out, err = run_gate('check', '--dmesg', fixture('clean.txt'),
                                '--ignore-file', bad)
        self.assertEqual(rc, 2)
        self.assertIn(':2: bad regex', err)
        rc, out, err = run_gate('check', '--dmesg', fixture('clean.txt'),
                                '--expect-suites-file', fixture('nope.txt'))
        self.assertEqual(rc, 2)
        rc, out, err = run_gate('suites', '--dmesg', fixture('nope.txt'))
        self.assertEqual(rc, 2)

    def test_expected_suites_file_format(self):
        path = self.write_tmp('# comment\n\n  smbproto_header  \n'
                              'smbproto_utf16 # trailing comment\n'
                              'smbproto_header\n', 'expected.txt')
        self.assertEqual(smbfs_gate.load_expected([path], ['extra']),
                         ['extra', 'smbproto_header', 'smbproto_utf16'])

    def test_default_label_is_results_directory(self):
        rc, out, err = run_gate('check', '--dmesg', fixture('clean.txt'))
        self.assertEqual(out.rstrip().split('\n')[-1], 'GATE fixtures: PASS')

    def test_runs_as_a_script(self):
        self.assertTrue(os.access(GATE, os.X_OK), 'smbfs_gate.py must be '
                        'executable')
        with open(GATE, encoding='utf-8') as f:
            self.assertEqual(f.readline(), '#!/usr/bin/env python3\n')
        for name, rc in (('clean.txt', 0), ('kasan.txt', 1)):
            p = subprocess.run(
                [sys.executable, GATE, 'check', '--dmesg', fixture(name),
                 '--expect-suites-file', EXPECTED, '--label', 'sub'],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                universal_newlines=True, check=False)
            self.assertEqual(p.returncode, rc, p.stdout + p.stderr)
            self.assertTrue(p.stdout.rstrip().split('\n')[-1].startswith(
                'GATE sub: ' + ('PASS' if rc == 0 else 'FAIL')))

    def test_every_file_has_spdx_header(self):
        for name in ('smbfs_gate.py', 'test_gate.py', 'ignore.txt',
                     'README.md', 'fixtures/expected-suites.txt'):
            with open(os.path.join(HERE, name), encoding='utf-8') as f:
                head = f.read(300)
            self.assertIn('SPDX-License-Identifier: GPL-2.0', head, name)


if __name__ == '__main__':
    unittest.main(verbosity=2)
