"""gunicorn settings for production and `make prod-local`; every value can be overridden
from the environment (GUNICORN_*)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Longer than the think time between a learner's requests (5-15 s): a connection the server closes
# just as the browser reuses it fails that request.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "30"))
# Recycling workers after N requests drops the keep-alive connections they hold (clients see
# "connection closed without response"); off unless a leak calls for it.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
wsgi_app = "lms.wsgi:application"


def post_worker_init(worker):
    """Move everything loaded at start-up (Django, Wagtail, the app) out of the garbage
    collector's view: collections then scan only what requests allocate (Python's gc.freeze,
    meant for pre-forking servers)."""
    import gc

    gc.freeze()
