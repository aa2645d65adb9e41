"""Executables: each file builds one program from the parts (the only place node and wallet meet)."""
