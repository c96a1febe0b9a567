#!/usr/bin/env python3
# Bug: openTicket stores the new lead id on crmData.result as a string ("100231")
# instead of Lead.IM's number.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main, text_of  # noqa: E402


class TextResult(Adapter):
    def new_lead_id(self, body):
        return text_of(Adapter.new_lead_id(self, body))


if __name__ == "__main__":
    sys.exit(main(TextResult))
