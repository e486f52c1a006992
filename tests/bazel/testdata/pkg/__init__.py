"""A package for analysis tests; never built."""
