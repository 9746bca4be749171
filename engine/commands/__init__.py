"""The command line: one module per command, each turning its flags into a request."""
