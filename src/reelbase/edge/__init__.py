"""What every HTTP surface (``api/``, ``dialects/``, ``web/``, ``uploads/protocols/``) shares at the
edge of the app: request dependencies, reading upload bodies, serving stored files, error bodies
and the public URL prefix. Surfaces import this and ``core``, never each other."""
