"""Huawei Cloud BMS: signing, the async client, its exception tree and the simulator's shared models."""
