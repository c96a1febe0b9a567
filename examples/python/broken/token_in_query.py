#!/usr/bin/env python3
# Bug: the token is sent as a token= query parameter instead of the X-LEAD-IM-AUTH
# header.

import os
import sys
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import leadim_adapter  # noqa: E402
from leadim_adapter import Adapter, main  # noqa: E402


class TokenInQuery(Adapter):
    def fetch(self, request):
        token = request.get_header(leadim_adapter.AUTH_HEADER.capitalize())
        if token is not None:
            url = request.full_url + "&" + urllib.parse.urlencode({"token": token})
            request = urllib.request.Request(url)
        return Adapter.fetch(self, request)


if __name__ == "__main__":
    sys.exit(main(TokenInQuery))
