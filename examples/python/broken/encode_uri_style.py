#!/usr/bin/env python3
# Bug: form values are encoded like JavaScript's encodeURI, which leaves the reserved
# characters & = + ; , / ? : @ # $ as they are.

import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import leadim_adapter  # noqa: E402
from leadim_adapter import Adapter, main  # noqa: E402


def urlencode(fields, *args, **kwargs):
    return "&".join(
        "%s=%s" % (k, urllib.parse.quote(v, safe=";,/?:@&=+$#-_.!~*'()"))
        for k, v in (fields.items() if isinstance(fields, dict) else fields))


leadim_adapter.urllib.parse.urlencode = urlencode


if __name__ == "__main__":
    sys.exit(main(Adapter))
