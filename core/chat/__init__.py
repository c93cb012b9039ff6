"""The neutral conversation: commands in, messages out, no platform in sight."""
