#!/usr/bin/env python3
# Bug: a lead_get_name answer of spaces only counts as an answer (it is not empty), so
# the lead's name is blank instead of the chat title.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class BlankAnswerSent(Adapter):
    def contact_name(self, chat):
        node = (chat.get("nodes") or {}).get("lead_get_name") or {}
        return node.get("text") or chat.get("title") or ""


if __name__ == "__main__":
    sys.exit(main(BlankAnswerSent))
