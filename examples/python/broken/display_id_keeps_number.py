#!/usr/bin/env python3
# Bug: display mode copies lid to crmData.id as it came, so a numeric lid pushed by an
# integration stays a number instead of becoming the string id.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class RawId(Adapter):
    def display(self, config, chat, endpoints):
        crm = Adapter.display(self, config, chat, endpoints)
        previous = chat.get("crmData") or {}
        if "id" in crm and "lid" in previous:
            crm["id"] = previous["lid"]
        return crm


if __name__ == "__main__":
    sys.exit(main(RawId))
