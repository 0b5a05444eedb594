#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A fake SMB2 server that misbehaves on purpose, for the transport's fault
tests (tools/testing/guest/xprt-faults.sh). It answers NEGOTIATE (SMB 2.1,
no security blob) and ECHO, and breaks the rules the way SCENARIO says.

    fakesmb.py SCENARIO PORT LOGFILE
    fakesmb.py --control FILE PORT LOGFILE

With --control, the scenario is read from FILE ("SCENARIO [TAG]") each time
a connection is accepted, so one server process serves a whole test run;
connections are numbered from 1 again whenever FILE's content changes.

Scenarios (the first connection misbehaves; later ones, made by the
client's reconnect, behave unless noted):

  normal        plain replies
  bytewise      every ECHO reply is written one byte at a time, each byte
                its own TCP segment
  batch         ECHO replies are held until 8 are due (or 300 ms pass), then
                written together in one segment
  unknown-mid   each ECHO reply is preceded by a reply to a MessageId the
                client never used (every connection)
  malformed     once 8 ECHOs are in (or 5 s pass): a frame whose header
                has a bad protocol id
  oversize      likewise, a frame length of 16 MiB - 16 (the largest a
                direct-TCP length field holds, far above what was negotiated)
  zero-credits  NEGOTIATE grants no credit
  rst           once 8 ECHOs are in (or 5 s pass): half a reply, then a
                TCP reset
  pending       every ECHO gets an interim STATUS_PENDING reply (with an
                AsyncId), and the final reply 1 s later (every connection)
  pending-long  every ECHO gets an interim reply, and never a final one
  silence       ECHOs are never answered (every connection)
  one-credit    every response grants exactly one credit, so requests go
                one at a time (every connection)
  late-create   CREATE is answered with success 2 s late (FileId
                0x1111:MessageId); CLOSE is answered at once
  break         an oplock break notification (MessageId all ones) comes
                before the reply to each connection's first ECHO
  hold          an ECHO whose tag is 77 is never answered; the others are
                (every connection)
  pdu-credit    NEGOTIATE grants 3 credits, then every response PDU grants
                exactly one, also each PDU of a compound (every connection)
  compound-pending  the last ECHO of a compound gets an interim
                STATUS_PENDING reply inside the compound's reply, and its
                final reply alone 1 s later (every connection)

Compounds (MS-SMB2 3.2.4.1.4) of ECHOs are answered with one compound
reply, a response PDU for each request PDU, each 8-byte aligned.

Every event goes to LOGFILE, a line each ("conn 1", "echo conn=1 mid=3 tag=0",
"compound conn=1 pdus=3 mid=4",
"cancel conn=1 mid=3 async=0x..", "reset conn=1", "create conn=1 mid=4
tree=7", "close conn=1 fid=0x1111:0x4 tree=7", ...), so that tests can
assert what the server saw.
"""

import socket
import struct
import sys
import threading
import time

PROTO = b'\xfeSMB'
NEGOTIATE, CREATE, CLOSE, CANCEL, ECHO, OPLOCK_BREAK = 0x0000, 0x0005, 0x0006, 0x000C, 0x000D, 0x0012
FLAG_RESPONSE, FLAG_ASYNC = 0x1, 0x2
STATUS_PENDING = 0x00000103

log_lock = threading.Lock()
log_files = {}


def log(path, line):
    """Appends a line to PATH (kept open: under TCG an open per line costs
    more than the reply it logs). A test that empties the file between
    cases truncates it; appending keeps working at its new end."""
    with log_lock:
        f = log_files.get(path)
        if f is None:
            f = log_files[path] = open(path, 'a')
        f.write(line + '\n')
        f.flush()


def header(cmd, mid, credits, status=0, flags=FLAG_RESPONSE, async_id=None):
    """An SMB2 response header (MS-SMB2 2.2.1)."""
    h = bytearray(64)
    h[0:4] = PROTO
    struct.pack_into('<HHIHHII', h, 4, 64, 0, status, cmd, credits, flags, 0)
    struct.pack_into('<Q', h, 24, mid)
    if async_id is not None:
        struct.pack_into('<Q', h, 32, async_id)
    return bytes(h)


def frame(pdu):
    return struct.pack('>I', len(pdu)) + pdu


def negotiate_response(mid, credits):
    """SMB 2.1, no negotiate contexts, empty security buffer (2.2.4)."""
    body = struct.pack('<HHHH16sIIIIQQHHI', 65, 1, 0x0210, 0,
                       b'fakesmb-guid-000', 0, 65536, 65536, 65536,
                       0, 0, 128, 0, 0)
    return frame(header(NEGOTIATE, mid, credits) + body)


def echo_pdu(mid, credits, status=0, flags=FLAG_RESPONSE, async_id=None):
    body = struct.pack('<HH', 4, 0)
    if status == STATUS_PENDING:
        # An interim response carries an ERROR body (2.2.2).
        body = struct.pack('<HBBI', 9, 0, 0, 0) + b'\0'
    return header(ECHO, mid, credits, status, flags, async_id) + body


def echo_response(mid, credits, status=0, flags=FLAG_RESPONSE, async_id=None):
    return frame(echo_pdu(mid, credits, status, flags, async_id))


def chain(pdus):
    """A compound reply: each PDU's NextCommand leads to the next, 8-byte
    aligned; the related flag on all but the first (2.2.1.2)."""
    out = b''
    for i, p in enumerate(pdus):
        p = bytearray(p)
        last = i + 1 == len(pdus)
        if not last:
            p += bytes((8 - len(p) % 8) % 8)
            struct.pack_into('<I', p, 20, len(p))
        if i:
            (fl,) = struct.unpack_from('<I', p, 16)
            struct.pack_into('<I', p, 16, fl | 0x4)
        out += bytes(p)
    return frame(out)


def create_response(mid, credits, tree_id, file_id):
    """Success, a new file, no create contexts (2.2.14)."""
    h = bytearray(header(CREATE, mid, credits))
    struct.pack_into('<I', h, 36, tree_id)
    body = struct.pack('<HBBIQQQQQQII', 89, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0x80, 0)
    body += struct.pack('<QQII', file_id[0], file_id[1], 0, 0) + b'\0'
    return frame(bytes(h) + body)


def close_response(mid, credits, tree_id):
    h = bytearray(header(CLOSE, mid, credits))
    struct.pack_into('<I', h, 36, tree_id)
    return frame(bytes(h) + struct.pack('<HHIQQQQQQI', 60, 0, 0, 0, 0, 0, 0, 0, 0, 0))


def oplock_break(file_id):
    """An oplock break notification (2.2.23.1): MessageId all ones."""
    h = header(OPLOCK_BREAK, 0xFFFFFFFFFFFFFFFF, 0)
    return frame(h + struct.pack('<HBBIQQ', 24, 0, 0, 0, file_id[0], file_id[1]))


def recv_exact(sock, n):
    buf = b''
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


class Conn:
    """One accepted connection, served under the scenario in force when it
    was accepted."""

    def __init__(self, scenario, logfile, sock, number):
        self.scenario = scenario
        self.logfile = logfile
        self.sock = sock
        self.n = number
        self.lock = threading.Lock()
        self.held = []          # replies held back (batch, break scenarios)
        self.first_held = None
        self.dead = False
        self.broke = False
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log(self, what):
        log(self.logfile, what)

    @property
    def misbehaves(self):
        return self.n == 1 or self.scenario in (
            'unknown-mid', 'pending', 'pending-long', 'silence', 'batch',
            'bytewise', 'one-credit', 'late-create', 'break', 'hold',
            'pdu-credit', 'compound-pending')

    def send(self, data):
        with self.lock:
            if not self.dead:
                self.sock.sendall(data)

    def flush_held(self):
        with self.lock:
            data, self.held, self.first_held = b''.join(self.held), [], None
            if data and not self.dead:
                self.sock.sendall(data)

    def break_connection(self):
        scen = self.scenario
        with self.lock:
            if self.dead:
                return
            self.dead = True
            if scen == 'malformed':
                self.sock.sendall(frame(b'XSMB' + bytes(60) + bytes(4)))
            elif scen == 'oversize':
                self.sock.sendall(struct.pack('>I', 0xFFFFF0) + PROTO + bytes(60))
            elif scen == 'rst':
                self.sock.sendall(b''.join(self.held)[:40])
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     struct.pack('ii', 1, 0))
            self.log('%s conn=%d' % ('reset' if scen == 'rst' else 'broke', self.n))
            self.sock.close()

    def timer(self):
        """Flushes or breaks after a deadline, for held replies."""
        while not self.dead:
            time.sleep(0.05)
            with self.lock:
                due = (self.first_held is not None and
                       time.monotonic() - self.first_held > self.wait_s)
            if due:
                if self.scenario == 'batch':
                    self.flush_held()
                else:
                    self.break_connection()
                    return

    def hold(self, reply, limit):
        with self.lock:
            self.held.append(reply)
            if self.first_held is None:
                self.first_held = time.monotonic()
            full = len(self.held) >= limit
        return full

    def run(self):
        scen = self.scenario
        self.log('conn %d' % self.n)
        if scen in ('batch', 'malformed', 'oversize', 'rst') and self.misbehaves:
            self.wait_s = 0.3 if scen == 'batch' else 5.0
            threading.Thread(target=self.timer, daemon=True).start()
        try:
            while not self.dead:
                lenb = recv_exact(self.sock, 4)
                if lenb is None:
                    break
                (length,) = struct.unpack('>I', lenb)
                pdu = recv_exact(self.sock, length)
                if pdu is None or len(pdu) < 64 or pdu[:4] != PROTO:
                    self.log('bad request conn=%d' % self.n)
                    break
                cmd, credit_req, flags = struct.unpack_from('<HHI', pdu, 12)
                (mid,) = struct.unpack_from('<Q', pdu, 24)
                (next_cmd,) = struct.unpack_from('<I', pdu, 20)
                grant = max(1, min(credit_req, 32))
                if scen in ('one-credit', 'pdu-credit'):
                    grant = 1
                (tree_id,) = struct.unpack_from('<I', pdu, 36)
                if next_cmd:
                    self.compound(pdu)
                    continue
                if cmd == NEGOTIATE:
                    self.log('negotiate conn=%d' % self.n)
                    if scen == 'zero-credits' and self.misbehaves:
                        grant = 0
                    elif scen == 'pdu-credit':
                        grant = 3
                    self.send(negotiate_response(mid, grant))
                elif cmd == CANCEL:
                    async_id = (struct.unpack_from('<Q', pdu, 32)[0]
                                if flags & FLAG_ASYNC else None)
                    self.log('cancel conn=%d mid=%d async=%s' % (
                        self.n, mid, hex(async_id) if async_id is not None else '-'))
                elif cmd == ECHO:
                    (tag,) = struct.unpack_from('<H', pdu, 66)
                    self.log('echo conn=%d mid=%d tag=%d' % (self.n, mid, tag))
                    if scen == 'hold' and tag == 77:
                        self.log('held conn=%d mid=%d' % (self.n, mid))
                        continue
                    self.echo(mid, grant)
                elif cmd == CREATE:
                    self.log('create conn=%d mid=%d tree=%d' % (self.n, mid, tree_id))
                    self.create(mid, grant, tree_id)
                elif cmd == CLOSE:
                    fid = struct.unpack_from('<QQ', pdu, 64 + 8)
                    self.log('close conn=%d fid=%#x:%#x tree=%d' % (
                        self.n, fid[0], fid[1], tree_id))
                    self.send(close_response(mid, grant, tree_id))
                else:
                    self.log('unexpected command %#x conn=%d' % (cmd, self.n))
        except OSError as e:
            self.log('error conn=%d %s' % (self.n, e))
        finally:
            self.log('closed conn=%d' % self.n)
            with self.lock:
                self.dead = True
            try:
                self.sock.close()
            except OSError:
                pass

    def compound(self, data):
        """A compound of ECHOs: one reply with a response PDU for each."""
        pdus, off = [], 0
        while True:
            p = data[off:]
            if len(p) < 68 or p[:4] != PROTO:
                self.log('bad compound conn=%d' % self.n)
                return
            cmd, credit_req, _ = struct.unpack_from('<HHI', p, 12)
            (nxt,) = struct.unpack_from('<I', p, 20)
            (mid,) = struct.unpack_from('<Q', p, 24)
            if cmd != ECHO:
                self.log('unexpected compound command %#x conn=%d' % (cmd, self.n))
                return
            pdus.append((mid, credit_req))
            if not nxt:
                break
            off += nxt
        self.log('compound conn=%d pdus=%d mid=%d' % (self.n, len(pdus), pdus[0][0]))
        scen = self.scenario
        out = []
        for i, (mid, req) in enumerate(pdus):
            grant = 1 if scen in ('one-credit', 'pdu-credit') else max(1, min(req, 32))
            last = i + 1 == len(pdus)
            if scen == 'compound-pending' and last and len(pdus) > 1:
                async_id = 0xA6000000 + mid
                out.append(echo_pdu(mid, grant, STATUS_PENDING,
                                    FLAG_RESPONSE | FLAG_ASYNC, async_id))

                def final(mid=mid, async_id=async_id):
                    time.sleep(1.0)
                    try:
                        self.send(echo_response(mid, 1, 0, FLAG_RESPONSE | FLAG_ASYNC,
                                                async_id))
                        self.log('final conn=%d mid=%d' % (self.n, mid))
                    except OSError:
                        pass
                threading.Thread(target=final, daemon=True).start()
            else:
                out.append(echo_pdu(mid, grant))
        self.send(chain(out))

    def create(self, mid, grant, tree_id):
        reply = create_response(mid, grant, tree_id, (0x1111, mid))
        if self.scenario != 'late-create':
            self.send(reply)
            return

        def late():
            time.sleep(2.0)
            try:
                self.send(reply)
                self.log('created conn=%d mid=%d' % (self.n, mid))
            except OSError:
                pass
        threading.Thread(target=late, daemon=True).start()

    def echo(self, mid, grant):
        scen = self.scenario
        reply = echo_response(mid, grant)
        if scen == 'break' and not self.broke:
            self.broke = True
            self.send(oplock_break((0x2222, 0x3333)))
            self.log('break conn=%d' % self.n)
        if not self.misbehaves or scen in ('normal', 'zero-credits', 'one-credit',
                                           'late-create', 'break', 'hold',
                                           'pdu-credit', 'compound-pending'):
            self.send(reply)
        elif scen == 'bytewise':
            for i in range(len(reply)):
                self.send(reply[i:i + 1])
                time.sleep(0.002)
        elif scen == 'batch':
            if self.hold(reply, 8):
                self.flush_held()
        elif scen == 'unknown-mid':
            self.send(echo_response(0xFFFF0000 + mid, 0) + reply)
        elif scen in ('malformed', 'oversize', 'rst'):
            if self.hold(reply, 8):
                self.break_connection()
        elif scen in ('pending', 'pending-long'):
            async_id = 0xA5000000 + mid
            self.send(echo_response(mid, grant, STATUS_PENDING,
                                    FLAG_RESPONSE | FLAG_ASYNC, async_id))
            if scen == 'pending-long':
                return

            def final():
                time.sleep(1.0)
                try:
                    self.send(echo_response(mid, 1, 0, FLAG_RESPONSE | FLAG_ASYNC,
                                            async_id))
                except OSError:
                    pass
            threading.Thread(target=final, daemon=True).start()
        elif scen == 'silence':
            pass


class Server:
    def __init__(self, scenario, port, logfile, control=None):
        self.scenario = scenario
        self.control = control
        self.logfile = logfile
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', port))
        self.sock.listen(16)

    def serve(self):
        n = 0
        seen = None
        log(self.logfile, 'listening scenario=%s' % self.scenario)
        while True:
            s, _ = self.sock.accept()
            if self.control:
                with open(self.control) as f:
                    text = f.read().strip()
                if text != seen:
                    seen, n = text, 0
                    scen = text.split()[0] if text else 'normal'
                    if scen not in SCENARIOS:
                        scen = 'normal'
                    self.scenario = scen
            n += 1
            conn = Conn(self.scenario, self.logfile, s, n)
            threading.Thread(target=conn.run, daemon=True).start()


SCENARIOS = ('normal', 'bytewise', 'batch', 'unknown-mid', 'malformed',
             'oversize', 'zero-credits', 'rst', 'pending', 'pending-long',
             'silence', 'one-credit', 'late-create', 'break', 'hold',
             'pdu-credit', 'compound-pending')


def main(argv):
    if len(argv) == 5 and argv[1] == '--control':
        Server('normal', int(argv[3]), argv[4], control=argv[2]).serve()
        return 0
    if len(argv) != 4 or argv[1] not in SCENARIOS:
        sys.stderr.write('usage: fakesmb.py {%s} PORT LOGFILE\n'
                         '       fakesmb.py --control FILE PORT LOGFILE\n'
                         % '|'.join(SCENARIOS))
        return 2
    Server(argv[1], int(argv[2]), argv[3]).serve()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
