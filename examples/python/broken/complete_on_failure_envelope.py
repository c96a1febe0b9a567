#!/usr/bin/env python3
# Bug: looks at the HTTP status only, so Lead.IM's HTTP 200 failure envelope
# ({"status":"failure","error":...}) passes as a success and openTicket answers
# complete.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class CompleteOnFailureEnvelope(Adapter):
    def envelope(self, body):
        return body if isinstance(body, dict) else {}

    def new_lead_id(self, body):
        return body.get("result", "")


if __name__ == "__main__":
    sys.exit(main(CompleteOnFailureEnvelope))
