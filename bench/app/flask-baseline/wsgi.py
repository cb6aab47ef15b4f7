"""gunicorn's entry point: the original Notejam app, configured by ENVIRONMENT=production and
SQLALCHEMY_DATABASE_URI as its README says."""
import notejam_compat  # noqa: F401

from notejam import app  # noqa: E402,F401
