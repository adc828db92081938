from tests.transport.conftest import Upstream, upstream

__all__ = ["Upstream", "upstream"]
