#!/usr/bin/env python3
# Bug: LEADIM_ADAPTER_TIMEOUT_MS is read as seconds, so 2000 ms becomes a timeout of
# more than half an hour.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class SecondsTimeout(Adapter):
    def __init__(self, timeout):
        Adapter.__init__(self, float(os.environ.get("LEADIM_ADAPTER_TIMEOUT_MS", "5")))


if __name__ == "__main__":
    sys.exit(main(SecondsTimeout))
