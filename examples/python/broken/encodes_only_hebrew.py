#!/usr/bin/env python3
# Bug: a hand-written form encoder percent-encodes only non-ASCII characters (the
# Hebrew), leaving '&', '=', '+' and '%' raw, so a name such as 'דני & מיכל' is cut at
# the '&'.

import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import leadim_adapter  # noqa: E402
from leadim_adapter import Adapter, main  # noqa: E402


def encode(text):
    return "".join(c if ord(c) < 128 and c != " " else urllib.parse.quote(c) for c in text)


def urlencode(fields, *args, **kwargs):
    pairs = fields.items() if isinstance(fields, dict) else fields
    return "&".join("%s=%s" % (k, encode(v)) for k, v in pairs)


leadim_adapter.urllib.parse.urlencode = urlencode


if __name__ == "__main__":
    sys.exit(main(Adapter))
