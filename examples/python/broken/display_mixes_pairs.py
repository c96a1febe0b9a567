#!/usr/bin/env python3
# Bug: display mode takes aid and lid one by one, each from its pp_ twin when missing,
# so aid with pp_aid and pp_lid (no lid) mixes two accounts' ids.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from leadim_adapter import Adapter, main, text_of  # noqa: E402


class MixedPairs(Adapter):
    @staticmethod
    def id_pair(crm, aid_key, lid_key):
        aid = text_of(crm.get(aid_key) or crm.get("pp_" + aid_key)).strip()
        lid = text_of(crm.get(lid_key) or crm.get("pp_" + lid_key)).strip()
        return (aid, lid) if aid and lid else None


if __name__ == "__main__":
    sys.exit(main(MixedPairs))
