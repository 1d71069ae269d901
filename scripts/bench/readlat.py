#!/usr/bin/python3
# Probe (4) read() latency log2 histogram, BCC form: compiles readlat.c (the jitprobe form, same dialect) with BCC.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bcc_harness import run  # noqa: E402

run("readlat.c", hists=["dist"])
