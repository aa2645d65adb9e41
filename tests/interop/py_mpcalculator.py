"""Our mpcalculator: serves the example's Init (its makeCalculator solves ``a op b``) over ``<fd>``."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from serve import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv, "py_mpcalculator"))
