#!/usr/bin/env python3
# Bug: fld_phone is sent in E.164 (+972547001122) instead of the way Israelis write it
# (054-700-1122).

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import leadim_adapter  # noqa: E402
from leadim_adapter import Adapter, main  # noqa: E402


leadim_adapter.display_phone = lambda phone: "+" + phone if phone else ""


if __name__ == "__main__":
    sys.exit(main(Adapter))
