#!/usr/bin/env python3
# Bug: lookup tries the formats forms store most often first (054-123-4567, then
# 0541234567) and the chat's own format last.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import leadim_adapter  # noqa: E402
from leadim_adapter import Adapter, main  # noqa: E402


_candidates = leadim_adapter.lookup_candidates


def lookup_candidates(phone):
    return list(reversed(_candidates(phone)))


leadim_adapter.lookup_candidates = lookup_candidates


if __name__ == "__main__":
    sys.exit(main(Adapter))
