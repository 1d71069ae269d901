#!/usr/bin/python3
"""Instruction counts of BCC's programs, measured like `jitprobe check`: xlated_prog_len / 8
after the verifier. Usage: bcc_insns.py PROBE.c...; prints one JSON object per program."""
import ctypes
import json
import sys

from bcc import BPF

libbpf = ctypes.CDLL("libbpf.so.1")


def xlated_insns(fd):
    info = ctypes.create_string_buffer(256)  # struct bpf_prog_info, zero tail accepted
    size = ctypes.c_uint32(len(info))
    if libbpf.bpf_obj_get_info_by_fd(fd, info, ctypes.byref(size)) != 0:
        return None
    # type, id (u32), tag[8], jited_prog_len (u32), xlated_prog_len (u32) at offset 20
    return int.from_bytes(info.raw[20:24], "little") // 8


for path in sys.argv[1:]:
    b = BPF(src_file=path)  # loads and attaches every TRACEPOINT_PROBE
    for name, fn in sorted(b.funcs.items()):
        print(json.dumps({"file": path, "name": name.decode(), "insns": xlated_insns(fn.fd)}))
    b.cleanup()
