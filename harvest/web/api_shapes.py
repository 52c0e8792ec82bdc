"""The shapes of the knowledge service's JSON API (experts, people, leavers and their plans),
for the OpenAPI document and the checks of what is sent and answered (`edrm.web.api_style`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from edrm.web.api_style import Answer, PageQuery, Problem, Request, page_model

ERRORS: dict[str, Any] = {"HTTP_400": Problem, "HTTP_401": Problem, "HTTP_403": Problem}
ERRORS_404: dict[str, Any] = {**ERRORS, "HTTP_404": Problem}


class ExpertsQuery(BaseModel):
    q: str = Field("", max_length=2000, description="the question or topic (required)")
    limit: int = Field(10, ge=1, le=100)


class Experts(Answer):
    """People who know about a topic, with why (skills, records filed, endorsements)."""


class PeopleQuery(PageQuery):
    q: str = Field("", max_length=500)
    unit: str = Field("", max_length=200)
    location: str = Field("", max_length=200)


class PersonEntry(Answer):
    username: str
    name: str
    unit: str | None = None
    location: str | None = None
    role: str | None = None


class PeoplePage(Answer):
    items: list[PersonEntry]
    next: str | None = None
    total: int
    people: list[PersonEntry]


class Person(Answer):
    """A person's public profile: skills with levels and endorsements, communities."""

    username: str


class LeaversQuery(PageQuery):
    current: str | None = Field(None, description="1: only those who have not yet left")


class LeaverEntry(Answer):
    username: str


LeaverPage = page_model(LeaverEntry, "LeaverPage")


class Leaver(Answer):
    username: str
    reason: str | None = None


class LeaverRisk(Answer):
    """The classes where the leaver's knowledge is at risk, highest first."""


class Plan(Answer):
    leaver: str
    status: str
    questions: list[dict[str, Any]]
    sessions: list[dict[str, Any]]


class NewSkill(Request):
    skill: str = Field(min_length=1, max_length=200, description="a taxonomy skill or a tag")
    level: int = Field(ge=1, le=5, description="1 (aware) to 5 (expert)")


class SkillOut(Answer):
    id: int
    name: str
    level: int


class NewLeaver(Request):
    username: str = Field(min_length=1, max_length=100)
    leaving_date: date
    successor: str = Field(min_length=1, max_length=100)
    manager: str | None = Field(None, max_length=100)
    reason: str = Field("", max_length=2000)


class NewPlan(Request):
    template: str | None = Field(None, max_length=100, description="a plan template's name")
