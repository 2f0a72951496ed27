"""Requirement documents: recognise them by content, convert them to text or stories, and split
them into atomic requirements. Used by the API (checks at upload) and the requirements consumer."""
