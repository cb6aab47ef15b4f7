"""Lets the original Flask Notejam import on Python 3 and the libraries of requirements.txt.

It changes nothing in Notejam's code or behaviour; it only puts back the names the 2013
code imports: the `flask.ext.*` aliases of the extensions (removed in Flask 1.0), the
WTForms 1 names it takes from `flask.ext.wtf`, Werkzeug's `safe_str_cmp` (used by
Flask-Login 0.2) and Python 2's `md5` module.
"""
import hashlib
import hmac
import sys
import types

import werkzeug.security

werkzeug.security.safe_str_cmp = hmac.compare_digest

import flask  # noqa: E402
import flask_login  # noqa: E402
import flask_mail  # noqa: E402
import flask_sqlalchemy  # noqa: E402
import flask_wtf  # noqa: E402
import wtforms  # noqa: E402
from wtforms import validators  # noqa: E402

wtf = types.ModuleType('flask.ext.wtf')
wtf.Form = flask_wtf.FlaskForm
wtf.TextField = wtforms.StringField
wtf.PasswordField = wtforms.PasswordField
wtf.SelectField = wtforms.SelectField
wtf.TextAreaField = wtforms.TextAreaField
wtf.Required = validators.DataRequired
wtf.Email = validators.Email
wtf.EqualTo = validators.EqualTo
wtf.ValidationError = validators.ValidationError

ext = types.ModuleType('flask.ext')
ext.__path__ = []
sys.modules['flask.ext'] = ext
flask.ext = ext
for name, module in {
    'sqlalchemy': flask_sqlalchemy,
    'login': flask_login,
    'mail': flask_mail,
    'wtf': wtf,
}.items():
    sys.modules[f'flask.ext.{name}'] = module
    setattr(ext, name, module)

md5 = types.ModuleType('md5')
md5.new = hashlib.md5
sys.modules['md5'] = md5
