"""The contract suite over a declared provider: the sample declaration built into a connector,
replayed against its mock through the real transport like any built-in."""

from __future__ import annotations

import pytest

from interlink.providers.custom.sample import sample_provider
from interlink.testing import contract

CASES = contract.cases([sample_provider()])


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_the_contract(case: contract.Case) -> None:
    await contract.check(case)
