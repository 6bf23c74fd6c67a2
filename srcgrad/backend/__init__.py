"""Back end: IR to Python source, compiled, linked to live names, cached."""
