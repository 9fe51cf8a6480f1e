"""Upload protocol surfaces (tus, ResumableJS, Content-Range, signed URLs, by URL), all thin
layers over the upload engine (``core/uploads*.py``); ``routes.py`` assembles them."""
