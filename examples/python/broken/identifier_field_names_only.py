#!/usr/bin/env python3
# Bug: lookup copies only the lead fields whose names are identifiers (so that
# %chat:crmData.x% can reach them), dropping Hebrew names with a space or a quote such
# as 'דוא"ל' and 'קישור לצ'אט'.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class IdentifierFieldsOnly(Adapter):
    def merge_lead(self, config, chat, endpoints, lead):
        fields = lead.get("fields") or {}
        lead = dict(lead, fields={k: v for k, v in fields.items() if k.isidentifier()})
        return Adapter.merge_lead(self, config, chat, endpoints, lead)


if __name__ == "__main__":
    sys.exit(main(IdentifierFieldsOnly))
