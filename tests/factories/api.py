"""Helpers of the CRM API tests: where the endpoints live and how their errors read."""

CRM_API = "/api/crm"


def error_attrs(response) -> set[str]:
    """The field names of a standardized validation error response."""
    body = response.json()
    assert body["type"] == "validation_error", body
    return {error["attr"] for error in body["errors"]}


def ids(response) -> list[int]:
    """The ids of a paginated list response, in order."""
    return [row["id"] for row in response.json()["results"]]
