#!/usr/bin/python3
# Probe (3a) openat events through a perf buffer, BCC form: compiles opensnoop_perf.c (the jitprobe form, same dialect) with BCC.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bcc_harness import run  # noqa: E402

run("opensnoop_perf.c", perf=["events"])
