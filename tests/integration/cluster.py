"""The integration tests' two-node lab: tests/lib/cclab.py's Cluster, under its old name."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))

from cclab import DEBUG_BIN as BIN, ROOT, Cluster, sh  # noqa: E402,F401
