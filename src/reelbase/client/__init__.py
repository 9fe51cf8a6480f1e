"""The ``reelbase upload`` command's tus client: it talks to a Reelbase server over HTTP like any
other client and imports nothing of the server, so it stays apart from the server's packages."""
