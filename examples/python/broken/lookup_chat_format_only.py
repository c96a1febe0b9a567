#!/usr/bin/env python3
# Bug: lookup tries only the chat's own format (972...), so a lead a form stored as
# 054-123-4567 or 0541234567 is never found.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import leadim_adapter  # noqa: E402
from leadim_adapter import Adapter, main  # noqa: E402


leadim_adapter.lookup_candidates = lambda phone: [phone] if phone else []


if __name__ == "__main__":
    sys.exit(main(Adapter))
