#!/usr/bin/env python3
# Bug: fld_message is cut to 3,500 bytes of UTF-8, taking Lead.IM's limit of 3,500
# characters for bytes, so a long Hebrew message (two bytes a letter) loses its second
# half.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class CutAtBytes(Adapter):
    def outgoing_texts(self, messages):
        joined = "\n".join(Adapter.outgoing_texts(self, messages))
        cut = joined.encode("utf-8")[:3500].decode("utf-8", "ignore")
        return [cut] if messages else []


if __name__ == "__main__":
    sys.exit(main(CutAtBytes))
