#!/usr/bin/env python3
# Bug: a failure answers an empty crmData instead of the chat's crmData as it was.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class ClearsOnFailure(Adapter):
    def handle(self, request):
        response = Adapter.handle(self, request)
        if response["outcome"] == "failure":
            response["crmData"] = {}
        return response


if __name__ == "__main__":
    sys.exit(main(ClearsOnFailure))
