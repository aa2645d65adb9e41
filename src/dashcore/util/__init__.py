"""Process-wide utilities: options and config file, logging, clock."""
