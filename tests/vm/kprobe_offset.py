#!/usr/bin/env python3
"""Prints an offset inside kernel function FUNC at which a kprobe can sit and fires on every call:
the instruction right after the function's 5-byte __fentry__ call site, which a kernel built with
CONFIG_FUNCTION_TRACER (and without IBT's endbr64, as Debian's 6.1) starts every traceable function
with. The bytes are read from /proc/kcore and checked (a nop5 when not traced, else a call), so a
differently built kernel fails here rather than making the test probe a wrong place.

    kprobe_offset.py FUNC      (root)"""
import struct
import sys

NOP5 = bytes.fromhex("0f1f440000")


def kallsyms_address(func):
    for line in open("/proc/kallsyms"):
        addr, _kind, name = line.split()[:3]
        if name == func:
            return int(addr, 16)
    sys.exit(f"kprobe_offset: {func} not in /proc/kallsyms")


def read_kernel(addr, size):
    """SIZE bytes at kernel address ADDR, through /proc/kcore's PT_LOAD segments."""
    with open("/proc/kcore", "rb") as f:
        hdr = f.read(64)
        phoff, = struct.unpack_from("<Q", hdr, 32)
        phentsize, phnum = struct.unpack_from("<HH", hdr, 54)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = struct.unpack("<IIQQQQ", f.read(40))
            if p_type == 1 and p_vaddr <= addr and addr + size <= p_vaddr + p_filesz:
                f.seek(p_offset + addr - p_vaddr)
                return f.read(size)
    sys.exit(f"kprobe_offset: {addr:#x} is in no /proc/kcore segment")


def main():
    func = sys.argv[1]
    addr = kallsyms_address(func)
    if addr == 0:
        sys.exit("kprobe_offset: /proc/kallsyms shows zero addresses (not root?)")
    head = read_kernel(addr, 5)
    if head != NOP5 and head[0] != 0xE8:
        sys.exit(f"kprobe_offset: {func} starts with {head.hex()}, not a 5-byte __fentry__ site")
    print(5)


if __name__ == "__main__":
    main()
