"""Postman collections run with their scripts, in Postman's own runtime."""
