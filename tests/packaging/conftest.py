"""The packaging tests share the lab module's helpers (tests/lib/cclab.py): ports, the MIB root,
process stops."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
