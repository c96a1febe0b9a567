#!/usr/bin/env python3
# Bug: openTicket sends the chat's id as chat_url instead of the link back to the
# chat.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class ChatIdAsUrl(Adapter):
    def open_ticket(self, config, chat, endpoints):
        return Adapter.open_ticket(self, config, dict(chat, url=chat.get("id")), endpoints)


if __name__ == "__main__":
    sys.exit(main(ChatIdAsUrl))
