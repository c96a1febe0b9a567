#!/usr/bin/env python3
# Bug: display mode tests crmData for truth, so an empty crmData ({}) counts as no
# crmData and answers failure.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, Failure, main  # noqa: E402


class EmptyIsAbsent(Adapter):
    def display(self, config, chat, endpoints):
        if not chat.get("crmData"):
            raise Failure("the chat has no crmData")
        return Adapter.display(self, config, chat, endpoints)


if __name__ == "__main__":
    sys.exit(main(EmptyIsAbsent))
