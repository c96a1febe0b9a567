#!/usr/bin/env python3
# Bug: only network errors (timeouts, dropped connections) are caught; an HTTP error
# status escapes as urllib's HTTPError and the adapter crashes with a traceback
# instead of answering failure.

import http.client
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, Failure, is_on, main  # noqa: E402


class CrashOnHttpError(Adapter):
    def fetch(self, request):
        try:
            with self.opener.open(request, timeout=self.time_left()) as response:
                raw = response.read()
        except (TimeoutError, ConnectionError, http.client.HTTPException) as error:
            raise Failure("request failed: %r" % error)
        try:
            return json.loads(raw.decode("utf-8"))
        except ValueError as error:
            raise Failure("the answer is not JSON: %s" % error)

    def handle(self, request):
        chat = request.get("chat") or {}
        before = dict(chat.get("crmData") or {})
        config = request.get("crmConfig") or {}
        endpoints = request.get("endpoints") or {}
        try:
            if request.get("function") == "openTicket":
                crm = self.open_ticket(config, chat, endpoints)
            elif is_on(config.get("onlyDisplayData")):
                crm = self.display(config, chat, endpoints)
            else:
                crm = self.lookup(config, chat, endpoints)
        except Failure as failure:
            return {"outcome": "failure", "crmData": before, "error": str(failure)}
        return {"outcome": "complete", "crmData": crm}


if __name__ == "__main__":
    sys.exit(main(CrashOnHttpError))
