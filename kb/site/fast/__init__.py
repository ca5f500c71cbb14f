"""The build's speed machinery, all of it behind one switch (`parallel: false` turns it off)."""
