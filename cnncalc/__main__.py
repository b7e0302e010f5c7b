"""``python -m cnncalc``: the same as the ``cnncalc`` command."""

from cnncalc.cli import main

if __name__ == "__main__":
    main()
