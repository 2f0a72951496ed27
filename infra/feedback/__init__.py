"""What people think of what the AI produced: verdicts, edits and ratings, and their statistics."""
