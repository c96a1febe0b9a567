#!/usr/bin/env python3
# Bug: fld_phone writes every number as 0XX-XXX-XXXX, so landlines come out as
# 036-123-456 instead of 03-612-3456.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import leadim_adapter  # noqa: E402
from leadim_adapter import Adapter, main  # noqa: E402


def display_phone(phone):
    national = leadim_adapter.israeli_national(phone)
    if national is None:
        return phone or ""
    return "%s-%s-%s" % (national[:3], national[3:6], national[6:])


leadim_adapter.display_phone = display_phone


if __name__ == "__main__":
    sys.exit(main(Adapter))
