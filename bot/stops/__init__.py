"""The life cycle of a stop request, owned by ``StopService`` (``service.py``), its one face.

Each step is a small object that holds exactly what it uses (the cloud calls, the stores, the
voice, a smaller step such as the settlements) and hands back the snapshot it made; the service
reads each request once per step and sequences the steps.
"""
