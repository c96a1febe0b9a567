#!/usr/bin/env python3
# Bug: the form encoder keeps '+' and '@' readable (safe characters), so Lead.IM
# decodes avi+leads@gmail.com as 'avi leads@gmail.com'.

import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import leadim_adapter  # noqa: E402
from leadim_adapter import Adapter, main  # noqa: E402


def urlencode(fields, *args, **kwargs):
    return "&".join(
        "%s=%s" % (urllib.parse.quote(k), urllib.parse.quote(v, safe="@+"))
        for k, v in pairs(fields))


def pairs(fields):
    return fields.items() if isinstance(fields, dict) else fields


leadim_adapter.urllib.parse.urlencode = urlencode


if __name__ == "__main__":
    sys.exit(main(Adapter))
