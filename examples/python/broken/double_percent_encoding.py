#!/usr/bin/env python3
# Bug: field values are percent-encoded twice (quote, then urlencode), so Lead.IM
# stores '%D7%90...' instead of the Hebrew text.

import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import leadim_adapter  # noqa: E402
from leadim_adapter import Adapter, main  # noqa: E402


_urlencode = urllib.parse.urlencode


def urlencode(fields, *args, **kwargs):
    if isinstance(fields, list):
        fields = [(k, urllib.parse.quote(v)) for k, v in fields]
    return _urlencode(fields, *args, **kwargs)


leadim_adapter.urllib.parse.urlencode = urlencode


if __name__ == "__main__":
    sys.exit(main(Adapter))
