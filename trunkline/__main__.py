"""``python -m trunkline …``: the Trunkline CLI."""

import sys

from trunkline.cli import main

sys.exit(main())
