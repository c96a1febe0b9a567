#!/usr/bin/env python3
# Bug: openTicket sends every message, incoming ones too, in fld_message.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class SendsIncomingMessages(Adapter):
    def outgoing_texts(self, messages):
        return [m["text"] for m in messages if m.get("text")]


if __name__ == "__main__":
    sys.exit(main(SendsIncomingMessages))
