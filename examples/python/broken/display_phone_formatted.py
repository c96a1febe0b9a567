#!/usr/bin/env python3
# Bug: display mode sets crmData.phone to the display format (052-884-1350) instead of
# the chat phone.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import leadim_adapter  # noqa: E402
from leadim_adapter import Adapter, main  # noqa: E402


class FormattedPhone(Adapter):
    def display(self, config, chat, endpoints):
        crm = Adapter.display(self, config, chat, endpoints)
        if chat.get("phone"):
            crm["phone"] = leadim_adapter.display_phone(chat["phone"])
        return crm


if __name__ == "__main__":
    sys.exit(main(FormattedPhone))
