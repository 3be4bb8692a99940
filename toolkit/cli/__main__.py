"""``python -m toolkit.cli``: the klmle command."""

import sys

from toolkit.cli import main

sys.exit(main())
