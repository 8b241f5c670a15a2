"""``python -m operations.evidence record|check``: the deploys' sealed records (records.py)."""

import sys

from operations.evidence.records import main

sys.exit(main())
