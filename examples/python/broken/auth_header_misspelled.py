#!/usr/bin/env python3
# Bug: the token goes in an X-LEADIM-AUTH header (no dash between LEAD and IM), which
# Lead.IM does not read.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import leadim_adapter  # noqa: E402
from leadim_adapter import Adapter, main  # noqa: E402


leadim_adapter.AUTH_HEADER = "X-LEADIM-AUTH"


if __name__ == "__main__":
    sys.exit(main(Adapter))
