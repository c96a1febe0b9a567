#!/usr/bin/env python3
# Bug: no HTTP timeout at all: when Lead.IM hangs, the adapter hangs with it.

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, Failure, main  # noqa: E402


class NoTimeout(Adapter):
    def fetch(self, request):
        try:
            with self.opener.open(request) as response:
                raw = response.read()
        except Exception as error:
            raise Failure("request failed: %r" % error)
        try:
            return json.loads(raw.decode("utf-8"))
        except ValueError as error:
            raise Failure("the answer is not JSON: %s" % error)


if __name__ == "__main__":
    sys.exit(main(NoTimeout))
