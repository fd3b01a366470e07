"""The embedded fake Contentsquare API (loopback only), for `csauth demo`, tests and benchmarks."""

from .demo import DEMO_CREDENTIALS, demo_credentials, demo_profiles_toml
from .server import (
    FAULT_KINDS,
    FakeContentsquare,
    FakeCredential,
    Fault,
    RecordedRequest,
)

__all__ = [
    "DEMO_CREDENTIALS",
    "FAULT_KINDS",
    "FakeContentsquare",
    "FakeCredential",
    "Fault",
    "RecordedRequest",
    "demo_credentials",
    "demo_profiles_toml",
]
