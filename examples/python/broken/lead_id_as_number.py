#!/usr/bin/env python3
# Bug: lookup puts the lead id on crmData as Lead.IM's number (100231) instead of the
# string the protocol gives ("100231").

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class NumericId(Adapter):
    def merge_lead(self, config, chat, endpoints, lead):
        crm = Adapter.merge_lead(self, config, chat, endpoints, lead)
        crm["id"] = int(crm["id"]) if crm["id"].isdigit() else crm["id"]
        return crm


if __name__ == "__main__":
    sys.exit(main(NumericId))
