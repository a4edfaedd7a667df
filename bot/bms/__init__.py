"""Huawei Cloud BMS: the async client, signing and IAM-token auth, errors, models, backends."""
