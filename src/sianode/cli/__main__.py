"""``python -m sianode.cli``: the same as the ``sianode`` console script."""

import sys

from . import main

sys.exit(main())
