#!/usr/bin/env python3
# Bug: fld_message is stripped after joining, so the first message's indentation and
# the last one's closing line break are lost.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class StrippedMessage(Adapter):
    def outgoing_texts(self, messages):
        joined = "\n".join(Adapter.outgoing_texts(self, messages)).strip()
        return [joined] if joined else []


if __name__ == "__main__":
    sys.exit(main(StrippedMessage))
