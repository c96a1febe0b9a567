#!/usr/bin/env python3
# Bug: lookup takes the last lead of data, taking Lead.IM's list for oldest first.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class OldestLead(Adapter):
    def merge_lead(self, config, chat, endpoints, lead):
        return Adapter.merge_lead(self, config, chat, endpoints, self.pick)

    def envelope(self, body):
        body = Adapter.envelope(self, body)
        data = body.get("data") or []
        if data:
            self.pick = data[-1]
        return body


if __name__ == "__main__":
    sys.exit(main(OldestLead))
