#!/usr/bin/env python3
# Bug: openTicket always sends the chat title as fld_name, ignoring the name the
# lead_get_name prompt collected.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class IgnoresLeadGetName(Adapter):
    def contact_name(self, chat):
        return chat.get("title") or ""


if __name__ == "__main__":
    sys.exit(main(IgnoresLeadGetName))
