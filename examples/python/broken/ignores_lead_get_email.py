#!/usr/bin/env python3
# Bug: fld_email is always sent empty; the lead_get_email answer is ignored.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class NoEmail(Adapter):
    @staticmethod
    def node_text(chat, node):
        if node == "lead_get_email":
            return None
        return Adapter.node_text(chat, node)


if __name__ == "__main__":
    sys.exit(main(NoEmail))
