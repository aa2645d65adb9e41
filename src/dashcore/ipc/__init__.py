"""The split mode's plumbing: dashcore's interfaces carried between processes by mpipc.

``adapters`` converts between the Python interface classes and the proxies generated
from the .capnp schemas; ``process`` spawns, serves, listens and connects; ``peer``
keeps a process's registrations safe when its peer goes. Node and wallet code never
import this package: only the entry points in ``dashcore.init`` do.
"""
