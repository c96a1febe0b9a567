#!/usr/bin/env python3
# Bug: an empty lead_get_name answer is sent as the name (an empty fld_name) instead
# of falling back to the chat title.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class EmptyAnswerSent(Adapter):
    def contact_name(self, chat):
        node = (chat.get("nodes") or {}).get("lead_get_name") or {}
        text = node.get("text")
        return text if text is not None else chat.get("title") or ""


if __name__ == "__main__":
    sys.exit(main(EmptyAnswerSent))
