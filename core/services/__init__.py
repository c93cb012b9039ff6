"""Domain services: the use cases the conversation calls."""
