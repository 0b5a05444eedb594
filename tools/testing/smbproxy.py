#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A relay between an SMB client and a real server (ksmbd in the guest) that
changes what the server says in small, chosen ways and logs what the client
sends, for the tests of smbclient's encryption (tools/testing/guest/
modules.sh).

    smbproxy.py CONTROL PORT SERVER_PORT LOGFILE

The mode is read from the file CONTROL each time a client connects, so that
one proxy process (Python starts slowly under TCG) serves a whole run. It
writes "listening" to LOGFILE once it accepts connections.

Modes of a connection (read when it is accepted):

  pass           everything passes unchanged (only logged)
  encrypt-share  TREE_CONNECT responses (plain ones: the session must not
                 sign) get SMB2_SHAREFLAG_ENCRYPT_DATA (0x8000) set, as a
                 server whose share requires encryption sets it (MS-SMB2
                 2.2.10). Everything else passes unchanged.
  downgrade      the NEGOTIATE response loses SMB2_GLOBAL_CAP_ENCRYPTION
                 (0x40), as a man in the middle stripping encryption would
                 do; VALIDATE_NEGOTIATE_INFO (SMB 3.0, 3.0.2) must catch it
  tamper         as encrypt-share, and after the client's first sealed
                 request, one byte of the ciphertext of every sealed
                 response is flipped, so that it cannot be opened.
  throttle KBPS  the client's frames are read at most KBPS KiB/s, in 16 KiB
                 pieces, so that its sends wait for the window
  stall          once the header of a WRITE from the client is in, nothing
                 more is read from it (its sends stop on a zero window); the
                 server side stays
  hostile-names  in each plain QUERY_DIRECTORY response
                 (FileIdFullDirectoryInformation), an entry named
                 hostile-empty, -dot, -dotdot, -slash or -nul is renamed in
                 place to "", ".", "..", "a/b" or "a<NUL>b" (FileNameLength
                 shortened; the entry keeps its place), as a hostile
                 server would name it. The session must not sign.

One-shot modes act on the next matching server frame, of any connection;
then the proxy writes "pass" to CONTROL:

  flip-status CMD   one bit of the Status of a signed response to command
                    CMD (decimal)
  flip-body CMD     one bit of the first byte after the header (structure
                    size) of a signed response to CMD
  flip-sig CMD      one bit of the Signature of a signed response to CMD
  flip-payload      one bit of the data of a signed READ response (at its
                    DataOffset)
  tamper-next       one byte of the ciphertext of the next sealed frame
  delay-create MS   the next successful CREATE response is held MS ms (and
                    everything after it on that connection)
  delay-setup MS    the same for the next successful SESSION_SETUP response
                    (the last of a setup): a re-authentication in progress
                    for MS ms

Each frame the client sends is logged, a line each: "c2s conn=N plain
CMD" (CMD the command number of the first header) or "c2s conn=N sealed",
and each server frame "s2c conn=N plain CMD" or "s2c conn=N sealed
[tampered]" (or "flipped WHAT", "delayed MS"). The tests assert on
those lines.
"""

import socket
import struct
import sys
import threading
import time

from fakesmb import recv_exact  # same directory

PROTO = b'\xfeSMB'
TRANSFORM = b'\xfdSMB'
NEGOTIATE, SESSION_SETUP, TREE_CONNECT = 0x0000, 0x0001, 0x0003
QUERY_DIRECTORY = 0x000e
HOSTILE = {
    'hostile-empty': '',
    'hostile-dot': '.',
    'hostile-dotdot': '..',
    'hostile-slash': 'a/b',
    'hostile-nul': 'a\0b',
}
CREATE, READ, WRITE = 0x0005, 0x0008, 0x0009
CAP_ENCRYPTION = 0x40
FLAG_RESPONSE, FLAG_SIGNED = 0x1, 0x8
SHAREFLAG_ENCRYPT_DATA = 0x8000

log_lock = threading.Lock()


def log(path, line):
    with log_lock, open(path, 'a') as f:
        f.write(line + '\n')


def read_frame(sock):
    head = recv_exact(sock, 4)
    if head is None:
        return None
    n = struct.unpack('>I', head)[0] & 0xffffff
    body = recv_exact(sock, n)
    return None if body is None else body


def describe(frame):
    if frame[:4] == TRANSFORM:
        return 'sealed'
    if frame[:4] == PROTO and len(frame) >= 64:
        return 'plain %d' % struct.unpack_from('<H', frame, 12)[0]
    return 'other'


class Relay:
    def __init__(self, mode, conn_no, client, server, logfile, control):
        words = mode.split()
        self.mode = words[0]
        self.arg = int(words[1]) if len(words) > 1 else 0
        self.control = control
        self.no = conn_no
        self.client = client
        self.server = server
        self.logfile = logfile
        self.client_sealed = threading.Event()

    def read_client(self):
        if self.mode != 'throttle':
            return read_frame(self.client)
        head = recv_exact(self.client, 4)
        if head is None:
            return None
        n = struct.unpack('>I', head)[0] & 0xffffff
        body = b''
        while len(body) < n:
            piece = recv_exact(self.client, min(16384, n - len(body)))
            if piece is None:
                return None
            body += piece
            time.sleep(len(piece) / (self.arg * 1024.0))
        return body

    def read_until_write(self):
        """A frame of the client's; at the first WRITE, once its header is
        in, nothing more is read from the client (a zero window)."""
        head = recv_exact(self.client, 4)
        if head is None:
            return None
        n = struct.unpack('>I', head)[0] & 0xffffff
        first = recv_exact(self.client, min(n, 64))
        if first is None:
            return None
        if (len(first) == 64 and first[:4] == PROTO
                and struct.unpack_from('<H', first, 12)[0] == WRITE):
            log(self.logfile, 'c2s conn=%d plain %d stalled' % (self.no, WRITE))
            while True:
                time.sleep(3600)
        rest = recv_exact(self.client, n - len(first)) if n > len(first) else b''
        return None if rest is None else first + rest

    def up(self):
        try:
            while True:
                if self.mode == 'stall':
                    f = self.read_until_write()
                else:
                    f = self.read_client()
                if f is None:
                    break
                kind = describe(f)
                if kind == 'sealed':
                    self.client_sealed.set()
                log(self.logfile, 'c2s conn=%d %s' % (self.no, kind))
                self.server.sendall(struct.pack('>I', len(f)) + f)
        except OSError:
            pass
        finally:
            self.close()

    def down(self):
        try:
            while True:
                f = read_frame(self.server)
                if f is None:
                    break
                kind = describe(f)
                note = ''
                if kind == 'plain %d' % NEGOTIATE and self.mode == 'downgrade':
                    b = bytearray(f)
                    caps = struct.unpack_from('<I', b, 64 + 24)[0]
                    struct.pack_into('<I', b, 64 + 24, caps & ~CAP_ENCRYPTION)
                    f = bytes(b)
                    note = ' capabilities=%#x' % (caps & ~CAP_ENCRYPTION)
                elif kind == 'plain %d' % TREE_CONNECT and self.mode in ('encrypt-share', 'tamper'):
                    flags = struct.unpack_from('<I', f, 16)[0]
                    status = struct.unpack_from('<I', f, 8)[0]
                    if flags & FLAG_RESPONSE and status == 0 and len(f) >= 64 + 16:
                        b = bytearray(f)
                        share = struct.unpack_from('<I', b, 64 + 4)[0]
                        struct.pack_into('<I', b, 64 + 4, share | SHAREFLAG_ENCRYPT_DATA)
                        f = bytes(b)
                        note = ' share_flags=%#x' % (share | SHAREFLAG_ENCRYPT_DATA)
                elif kind.startswith('plain ') and self.mode == 'hostile-names':
                    f, note = hostile_names(f)
                elif (kind == 'sealed' and self.mode == 'tamper'
                      and self.client_sealed.is_set() and len(f) > 60):
                    b = bytearray(f)
                    b[-1] ^= 0x5a
                    f = bytes(b)
                    note = ' tampered'
                else:
                    f, note = self.one_shot(kind, f)
                log(self.logfile, 's2c conn=%d %s%s' % (self.no, kind, note))
                self.client.sendall(struct.pack('>I', len(f)) + f)
        except OSError:
            pass
        finally:
            self.close()

    def one_shot(self, kind, f):
        """The armed one-shot mode, if this frame is its target."""
        try:
            with open(self.control) as c:
                words = c.read().split()
        except OSError:
            return f, ''
        if not words or words[0] not in ONE_SHOT:
            return f, ''
        what = words[0]
        arg = int(words[1]) if len(words) > 1 else 0
        b = bytearray(f)
        if what == 'tamper-next':
            if kind != 'sealed' or len(b) <= 60:
                return f, ''
            b[-1] ^= 0x5a
            note = ' tampered'
        elif kind.startswith('plain '):
            cmd = struct.unpack_from('<H', b, 12)[0]
            flags, status = struct.unpack_from('<I', b, 16)[0], struct.unpack_from('<I', b, 8)[0]
            if what in ('delay-create', 'delay-setup'):
                if cmd != (CREATE if what == 'delay-create' else SESSION_SETUP) or status != 0:
                    return f, ''
                time.sleep(arg / 1000.0)
                note = ' delayed %d' % arg
            else:
                want = READ if what == 'flip-payload' else arg
                if cmd != want or not flags & FLAG_SIGNED or status != 0:
                    return f, ''
                if what == 'flip-status':
                    b[8] ^= 0x01
                elif what == 'flip-body':
                    b[64] ^= 0x01
                elif what == 'flip-sig':
                    b[48] ^= 0x01
                else:
                    off, length = b[64 + 2], struct.unpack_from('<I', b, 64 + 4)[0]
                    if length == 0 or off + length > len(b):
                        return f, ''
                    b[off + length // 2] ^= 0x01
                note = ' flipped %s' % what[5:]
        else:
            return f, ''
        with open(self.control, 'w') as c:
            c.write('pass\n')
        return bytes(b), note

    def close(self):
        for s in (self.client, self.server):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def hostile_names(f):
    """A plain frame with the HOSTILE names of each QUERY_DIRECTORY
    response in it (alone or in a compound) renamed in place (MS-FSCC
    2.4.18: FileNameLength at 60, the name at 80)."""
    b = bytearray(f)
    n, pdu = 0, 0
    while pdu + 64 + 8 <= len(b):
        cmd, = struct.unpack_from('<H', b, pdu + 12)
        status, = struct.unpack_from('<I', b, pdu + 8)
        nxt_pdu, = struct.unpack_from('<I', b, pdu + 20)
        if cmd == QUERY_DIRECTORY and status == 0:
            off, length = struct.unpack_from('<HI', b, pdu + 64 + 2)
            pos, end = pdu + off, pdu + off + length
            while pos + 80 <= min(end, len(b)):
                nxt, = struct.unpack_from('<I', b, pos)
                nlen, = struct.unpack_from('<I', b, pos + 60)
                name = bytes(b[pos + 80:pos + 80 + nlen]).decode('utf-16-le', 'replace')
                if name in HOSTILE:
                    new = HOSTILE[name].encode('utf-16-le')
                    b[pos + 80:pos + 80 + len(new)] = new
                    struct.pack_into('<I', b, pos + 60, len(new))
                    n += 1
                if nxt == 0:
                    break
                pos += nxt
        if nxt_pdu == 0:
            break
        pdu += nxt_pdu
    return bytes(b), (' renamed %d' % n if n else '')


MODES = ('pass', 'encrypt-share', 'downgrade', 'tamper', 'throttle', 'stall', 'hostile-names')
ONE_SHOT = ('flip-status', 'flip-body', 'flip-sig', 'flip-payload', 'tamper-next',
            'delay-create', 'delay-setup')


def main(argv):
    if len(argv) != 5:
        sys.stderr.write('usage: smbproxy.py CONTROL PORT SERVER_PORT LOGFILE\n')
        return 2
    control, port, server_port, logfile = argv[1], int(argv[2]), int(argv[3]), argv[4]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('127.0.0.1', port))
    ls.listen(8)
    log(logfile, 'listening')
    n = 0
    while True:
        c, _ = ls.accept()
        n += 1
        with open(control) as f:
            mode = f.read().strip()
        if mode and mode.split()[0] in ONE_SHOT:
            mode = 'pass'
        if not mode or mode.split()[0] not in MODES:
            log(logfile, 'conn=%d unknown mode %r' % (n, mode))
            c.close()
            continue
        try:
            s = socket.create_connection(('127.0.0.1', server_port))
        except OSError as e:
            log(logfile, 'conn=%d server unreachable: %s' % (n, e))
            c.close()
            continue
        log(logfile, 'conn %d mode %s' % (n, mode))
        if mode.split()[0] in ('stall', 'throttle'):
            # A small receive buffer: the client's sends wait for the
            # window (and a stalled one stops sooner).
            c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF,
                         16384 if mode == 'stall' else 262144)
        r = Relay(mode, n, c, s, logfile, control)
        threading.Thread(target=r.up, daemon=True).start()
        threading.Thread(target=r.down, daemon=True).start()


if __name__ == '__main__':
    sys.exit(main(sys.argv))
