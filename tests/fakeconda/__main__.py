"""``python -m fakeconda HOME ...``: see the package docstring."""

import sys

from fakeconda import main

sys.exit(main())
