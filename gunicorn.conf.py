"""gunicorn settings read from the working directory (``gunicorn huicai.wsgi`` run from the repository root).

Workers, threads and the bind address are given on the command line (docs/DEPLOYMENT.md, bench/http_bench.py); this
file only adds what a command line cannot say.
"""

import gc


def post_worker_init(worker):
    """Freeze what the worker imported (Django, Wagtail, the URL map, templates): after ``gc.freeze()`` the cyclic
    garbage collector no longer walks those objects, so a full collection during a request stays short. In
    bench/http_bench.py this took hello-world's p95 from 22.0/22.8 ms to 14.5/15.2 ms (two pairs of runs)."""
    gc.collect()
    gc.freeze()
