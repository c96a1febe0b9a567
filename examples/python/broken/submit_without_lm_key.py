#!/usr/bin/env python3
# Bug: openTicket submits even without lm_key ('the form may be open'), instead of
# failing without a request.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class SubmitWithoutKey(Adapter):
    @staticmethod
    def required(config, key):
        if key == "lm_key":
            return config.get("lm_key") or ""
        return Adapter.required(config, key)


if __name__ == "__main__":
    sys.exit(main(SubmitWithoutKey))
