#!/usr/bin/python3
# Probe (1) a tracepoint that does nothing, BCC form: compiles trivial.c (the jitprobe form, same dialect) with BCC.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bcc_harness import run  # noqa: E402

run("trivial.c")
