"""JSON-RPC: the protocol and command table (server.py), HTTP (http.py), and the node's commands."""
