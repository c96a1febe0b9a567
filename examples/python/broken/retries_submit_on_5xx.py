#!/usr/bin/env python3
# Bug: openTicket retries the submit up to three times on a 5xx answer, but Lead.IM
# may have stored the lead before it failed: every retry stores another copy.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, Failure, main  # noqa: E402


class RetryOn5xx(Adapter):
    def fetch(self, request):
        for attempt in range(1, 4):
            try:
                return Adapter.fetch(self, request)
            except Failure as failure:
                if attempt == 3 or not str(failure).startswith("HTTP status 5"):
                    raise


if __name__ == "__main__":
    sys.exit(main(RetryOn5xx))
