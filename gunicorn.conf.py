"""Production web server settings (`make serve`); every value can be set from the environment.

Sync workers, one request at a time each: the application is CPU- and database-bound, and a worker
per core (plus one) keeps both busy. Put a reverse proxy (TLS, slow clients) in front.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
worker_class = "sync"
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
# Workers are replaced now and then, so that no slow leak grows without end.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
# Request line and header limits, on top of the application's own (backoffice.request_limits).
limit_request_line = 8190
limit_request_field_size = 8190
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None  # empty: no access log
# The path without its query string: searches (the customer selector's e-mails, names, phones) stay out of logs.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(f)s" "%(a)s"'
errorlog = "-"
# Proxies whose X-Forwarded-Proto is believed (the application reads X-Forwarded-For by TRUSTED_PROXIES).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
