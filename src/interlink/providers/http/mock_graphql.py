"""The http mock's GraphQL endpoint: a small schema (a viewer, and a repository whose issues are
a cursor connection) executed by graphql-core, the reference implementation's Python port, so
the mock answers any valid query as a GraphQL server does (`data`, `errors` with `path`)."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, build_schema, graphql

SCHEMA = build_schema(
    """
    type Query {
      viewer: User!
      repository(owner: String!, name: String!): Repository
    }
    type Mutation {
      addIssue(owner: String!, name: String!, title: String!): Issue
    }
    type User { login: String! }
    type Repository {
      owner: String!
      name: String!
      issues(first: Int, after: String): IssueConnection!
    }
    type IssueConnection {
      nodes: [Issue!]!
      edges: [IssueEdge!]!
      pageInfo: PageInfo!
      totalCount: Int!
    }
    type IssueEdge { cursor: String!, node: Issue! }
    type Issue { number: Int!, title: String! }
    type PageInfo { hasNextPage: Boolean!, endCursor: String }
    """
)
REPOSITORY = ("octo", "hello")
DEFAULT_PAGE = 10


class GraphqlState:
    """The seeded repository's issues, and the root resolvers over them."""

    def __init__(self, issues: int = 25) -> None:
        self.issues = [{"number": n, "title": f"Issue {n}"} for n in range(1, issues + 1)]

    async def execute(self, body: dict[str, Any]) -> dict[str, Any]:
        result = await graphql(
            SCHEMA,
            str(body["query"]),
            root_value=self,
            variable_values=body.get("variables") or None,
            operation_name=body.get("operationName"),
        )
        return dict(result.formatted)

    def viewer(self, info: Any) -> dict[str, str]:
        return {"login": "mock"}

    def repository(self, info: Any, owner: str, name: str) -> dict[str, Any]:
        self._require(owner, name)
        return {"owner": owner, "name": name, "issues": self._issues}

    def addIssue(self, info: Any, owner: str, name: str, title: str) -> dict[str, Any]:
        self._require(owner, name)
        issue = {"number": len(self.issues) + 1, "title": title}
        self.issues.append(issue)
        return issue

    def _issues(self, info: Any, first: int | None = None, after: str | None = None) -> Any:
        start = int(after.removeprefix("cursor:")) if after else 0
        page = self.issues[start : start + (first or DEFAULT_PAGE)]
        end = start + len(page)
        return {
            "nodes": page,
            "edges": [{"cursor": f"cursor:{start + i + 1}", "node": n} for i, n in enumerate(page)],
            "pageInfo": {"hasNextPage": end < len(self.issues), "endCursor": f"cursor:{end}"},
            "totalCount": len(self.issues),
        }

    @staticmethod
    def _require(owner: str, name: str) -> None:
        if (owner, name) != REPOSITORY:
            raise GraphQLError(
                f"Could not resolve to a Repository with the name '{owner}/{name}'.",
                extensions={"type": "NOT_FOUND"},
            )
