#!/usr/bin/env python3
# Bug: openTicket answers crmData = {result: N}, dropping what the chat had.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class OnlyResult(Adapter):
    def open_ticket(self, config, chat, endpoints):
        crm = Adapter.open_ticket(self, config, chat, endpoints)
        return {"result": crm["result"]}


if __name__ == "__main__":
    sys.exit(main(OnlyResult))
