#!/usr/bin/env python3
# Bug: display mode builds the deep link on the origin of endpoints.submit (the API
# host) instead of endpoints.ui.

import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class SubmitOrigin(Adapter):
    def display(self, config, chat, endpoints):
        url = urllib.parse.urlsplit(endpoints.get("submit") or "")
        origin = "%s://%s" % (url.scheme, url.netloc)
        return Adapter.display(self, config, chat, dict(endpoints, ui=origin))


if __name__ == "__main__":
    sys.exit(main(SubmitOrigin))
