#!/usr/bin/env python3
# Bug: Lead.IM's answers are decoded as ISO-8859-1 (HTTP's old default charset), so
# the Hebrew field values land on crmData garbled.

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, Failure, main  # noqa: E402


class Latin1Answers(Adapter):
    def fetch(self, request):
        try:
            with self.opener.open(request, timeout=self.time_left()) as response:
                raw = response.read()
        except Exception as error:
            raise Failure("request failed: %r" % error)
        try:
            return json.loads(raw.decode("latin-1"))
        except ValueError as error:
            raise Failure("the answer is not JSON: %s" % error)


if __name__ == "__main__":
    sys.exit(main(Latin1Answers))
