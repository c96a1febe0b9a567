#!/usr/bin/env python3
# Bug: display mode falls back to pp_aid/pp_lid only when there is no aid at all, so
# aid without lid leaves the chat without an id or a lead link.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, Failure, main  # noqa: E402


class PpOnlyWithoutAid(Adapter):
    def display(self, config, chat, endpoints):
        previous = chat.get("crmData")
        if not isinstance(previous, dict):
            raise Failure("the chat has no crmData")
        crm = dict(previous)
        if "aid" in previous:
            pair = self.id_pair(previous, "aid", "lid")
        else:
            pair = self.id_pair(previous, "pp_aid", "pp_lid")
        if pair:
            crm["id"] = pair[1]
            crm["deepLink"] = self.lead_link(endpoints, *pair)
        else:
            crm["deepLink"] = (endpoints.get("ui") or "").rstrip("/") + "/a/"
        name = previous.get(self.name_field(config))
        if name is not None:
            crm["name"] = name
        if chat.get("phone"):
            crm["phone"] = chat["phone"]
        return crm


if __name__ == "__main__":
    sys.exit(main(PpOnlyWithoutAid))
