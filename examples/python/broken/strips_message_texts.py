#!/usr/bin/env python3
# Bug: fld_message strips each outgoing text, losing the indentation of a price list
# and the line break an agent ended a message with.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class StrippedTexts(Adapter):
    def outgoing_texts(self, messages):
        return [t.strip() for t in Adapter.outgoing_texts(self, messages)]


if __name__ == "__main__":
    sys.exit(main(StrippedTexts))
