#!/usr/bin/python3
# Probe (2) syscall count by pid, BCC form: compiles count.c (the jitprobe form, same dialect) with BCC.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bcc_harness import run  # noqa: E402

run("count.c", hashes=["counts"])
