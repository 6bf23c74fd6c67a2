"""Facts about an IR function; analyses never change the IR."""
