#!/usr/bin/env python3
# Bug: lookup builds the deep link on the origin of getCustomerDetailsUrl (the API
# proxy) instead of endpoints.ui (Lead.IM's UI).

import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class ProxyOrigin(Adapter):
    def merge_lead(self, config, chat, endpoints, lead):
        url = urllib.parse.urlsplit(config.get("getCustomerDetailsUrl") or "")
        origin = "%s://%s" % (url.scheme, url.netloc)
        return Adapter.merge_lead(self, config, chat, dict(endpoints, ui=origin), lead)


if __name__ == "__main__":
    sys.exit(main(ProxyOrigin))
