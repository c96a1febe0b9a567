#!/usr/bin/env python3
# Bug: the lookup sends the token in X-LEAD-IM-AUTH and also as a token= query
# parameter, so it ends up in every proxy's and server's access log.

import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import leadim_adapter  # noqa: E402
from leadim_adapter import Adapter, main  # noqa: E402


class TokenAlsoInQuery(Adapter):
    def fetch(self, request):
        token = request.get_header(leadim_adapter.AUTH_HEADER.capitalize())
        if token is not None:
            request.full_url = request.full_url + "&" + urllib.parse.urlencode({"token": token})
        return Adapter.fetch(self, request)


if __name__ == "__main__":
    sys.exit(main(TokenAlsoInQuery))
