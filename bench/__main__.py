"""``python -m bench``: run every benchmark, print a table, write bench/results.json."""

from bench.run import main

raise SystemExit(main())
