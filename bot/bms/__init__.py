"""Huawei Cloud BMS: signing, the async client, its errors and the simulator."""
