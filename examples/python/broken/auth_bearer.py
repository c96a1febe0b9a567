#!/usr/bin/env python3
# Bug: the token goes in 'Authorization: Bearer <token>' instead of X-LEAD-IM-AUTH.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import leadim_adapter  # noqa: E402
from leadim_adapter import Adapter, main  # noqa: E402


class BearerToken(Adapter):
    def fetch(self, request):
        token = request.get_header(leadim_adapter.AUTH_HEADER.capitalize())
        if token is not None:
            request.remove_header(leadim_adapter.AUTH_HEADER.capitalize())
            request.add_header("Authorization", "Bearer " + token)
        return Adapter.fetch(self, request)


if __name__ == "__main__":
    sys.exit(main(BearerToken))
