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

Modes:

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

Each frame the client sends is logged, a line each: "c2s conn=N plain
CMD" (CMD the command number of the first header) or "c2s conn=N sealed",
and each server frame "s2c conn=N plain CMD" or "s2c conn=N sealed
[tampered]". The tests assert on those lines.
"""

import socket
import struct
import sys
import threading

from fakesmb import recv_exact  # same directory

PROTO = b'\xfeSMB'
TRANSFORM = b'\xfdSMB'
NEGOTIATE, TREE_CONNECT = 0x0000, 0x0003
CAP_ENCRYPTION = 0x40
FLAG_RESPONSE = 0x1
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
    def __init__(self, mode, conn_no, client, server, logfile):
        self.mode = mode
        self.no = conn_no
        self.client = client
        self.server = server
        self.logfile = logfile
        self.client_sealed = threading.Event()

    def up(self):
        try:
            while True:
                f = read_frame(self.client)
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
                elif kind == 'plain %d' % TREE_CONNECT and self.mode != 'pass':
                    flags = struct.unpack_from('<I', f, 16)[0]
                    status = struct.unpack_from('<I', f, 8)[0]
                    if flags & FLAG_RESPONSE and status == 0 and len(f) >= 64 + 16:
                        b = bytearray(f)
                        share = struct.unpack_from('<I', b, 64 + 4)[0]
                        struct.pack_into('<I', b, 64 + 4, share | SHAREFLAG_ENCRYPT_DATA)
                        f = bytes(b)
                        note = ' share_flags=%#x' % (share | SHAREFLAG_ENCRYPT_DATA)
                elif (kind == 'sealed' and self.mode == 'tamper'
                      and self.client_sealed.is_set() and len(f) > 60):
                    b = bytearray(f)
                    b[-1] ^= 0x5a
                    f = bytes(b)
                    note = ' tampered'
                log(self.logfile, 's2c conn=%d %s%s' % (self.no, kind, note))
                self.client.sendall(struct.pack('>I', len(f)) + f)
        except OSError:
            pass
        finally:
            self.close()

    def close(self):
        for s in (self.client, self.server):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


MODES = ('pass', 'encrypt-share', 'downgrade', 'tamper')


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
        if mode not in MODES:
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
        r = Relay(mode, n, c, s, logfile)
        threading.Thread(target=r.up, daemon=True).start()
        threading.Thread(target=r.down, daemon=True).start()


if __name__ == '__main__':
    sys.exit(main(sys.argv))
