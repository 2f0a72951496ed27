"""What the results say over more than one run: run comparison."""
