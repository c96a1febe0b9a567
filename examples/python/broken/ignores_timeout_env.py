#!/usr/bin/env python3
# Bug: the HTTP timeout is a fixed 5 seconds; LEADIM_ADAPTER_TIMEOUT_MS is ignored, so
# a slow answer is waited for long after the bot should have moved on.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class FixedTimeout(Adapter):
    def __init__(self, timeout):
        Adapter.__init__(self, 5.0)


if __name__ == "__main__":
    sys.exit(main(FixedTimeout))
