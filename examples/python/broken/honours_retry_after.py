#!/usr/bin/env python3
# Bug: openTicket honours Retry-After: on a 429 or 503 it waits as told and submits
# again, which duplicates a lead Lead.IM had already stored.

import json
import os
import sys
import time
import urllib.error

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, Failure, main  # noqa: E402


class RetryAfter(Adapter):
    def fetch(self, request):
        try:
            with self.opener.open(request, timeout=self.time_left()) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            wait = error.headers.get("Retry-After", "")
            if error.code in (429, 503) and wait.isdigit():
                time.sleep(int(wait))
                return Adapter.fetch(self, request)
            raise Failure("HTTP status %d" % error.code)
        except Exception as error:
            raise Failure("request failed: %r" % error)
        try:
            return json.loads(raw.decode("utf-8"))
        except ValueError as error:
            raise Failure("the answer is not JSON: %s" % error)


if __name__ == "__main__":
    sys.exit(main(RetryAfter))
