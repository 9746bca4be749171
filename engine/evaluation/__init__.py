"""Compiled rules x snapshot -> findings; the Session facade (parse, check, compile, evaluate)."""
