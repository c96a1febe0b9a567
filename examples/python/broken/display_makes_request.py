#!/usr/bin/env python3
# Bug: display mode looks the phone up anyway and uses aid/lid only when the lookup
# finds nothing.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, Failure, main  # noqa: E402


class DisplayLooksUp(Adapter):
    def display(self, config, chat, endpoints):
        try:
            return self.lookup(config, chat, endpoints)
        except Failure:
            return Adapter.display(self, config, chat, endpoints)


if __name__ == "__main__":
    sys.exit(main(DisplayLooksUp))
