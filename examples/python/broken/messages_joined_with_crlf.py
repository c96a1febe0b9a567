#!/usr/bin/env python3
# Bug: fld_message joins the outgoing texts with CRLF (Windows line ends) instead of
# newlines.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class CrlfJoined(Adapter):
    def outgoing_texts(self, messages):
        texts = Adapter.outgoing_texts(self, messages)
        return ["\r\n".join(texts)] if texts else []


if __name__ == "__main__":
    sys.exit(main(CrlfJoined))
