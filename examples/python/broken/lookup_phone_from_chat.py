#!/usr/bin/env python3
# Bug: lookup sets crmData.phone to the chat's phone instead of the phone the lead was
# stored with.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class ChatPhone(Adapter):
    def merge_lead(self, config, chat, endpoints, lead):
        crm = Adapter.merge_lead(self, config, chat, endpoints, lead)
        crm["phone"] = chat.get("phone")
        return crm


if __name__ == "__main__":
    sys.exit(main(ChatPhone))
