#!/usr/bin/env python3
"""Byte offsets of struct members in a kernel's BTF, read independently of jitprobe and libbpf.

    btf_offsets.py BTF_FILE STRUCT.MEMBER[.MEMBER...] ...   ->  one "STRUCT.MEMBER OFFSET" line each

Members of anonymous structs and unions are found through them (sock.__sk_common.skc_dport).
The VM test compares the host's and the guest's layouts with it, and what CO-RE resolved."""
import struct
import sys

KIND_STRUCT, KIND_UNION, KIND_TYPEDEF, KIND_VOLATILE, KIND_CONST, KIND_RESTRICT = 4, 5, 8, 9, 10, 11
# Bytes after the 12-byte common header, per kind: (fixed, per vlen entry).
EXTRA = {1: (4, 0), 3: (12, 0), 4: (0, 12), 5: (0, 12), 6: (0, 8), 13: (0, 8), 14: (4, 0),
         15: (0, 12), 17: (4, 0), 19: (0, 12)}


def load(path):
    data = open(path, "rb").read()
    magic, _ver, _flags, hdr_len, type_off, type_len, str_off, _str_len = struct.unpack_from("<HBBIIIII", data)
    if magic != 0xEB9F:
        sys.exit(f"{path}: not little-endian BTF (magic {magic:#x})")
    types, strs = data[hdr_len + type_off:hdr_len + type_off + type_len], data[hdr_len + str_off:]
    out, pos = [None], 0  # type ids start at 1
    while pos < len(types):
        name_off, info, size_type = struct.unpack_from("<III", types, pos)
        kind, vlen, kflag = (info >> 24) & 0x1F, info & 0xFFFF, info >> 31
        name = strs[name_off:strs.index(b"\0", name_off)].decode()
        members = []
        if kind in (KIND_STRUCT, KIND_UNION):
            for i in range(vlen):
                m_name, m_type, m_off = struct.unpack_from("<III", types, pos + 12 + 12 * i)
                bits = m_off & 0xFFFFFF if kflag else m_off
                members.append((strs[m_name:strs.index(b"\0", m_name)].decode(), m_type, bits))
        out.append((kind, name, size_type, members))
        fixed, per = EXTRA.get(kind, (0, 0))
        pos += 12 + fixed + per * vlen
    return out


def strip(types, tid):
    while types[tid][0] in (KIND_TYPEDEF, KIND_VOLATILE, KIND_CONST, KIND_RESTRICT):
        tid = types[tid][2]
    return tid


def find_member(types, tid, name):
    """(bit offset, type id) of NAME in struct/union TID, looking into anonymous members."""
    for m_name, m_type, bits in types[tid][3]:
        if m_name == name:
            return bits, m_type
        inner = strip(types, m_type)
        if not m_name and types[inner][0] in (KIND_STRUCT, KIND_UNION):
            found = find_member(types, inner, name)
            if found:
                return bits + found[0], found[1]
    return None


def main():
    types = load(sys.argv[1])
    by_name = {}
    for tid, t in enumerate(types):
        if t and t[0] == KIND_STRUCT and t[1] and t[2] > 0:
            by_name.setdefault(t[1], tid)
    for path in sys.argv[2:]:
        parts = path.split(".")
        tid, bits = by_name.get(parts[0]), 0
        for part in parts[1:]:
            found = find_member(types, strip(types, tid), part) if tid else None
            if not found:
                sys.exit(f"{sys.argv[1]}: no member {path}")
            bits, tid = bits + found[0], found[1]
        print(path, bits // 8)


if __name__ == "__main__":
    main()
