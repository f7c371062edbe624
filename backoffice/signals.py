from django.dispatch import Signal

# Sent by seed_demo after the demo organization and users exist: (organization, users, stdout).
# Apps that the core must not import (accounts, commerce, ...) add their demo records here.
demo_seeded = Signal()
