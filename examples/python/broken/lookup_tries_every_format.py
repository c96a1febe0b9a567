#!/usr/bin/env python3
# Bug: lookup sends every phone format it knows before it looks at the answers, so a
# lead found with the chat's own format still costs three requests.

import os
import sys
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import leadim_adapter  # noqa: E402
from leadim_adapter import Adapter, Failure, main  # noqa: E402


class EveryFormat(Adapter):
    def lookup(self, config, chat, endpoints):
        token = self.required(config, "token")
        url = self.required(config, "getCustomerDetailsUrl")
        candidates = leadim_adapter.lookup_candidates(chat.get("phone") or "")
        answers = []
        for candidate in candidates:
            query = urllib.parse.urlencode({"by_phone": candidate})
            answers.append(self.fetch(urllib.request.Request(
                url + "?" + query, headers={leadim_adapter.AUTH_HEADER: token})))
        for answer in answers:
            data = self.envelope(answer).get("data") or []
            if data:
                return self.merge_lead(config, chat, endpoints, data[0])
        raise Failure("no lead found")


if __name__ == "__main__":
    sys.exit(main(EveryFormat))
