"""Local development: debug on, a throwaway secret, everything else from base defaults."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="local-development-only-not-a-secret")
# The demo's inbound-mail secret (README: "Customer email"); production has no default.
INBOUND_MAIL_SECRET = env("INBOUND_MAIL_SECRET", default="local-inbound-mail-secret")
