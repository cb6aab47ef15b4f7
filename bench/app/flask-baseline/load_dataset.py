"""Creates the original Notejam's tables and loads the benchmark's data set into them.

Reads JSON on stdin: {"email", "password", "pads": [{"id", "name"}], "notes": [{"id",
"name", "text", "padId", "createdAt", "updatedAt"}]} (the data set Notejam's own seed made,
read back from its database), and prints {"pads": {id: flask id}, "notes": {id: flask id}}.
"""
import json
import sys
from datetime import datetime

from werkzeug.security import generate_password_hash

import notejam_compat  # noqa: F401

from notejam import app, db  # noqa: E402
from notejam.models import Note, Pad, User  # noqa: E402

data = json.load(sys.stdin)
with app.app_context():
    db.create_all()
    # Hashed as Werkzeug did in 2013 (today's default no longer fits the app's
    # 100-character column, which MySQL enforces); it is checked once, at sign-in.
    user = User(email=data['email'])
    user.password = generate_password_hash(data['password'], method='pbkdf2:sha1:1000')
    db.session.add(user)
    db.session.flush()
    pads = {}
    for pad in data['pads']:
        row = Pad(name=pad['name'], user=user)
        db.session.add(row)
        db.session.flush()
        pads[pad['id']] = row.id
    notes = {}
    for note in data['notes']:
        row = Note(
            name=note['name'],
            text=note['text'],
            user_id=user.id,
            pad_id=pads.get(note['padId']),
            created_at=datetime.fromisoformat(note['createdAt']),
            updated_at=datetime.fromisoformat(note['updatedAt']),
        )
        db.session.add(row)
        db.session.flush()
        notes[note['id']] = row.id
    db.session.commit()
print(json.dumps({'pads': pads, 'notes': notes}))
