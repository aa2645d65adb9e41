"""A two-process demo of the engine: a parent calls an Adder served by a child over a socketpair."""
