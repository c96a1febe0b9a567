#!/usr/bin/env python3
# Bug: lookup re-sorts the leads itself by (created_at, lid), ignoring updated_at, so
# of two leads created in the same second it takes the one updated earlier.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class OwnOrder(Adapter):
    def merge_lead(self, config, chat, endpoints, lead):
        return Adapter.merge_lead(self, config, chat, endpoints, self.pick)

    def envelope(self, body):
        body = Adapter.envelope(self, body)
        data = body.get("data") or []
        if data:
            self.pick = max(data, key=lambda l: (l.get("created_at") or "", int(l.get("lid") or 0)))
        return body


if __name__ == "__main__":
    sys.exit(main(OwnOrder))
