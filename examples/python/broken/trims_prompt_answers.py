#!/usr/bin/env python3
# Bug: the lead_get_name and lead_get_email answers are trimmed before they are sent,
# where the protocol sends what the contact typed.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class TrimmedAnswers(Adapter):
    @staticmethod
    def node_text(chat, node):
        text = ((chat.get("nodes") or {}).get(node) or {}).get("text")
        return text.strip() if text and text.strip() else None


if __name__ == "__main__":
    sys.exit(main(TrimmedAnswers))
