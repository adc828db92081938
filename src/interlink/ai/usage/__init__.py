"""Usage, cost and budgets of language-model calls: every call's tokens and cost, priced from a
table kept as data (`prices.json`, overridable per integration), and budgets per integration or
workspace reserved before a call and settled to its real usage after (docs/ai.md)."""
