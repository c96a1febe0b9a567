#!/usr/bin/env python3
# Bug: the form is encoded in windows-1255 (the old Israeli code page) while it
# declares UTF-8, so every Hebrew letter arrives broken.

import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import leadim_adapter  # noqa: E402
from leadim_adapter import Adapter, main  # noqa: E402


_urlencode = urllib.parse.urlencode


def urlencode(fields, *args, **kwargs):
    return _urlencode(fields, encoding="cp1255", errors="replace")


leadim_adapter.urllib.parse.urlencode = urlencode


if __name__ == "__main__":
    sys.exit(main(Adapter))
