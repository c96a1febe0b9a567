#!/usr/bin/env python3
# Bug: lookup takes the lead with the highest lid as the newest, but leads imported
# late carry high ids with old dates: the newest is by creation time.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class HighestLid(Adapter):
    def merge_lead(self, config, chat, endpoints, lead):
        return Adapter.merge_lead(self, config, chat, endpoints, self.pick)

    def envelope(self, body):
        body = Adapter.envelope(self, body)
        data = body.get("data") or []
        if data:
            self.pick = max(data, key=lambda l: int(l.get("lid") or 0))
        return body


if __name__ == "__main__":
    sys.exit(main(HighestLid))
