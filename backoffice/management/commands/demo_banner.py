"""Waits for the web server of `make run`, then prints where it is and how to log in."""

import signal
import time
import urllib.request

from django.core.management.base import BaseCommand

from backoffice.management.commands.seed_demo import demo_credentials


class Command(BaseCommand):
    help = "Print the URL and demo logins once the web server answers, then wait."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")
        parser.add_argument("--timeout", type=int, default=120)

    def handle(self, *args, url, timeout, **options):
        signal.signal(signal.SIGTERM, lambda *_: exit(0))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url + "login/", timeout=2)  # noqa: S310 (our own local server)
                break
            except OSError:
                time.sleep(0.5)
        lines = [f"Back office is running at {url}", "Log in with:"]
        lines += [f"  {user:<6} password: {password}" for user, password in demo_credentials().items()]
        lines += ["API docs: " + url + "api/docs/", "Press Ctrl-C to stop the web server, worker and beat."]
        width = max(map(len, lines)) + 2
        self.stdout.write("\n" + "=" * width + "\n" + "\n".join(lines) + "\n" + "=" * width, ending="\n")
        self.stdout.flush()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
