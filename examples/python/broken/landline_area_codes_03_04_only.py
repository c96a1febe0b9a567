#!/usr/bin/env python3
# Bug: fld_phone knows only the Tel Aviv and Haifa area codes (03, 04); 02, 08 and 09
# landlines are written like mobiles (081-234-567).

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import leadim_adapter  # noqa: E402
from leadim_adapter import Adapter, main  # noqa: E402


LANDLINE_AREA_CODES = ("03", "04")


def display_phone(phone):
    national = leadim_adapter.israeli_national(phone)
    if national is None:
        return phone or ""
    if national[:2] in LANDLINE_AREA_CODES:
        return "%s-%s-%s" % (national[:2], national[2:5], national[5:])
    return "%s-%s-%s" % (national[:3], national[3:6], national[6:])


leadim_adapter.display_phone = display_phone


if __name__ == "__main__":
    sys.exit(main(Adapter))
