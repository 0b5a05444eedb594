#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A recording TCP relay for guests whose kernel has no AF_PACKET (no
CONFIG_PACKET, so no tcpdump): listens on 127.0.0.1:LISTEN_PORT, forwards
every connection to 127.0.0.1:445 and writes what passes, byte for byte, as
a classic pcap of TCP segments (Ethernet/IPv4/TCP, server port 445), the
same shape a `tcpdump -i lo -w` capture has. The SMB bytes are exactly what
the client and the server sent; only the TCP/IP framing is synthesised
(one segment per read() chunk, a SYN/SYN-ACK/ACK handshake and FINs).

    relay_capture.py LISTEN_PORT OUT.pcap [READY_FILE]

Runs until SIGTERM or SIGINT. READY_FILE is created once it listens.
"""
import os
import signal
import socket
import struct
import sys
import threading
import time

SERVER = ("127.0.0.1", 445)
LOCK = threading.Lock()


class PcapWriter:
    def __init__(self, path):
        self.f = open(path, "wb")
        # Classic pcap, microsecond timestamps, LINKTYPE_ETHERNET.
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))

    def packet(self, src_port, dst_port, seq, ack, flags, payload=b""):
        tcp = struct.pack("!HHIIBBHHH", src_port, dst_port, seq & 0xFFFFFFFF,
                          ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
        total = 20 + len(tcp) + len(payload)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 6, 0,
                         socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.1"))
        frame = b"\0" * 12 + b"\x08\x00" + ip + tcp + payload
        now = time.time()
        with LOCK:
            self.f.write(struct.pack("<IIII", int(now), int((now % 1) * 1e6),
                                     len(frame), len(frame)))
            self.f.write(frame)
            self.f.flush()

    def close(self):
        with LOCK:
            self.f.close()


SYN, FIN, PSH, ACK = 0x02, 0x01, 0x08, 0x10


class Conn:
    """One relayed connection: client port <-> 445, with TCP sequence state."""

    def __init__(self, pcap, client, client_port):
        self.pcap = pcap
        self.client = client
        self.cport = client_port
        self.seq = {"c2s": 1000, "s2c": 5000}
        self.server = socket.create_connection(SERVER)
        p = pcap.packet
        p(self.cport, 445, self.seq["c2s"], 0, SYN)
        p(445, self.cport, self.seq["s2c"], self.seq["c2s"] + 1, SYN | ACK)
        self.seq["c2s"] += 1
        self.seq["s2c"] += 1
        p(self.cport, 445, self.seq["c2s"], self.seq["s2c"], ACK)

    def record(self, direction, data):
        other = "s2c" if direction == "c2s" else "c2s"
        with LOCK:
            seq = self.seq[direction]
            self.seq[direction] += len(data)
            ack = self.seq[other]
        if direction == "c2s":
            self.pcap.packet(self.cport, 445, seq, ack, PSH | ACK, data)
        else:
            self.pcap.packet(445, self.cport, seq, ack, PSH | ACK, data)

    def pump(self, src, dst, direction):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                self.record(direction, data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def run(self):
        t = threading.Thread(target=self.pump, args=(self.server, self.client, "s2c"), daemon=True)
        t.start()
        self.pump(self.client, self.server, "c2s")
        t.join()
        self.pcap.packet(self.cport, 445, self.seq["c2s"], self.seq["s2c"], FIN | ACK)
        self.pcap.packet(445, self.cport, self.seq["s2c"], self.seq["c2s"] + 1, FIN | ACK)
        self.client.close()
        self.server.close()


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    port, out = int(sys.argv[1]), sys.argv[2]
    pcap = PcapWriter(out)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(8)

    def stop(*_):
        pcap.close()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if len(sys.argv) == 4:
        open(sys.argv[3], "w").close()
    while True:
        client, (_, cport) = lsock.accept()
        try:
            conn = Conn(pcap, client, cport)
        except OSError as e:
            print(f"relay_capture: cannot reach {SERVER}: {e}", file=sys.stderr)
            client.close()
            continue
        threading.Thread(target=conn.run, daemon=True).start()


if __name__ == "__main__":
    main()
