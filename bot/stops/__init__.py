"""The life cycle of a stop request, owned by ``StopService`` (``service.py``), its one face.

Each step is a module of plain async functions that receive exactly what they use (the cloud
calls, the stores, the thread) and hand back the snapshot they made; the service reads each
request once per step and sequences the steps. No step calls another.
"""
