#!/usr/bin/env python3
"""A minimal Lead.IM adapter for Texter, speaking the conformance suite's adapter
protocol v1 (see docs/adapter-protocol.md): one JSON request on stdin, one JSON
response on stdout, exit status 0 whenever a response was printed.

Standard library only. It passes the whole suite, MUST and SHOULD:

    cargo run -p leadim-conformance -- --adapter "python3 examples/python/leadim_adapter.py" --strict

The deadline is LEADIM_ADAPTER_TIMEOUT_MS milliseconds (the suite sets it), 5 seconds
by default: the budget of the whole call, every HTTP request of it together, so a
lookup that tries three phone formats against a slow Lead.IM still answers in time.
Every problem -- missing configuration, Lead.IM refusing,
error statuses, broken bodies, dropped connections, timeouts -- is a `failure`
outcome with crmData as the chat had it; nothing escapes as a crash.

The adapter is a class so that a variant can change one behaviour (see broken/).
"""

import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_NAME_FIELD = "שם"
AUTH_HEADER = "X-LEAD-IM-AUTH"


class Failure(Exception):
    """Why a call answers `failure`; the text becomes the response's `error`."""


def israeli_national(phone):
    """The national form of an Israeli number (`0521234567`, `036123456`), read from
    `972…`, `+972…`, `00972…`, `0…` or dashed input; None when it is not one."""
    text = (phone or "").strip()
    if not text or any(not (c.isdigit() or c in "+-. ()") for c in text):
        return None
    digits = "".join(c for c in text if c.isdigit())
    if digits.startswith("00972"):
        digits = digits[2:]
    if digits.startswith("972"):
        national = "0" + digits[3:]
    elif digits.startswith("0"):
        national = digits
    else:
        return None
    return national if len(national) in (9, 10) else None


def display_phone(phone):
    """`972521234567` -> `052-123-4567`, `97236123456` -> `03-612-3456`: the way
    Israelis write numbers. Anything else is returned as it is."""
    national = israeli_national(phone)
    if national is None:
        return phone or ""
    if len(national) == 9:  # landline: one-digit area code (02, 03, 04, 08, 09)
        return "%s-%s-%s" % (national[:2], national[2:5], national[5:])
    return "%s-%s-%s" % (national[:3], national[3:6], national[6:])


def lookup_candidates(phone):
    """The chat phone as is, then the other ways forms store the same number:
    `972…`, `0…` and `0XX-XXX-XXXX` (Lead.IM matches by_phone exactly)."""
    candidates = [phone] if phone else []
    national = israeli_national(phone)
    if national:
        for other in ("972" + national[1:], national, display_phone(phone)):
            if other not in candidates:
                candidates.append(other)
    return candidates


def is_on(flag):
    """crmConfig switches typed in a UI arrive as text: `true` and the text "true"
    (any case) are on; everything else, the text "false" included, is off."""
    if isinstance(flag, str):
        return flag.strip().lower() == "true"
    return flag is True


def text_of(value):
    """An id or field value as text (ids may arrive as numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Adapter:
    """The Lead.IM adapter: getCustomerDetails (lookup or display) and openTicket."""

    def __init__(self, timeout):
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        # No proxies: the adapter talks to the URLs it is given, often 127.0.0.1.
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # --- protocol ---------------------------------------------------------------

    def handle(self, request):
        chat = request.get("chat") or {}
        previous = chat.get("crmData")
        before = dict(previous) if isinstance(previous, dict) else {}
        try:
            if request.get("protocol") != 1:
                raise Failure("unsupported protocol version %r" % request.get("protocol"))
            config = request.get("crmConfig") or {}
            endpoints = request.get("endpoints") or {}
            function = request.get("function")
            if function == "getCustomerDetails":
                if is_on(config.get("onlyDisplayData")):
                    crm = self.display(config, chat, endpoints)
                else:
                    crm = self.lookup(config, chat, endpoints)
            elif function == "openTicket":
                crm = self.open_ticket(config, chat, endpoints)
            else:
                raise Failure("unknown function %r" % function)
            return {"outcome": "complete", "crmData": crm}
        except Failure as failure:
            return {"outcome": "failure", "crmData": before, "error": str(failure)}
        except Exception as error:  # a bug here must still be a failure, not a crash
            return {"outcome": "failure", "crmData": before, "error": "adapter error: %r" % error}

    # --- getCustomerDetails -------------------------------------------------------

    def lookup(self, config, chat, endpoints):
        token = self.required(config, "token")
        url = self.required(config, "getCustomerDetailsUrl")
        candidates = lookup_candidates(chat.get("phone") or "")
        if not candidates:
            raise Failure("the chat has no phone number")
        for candidate in candidates:
            separator = "&" if "?" in url else "?"
            query = urllib.parse.urlencode({"by_phone": candidate})
            answer = self.fetch(urllib.request.Request(
                url + separator + query, headers={AUTH_HEADER: token}))
            data = self.envelope(answer).get("data") or []
            if not isinstance(data, list):
                raise Failure('"data" is not a list')
            if data:  # newest first
                return self.merge_lead(config, chat, endpoints, data[0])
        raise Failure("no lead found for %s (tried %s)" % (chat.get("phone"), ", ".join(candidates)))

    def merge_lead(self, config, chat, endpoints, lead):
        if not isinstance(lead, dict) or "aid" not in lead or "lid" not in lead:
            raise Failure("a lead without aid and lid")
        crm = dict(chat.get("crmData") or {})
        fields = lead.get("fields") or {}
        crm.update(fields)
        crm["id"] = text_of(lead["lid"])
        name = fields.get(self.name_field(config))
        if name is not None:
            crm["name"] = name
        if lead.get("phone") is not None:
            crm["phone"] = lead["phone"]
        crm["deepLink"] = self.lead_link(endpoints, lead["aid"], lead["lid"])
        return crm

    def display(self, config, chat, endpoints):
        previous = chat.get("crmData")
        if not isinstance(previous, dict):
            raise Failure("the chat has no crmData")
        crm = dict(previous)
        pair = self.id_pair(previous, "aid", "lid") or self.id_pair(previous, "pp_aid", "pp_lid")
        if pair:
            crm["id"] = pair[1]
            crm["deepLink"] = self.lead_link(endpoints, *pair)
        else:
            crm["deepLink"] = (endpoints.get("ui") or "").rstrip("/") + "/a/"
        name = previous.get(self.name_field(config))
        if name is not None:
            crm["name"] = name
        if chat.get("phone"):
            crm["phone"] = chat["phone"]
        return crm

    @staticmethod
    def id_pair(crm, aid_key, lid_key):
        aid, lid = text_of(crm.get(aid_key)).strip(), text_of(crm.get(lid_key)).strip()
        return (aid, lid) if aid and lid else None

    # --- openTicket ---------------------------------------------------------------

    def open_ticket(self, config, chat, endpoints):
        form = [
            ("lm_form", text_of(self.required(config, "lm_form"))),
            ("lm_key", self.required(config, "lm_key")),
            ("lm_redirect", "no"),
            ("fld_name", self.contact_name(chat)),
            ("fld_phone", display_phone(chat.get("phone") or "")),
            ("fld_email", self.node_text(chat, "lead_get_email") or ""),
            ("fld_message", "\n".join(self.outgoing_texts(chat.get("messages") or []))),
            ("chat_url", chat.get("url") or ""),
        ]
        body = urllib.parse.urlencode(form).encode("utf-8")
        answer = self.fetch(urllib.request.Request(
            endpoints.get("submit") or "", data=body, method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}))
        crm = dict(chat.get("crmData") or {})
        crm["result"] = self.new_lead_id(self.envelope(answer))
        return crm

    def contact_name(self, chat):
        """fld_name: what lead_get_name collected, else the chat title."""
        return self.node_text(chat, "lead_get_name") or chat.get("title") or ""

    def outgoing_texts(self, messages):
        """fld_message: the texts of the outgoing messages only, in order; a message
        without text (a picture, a voice note) adds nothing, not even an empty line."""
        return [m["text"] for m in messages
                if m.get("direction") == "outgoing" and m.get("text")]

    def new_lead_id(self, body):
        result = body.get("result")
        if result is None or result == "":
            raise Failure('success without a "result" lead id')
        return result

    # --- HTTP and Lead.IM's envelope ------------------------------------------------

    def fetch(self, request):
        """The JSON answer of a request; any transport or HTTP problem is a Failure.
        Each request gets what is left of the call's deadline (urllib applies it to
        each socket operation, which is enough against a Lead.IM that answers late or
        not at all)."""
        try:
            with self.opener.open(request, timeout=self.time_left()) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise Failure("HTTP status %d" % error.code)
        except Exception as error:  # URLError, timeouts, resets, IncompleteRead, ...
            raise Failure("request failed: %r" % error)
        try:
            return json.loads(raw.decode("utf-8"))
        except ValueError as error:
            raise Failure("the answer is not JSON: %s" % error)

    def time_left(self):
        """What is left of the call's deadline, in seconds; none left is a Failure."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Failure("no answer within %.1f s" % self.timeout)
        return left

    def envelope(self, body):
        """The body of a `{"status":"success"}` envelope; a refusal is a Failure."""
        if not isinstance(body, dict):
            raise Failure("the answer is not a JSON object")
        if body.get("status") == "success":
            return body
        if body.get("status") == "failure":
            raise Failure("Lead.IM refused: %s" % body.get("error"))
        raise Failure('no "status" of success or failure')

    # --- helpers ----------------------------------------------------------------

    @staticmethod
    def required(config, key):
        value = config.get(key)
        if value is None or not text_of(value).strip():
            raise Failure("crmConfig.%s is missing" % key)
        return value

    @staticmethod
    def name_field(config):
        return config.get("nameField") or DEFAULT_NAME_FIELD

    @staticmethod
    def node_text(chat, node):
        text = ((chat.get("nodes") or {}).get(node) or {}).get("text")
        return text if text and text.strip() else None

    @staticmethod
    def lead_link(endpoints, aid, lid):
        ui = (endpoints.get("ui") or "").rstrip("/")
        return "%s/a/%s/leads/%s" % (ui, text_of(aid), text_of(lid))


def timeout_from_env(default=5.0):
    """The call's deadline: LEADIM_ADAPTER_TIMEOUT_MS in seconds, or `default`."""
    try:
        ms = int(os.environ.get("LEADIM_ADAPTER_TIMEOUT_MS", ""))
    except ValueError:
        return default
    return ms / 1000.0 if ms > 0 else default


def main(adapter_class=Adapter):
    try:
        request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    except Exception as error:
        sys.stderr.write("leadim_adapter: invalid request: %s\n" % error)
        return 2
    response = adapter_class(timeout_from_env()).handle(request)
    sys.stdout.buffer.write(json.dumps(response, ensure_ascii=False).encode("utf-8") + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
