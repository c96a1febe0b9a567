#!/usr/bin/env python3
# Bug: crmData.name always comes from the שם field; crmConfig.nameField is ignored.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main  # noqa: E402


class DefaultNameField(Adapter):
    @staticmethod
    def name_field(config):
        return "שם"


if __name__ == "__main__":
    sys.exit(main(DefaultNameField))
