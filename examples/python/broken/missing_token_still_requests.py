#!/usr/bin/env python3
# Bug: without a token in crmConfig the lookup is sent anyway, with an empty
# X-LEAD-IM-AUTH ('the proxy will say if it needs one'), instead of failing without
# a request.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class LookupWithoutToken(Adapter):
    @staticmethod
    def required(config, key):
        if key == "token":
            return config.get("token") or ""
        return Adapter.required(config, key)


if __name__ == "__main__":
    sys.exit(main(LookupWithoutToken))
