"""Consensus data structures: transactions and blocks with Bitcoin/Dash serialization."""
