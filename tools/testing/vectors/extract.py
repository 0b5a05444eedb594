#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn SMB captures into codec test vectors and fuzz seeds (stdlib only).

    extract.py [--seeds DIR] [--max-total BYTES] RUN_DIR OUT_DIR

RUN_DIR holds the guest's <name>.pcap and <name>.case files
(tools/testing/guest/capture.sh). For each capture this parses the pcap
(classic format; Ethernet, Linux cooked v1/v2, null/loopback or raw IP;
IPv4 or IPv6), reassembles every TCP connection to or from port 445 in
each direction by sequence number, splits each direction at the 4-byte
RFC 1002 headers and writes OUT_DIR/<name>/:

    NNNN-c2s.bin / NNNN-s2c.bin   one SMB2 message each (after the 4-byte
                                  frame header: a PDU, a compound chain or
                                  a transform header + ciphertext)
    index.txt                     what the capture was (dialect, signing,
                                  sealing, test credentials) and one line
                                  per message: number, direction,
                                  connection, file

NNNN orders the messages of a capture by the packet that carried their first
byte, across directions and connections, so a request comes before its
response. With --seeds, it also writes fuzz seeds, one per message shape
(see shape()): plain messages of both directions for `dispatch` (it is
about the response decoders but runs the request ones too), transform
messages for `transform_decrypt` and the NTLMSSP CHALLENGE tokens of
SESSION_SETUP responses for `ntlmssp_challenge`.
"""
import argparse
import hashlib
import os
import shutil
import struct
import sys

SMB_PORT = 445


def die(msg):
    sys.exit(f"extract.py: error: {msg}")


# ---- pcap ------------------------------------------------------------------

def read_pcap(path):
    """Yields (index, linktype, frame bytes) for every record."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        die(f"{path}: too short for a pcap header")
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    elif magic == b"\x0a\x0d\x0d\x0a":
        die(f"{path}: pcapng is not supported; capture with tcpdump -w (classic pcap)")
    else:
        die(f"{path}: not a pcap file (magic {magic.hex()})")
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    off, index = 24, 0
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        frame = data[off:off + incl]
        off += incl
        if incl != orig:
            die(f"{path}: packet {index} was cut to {incl} of {orig} bytes; capture with -s 0")
        yield index, linktype, frame
        index += 1


def ip_payload(linktype, frame):
    """The IP packet inside a link-layer frame, or None."""
    if linktype == 1:  # Ethernet
        etype, off = struct.unpack("!H", frame[12:14])[0], 14
        while etype == 0x8100:  # VLAN
            etype, off = struct.unpack("!H", frame[off + 2:off + 4])[0], off + 4
        return frame[off:] if etype in (0x0800, 0x86DD) else None
    if linktype == 113:  # Linux cooked v1
        return frame[16:] if struct.unpack("!H", frame[14:16])[0] in (0x0800, 0x86DD) else None
    if linktype == 276:  # Linux cooked v2
        return frame[20:] if struct.unpack("!H", frame[0:2])[0] in (0x0800, 0x86DD) else None
    if linktype in (0, 108):  # BSD null/loopback
        return frame[4:]
    if linktype in (101, 12, 14):  # raw IP
        return frame
    die(f"unsupported pcap link type {linktype}")


def tcp_segment(ip):
    """(src, sport, dst, dport, seq, flags, payload) of a TCP packet, or None."""
    if not ip:
        return None
    version = ip[0] >> 4
    if version == 4:
        ihl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        if ip[9] != 6:
            return None
        src, dst, body = ip[12:16], ip[16:20], ip[ihl:total]
    elif version == 6:
        plen = struct.unpack("!H", ip[4:6])[0]
        if ip[6] != 6:  # no extension headers on loopback captures
            return None
        src, dst, body = ip[8:24], ip[24:40], ip[40:40 + plen]
    else:
        return None
    sport, dport, seq = struct.unpack("!HHI", body[:8])
    doff = (body[12] >> 4) * 4
    return src, sport, dst, dport, seq, body[13], body[doff:]


class Direction:
    """One direction of a TCP connection: segments placed by sequence."""

    def __init__(self):
        self.isn = None
        self.segments = {}  # relative offset -> (packet index, bytes)

    def add(self, index, seq, flags, payload):
        if flags & 0x02:  # SYN: data starts at seq + 1
            self.isn = (seq + 1) & 0xFFFFFFFF
            return
        if not payload:
            return
        if self.isn is None:  # capture started mid-connection
            self.isn = seq
        rel = (seq - self.isn) & 0xFFFFFFFF
        old = self.segments.get(rel)
        if old is None or len(old[1]) < len(payload):  # retransmission
            self.segments[rel] = (old[0] if old else index, payload)

    def stream(self):
        """The reassembled bytes, and for each byte offset where a segment
        starts, the packet index that carried it."""
        out = bytearray()
        starts = []  # (offset, packet index)
        for rel in sorted(self.segments):
            index, payload = self.segments[rel]
            if rel > len(out):
                die(f"a gap of {rel - len(out)} bytes in a TCP stream (packets were lost)")
            new = payload[len(out) - rel:]
            if new:
                starts.append((len(out), index))
                out += new
        return bytes(out), starts


def packet_at(starts, offset):
    """The packet index that carried byte `offset`."""
    best = starts[0][1]
    for off, index in starts:
        if off > offset:
            break
        best = index
    return best


def split_frames(stream, starts, what):
    """(packet index, message) for each RFC 1002 frame of a stream."""
    out, off = [], 0
    while off < len(stream):
        if len(stream) - off < 4:
            die(f"{what}: {len(stream) - off} stray bytes at the end of the stream")
        kind, length = stream[off], int.from_bytes(stream[off + 1:off + 4], "big")
        if kind != 0:
            die(f"{what}: RFC 1002 type 0x{kind:02x} at offset {off}; port 445 carries only session messages")
        msg = stream[off + 4:off + 4 + length]
        if len(msg) != length:
            die(f"{what}: the last message is cut short ({len(msg)} of {length} bytes)")
        out.append((packet_at(starts, off), msg))
        off += 4 + length
    return out


def messages(path):
    """Every SMB message of a pcap: list of (packet index, direction,
    connection number, bytes), in packet order."""
    conns = {}  # (client addr, client port, server addr) -> {"c2s", "s2c", "n"}
    for index, linktype, frame in read_pcap(path):
        seg = tcp_segment(ip_payload(linktype, frame))
        if seg is None:
            continue
        src, sport, dst, dport, seq, flags, payload = seg
        if dport == SMB_PORT:
            key, direction = (src, sport, dst), "c2s"
        elif sport == SMB_PORT:
            key, direction = (dst, dport, src), "s2c"
        else:
            continue
        if key not in conns:
            conns[key] = {"c2s": Direction(), "s2c": Direction(), "n": len(conns)}
        conns[key][direction].add(index, seq, flags, payload)
    out = []
    for key, c in conns.items():
        for direction in ("c2s", "s2c"):
            stream, starts = c[direction].stream()
            what = f"{os.path.basename(path)} connection {c['n']} {direction}"
            for index, msg in split_frames(stream, starts, what):
                out.append((index, direction, c["n"], msg))
    out.sort(key=lambda m: (m[0], m[1] == "s2c"))
    return out


# ---- seeds -------------------------------------------------------------------

def challenge_token(msg):
    """The NTLMSSP CHALLENGE in a plain SESSION_SETUP response, or None."""
    if msg[:4] != b"\xfeSMB" or len(msg) < 72:
        return None
    command, flags = struct.unpack("<H", msg[12:14])[0], struct.unpack("<I", msg[16:20])[0]
    if command != 1 or not flags & 1:
        return None
    off, length = struct.unpack("<HH", msg[68:72])
    blob = msg[off:off + length]
    i = blob.find(b"NTLMSSP\0\x02\0\0\0")
    return blob[i:] if i >= 0 else None


def shape(msg):
    """What makes a server message a distinct seed: per PDU of the chain,
    command, status, flags and body StructureSize. Messages of the same
    shape exercise the same decoder paths; one of each is enough."""
    if msg[:4] == b"\xfdSMB":
        # Opaque until decrypted: one per size class and session.
        return ("transform", msg[44:52], len(msg) // 64)
    out, off = [], 0
    while off + 66 <= len(msg):
        cmd, = struct.unpack("<H", msg[off + 12:off + 14])
        status, fl, nxt = struct.unpack("<III", msg[off + 8:off + 12] + msg[off + 16:off + 24])
        ss, = struct.unpack("<H", msg[off + 64:off + 66])
        out.append((cmd, status, fl & ~0x8, ss))
        if nxt == 0:
            break
        off += nxt
    return tuple(out)


def write_seed(seeds, target, name, data, seen, dialect):
    """Writes a seed unless one of the same target, dialect and shape exists."""
    key = (target, dialect, shape(data) if target != "ntlmssp_challenge" else hashlib.sha1(data).digest())
    if key in seen:
        return 0
    seen.add(key)
    digest = hashlib.sha1(data).hexdigest()
    os.makedirs(os.path.join(seeds, target), exist_ok=True)
    with open(os.path.join(seeds, target, f"{name}-{digest[:10]}"), "wb") as f:
        f.write(data)
    return 1


# ---- main --------------------------------------------------------------------

def read_case(path):
    case = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                case[k] = v
    for k in ("case", "vers", "sign", "seal", "user", "password"):
        if k not in case:
            die(f"{path}: no '{k}=' line")
    return case


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", help="also write fuzz seeds under DIR/<target>/")
    ap.add_argument("--max-total", type=int, default=2 << 20,
                    help="fail if the vectors add up to more than this many bytes (default 2 MiB)")
    ap.add_argument("run_dir")
    ap.add_argument("out_dir")
    args = ap.parse_args()

    pcaps = sorted(f for f in os.listdir(args.run_dir) if f.endswith(".pcap"))
    if not pcaps:
        die(f"no .pcap files in {args.run_dir}")
    total = 0
    seen = set()
    nseeds = {"dispatch": 0, "transform_decrypt": 0, "ntlmssp_challenge": 0}
    for pcap in pcaps:
        name = pcap[:-5]
        case = read_case(os.path.join(args.run_dir, name + ".case"))
        msgs = messages(os.path.join(args.run_dir, pcap))
        if not msgs:
            die(f"{pcap}: no SMB messages on port {SMB_PORT}")
        out = os.path.join(args.out_dir, name)
        if os.path.isdir(out):
            shutil.rmtree(out)
        os.makedirs(out)
        index = [
            f"# {name}: cifs.ko against ksmbd, written by tools/testing/vectors/extract.py",
            f"# from {pcap} (captured with {case.get('method', '?')}). Lines: message",
            "# number, direction, TCP connection, file.",
            f"case {case['case']}",
            f"dialect {case['vers']}",
            f"sign {case['sign']}",
            f"seal {case['seal']}",
            f"user {case['user']}",
            f"password {case['password']}",
        ]
        size = 0
        for n, (_, direction, conn, msg) in enumerate(msgs):
            fname = f"{n:04d}-{direction}.bin"
            with open(os.path.join(out, fname), "wb") as f:
                f.write(msg)
            index.append(f"msg {n:04d} {direction} {conn} {fname}")
            size += len(msg)
            if args.seeds:
                label = f"{name}-{n:04d}"
                if msg[:4] == b"\xfdSMB":
                    nseeds["transform_decrypt"] += write_seed(args.seeds, "transform_decrypt", label, msg, seen, case["vers"])
                if msg[:4] == b"\xfeSMB":
                    # Requests too: the target also runs the request decoders.
                    nseeds["dispatch"] += write_seed(args.seeds, "dispatch", label, msg, seen, case["vers"])
                if direction == "s2c":
                    tok = challenge_token(msg)
                    if tok:
                        nseeds["ntlmssp_challenge"] += write_seed(args.seeds, "ntlmssp_challenge", label, tok, seen, case["vers"])
        with open(os.path.join(out, "index.txt"), "w") as f:
            f.write("\n".join(index) + "\n")
        conns = len({m[2] for m in msgs})
        print(f"{name}: {len(msgs)} messages ({sum(m[1] == 'c2s' for m in msgs)} c2s, "
              f"{sum(m[1] == 's2c' for m in msgs)} s2c) on {conns} connection(s), {size} bytes")
        total += size
    print(f"total: {total} bytes in {len(pcaps)} captures")
    if args.seeds:
        print("seeds: " + ", ".join(f"{k} {v}" for k, v in nseeds.items()))
    if total > args.max_total:
        die(f"the vectors add up to {total} bytes, over the {args.max_total}-byte limit: use smaller files in capture.sh")


if __name__ == "__main__":
    main()
