#!/usr/bin/env python3
# Bug: lookup returns only the lead's fields and the display keys, dropping what was
# already on the chat's crmData (a campaign source, an earlier result).

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class FreshCrmData(Adapter):
    def merge_lead(self, config, chat, endpoints, lead):
        return Adapter.merge_lead(self, config, dict(chat, crmData={}), endpoints, lead)


if __name__ == "__main__":
    sys.exit(main(FreshCrmData))
