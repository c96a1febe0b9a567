#!/usr/bin/env python3
# Bug: lookup converts the chat phone to the national formats first and never sends it
# as it is, so a lead stored as 972... is not found.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import leadim_adapter  # noqa: E402
from leadim_adapter import Adapter, main  # noqa: E402


_candidates = leadim_adapter.lookup_candidates


def lookup_candidates(phone):
    return [c for c in _candidates(phone) if c != phone] or [phone]


leadim_adapter.lookup_candidates = lookup_candidates


if __name__ == "__main__":
    sys.exit(main(Adapter))
