"""panel-service: the expert pool and verifiable random panel draws."""

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())
