"""``python -m deepcons.clustering``: the same as ``deepcons cluster``."""

import sys

from ..clustering_cli import main

sys.exit(main())
