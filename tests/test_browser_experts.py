"""Browser test: from the home page a civil servant finds an expert, sees why they were found,
opens their profile and endorses one of their skills."""

from __future__ import annotations

from typing import Any

import pytest

from edrm.search_indexer import apply_outbox
from harvest.directory.skills import declare_skill
from harvest.directory.taxonomy import taxonomy_for
from tests.conftest import World, add_person, file_text
from tests.test_browser import _sign_in, live_server, page

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sqlite_only]
__all__ = ["live_server", "page"]


@pytest.fixture
def experts(world: World) -> None:
    """xavier filed three drainage records and declared procurement; yusuf filed one."""
    rt = world.runtime
    with rt.uow() as s:
        xavier = add_person(s, "xavier", "civil_servant", "OFFICIAL")
        yusuf = add_person(s, "yusuf", "civil_servant", "OFFICIAL")
        for title in ("Drainage survey", "Drainage works order", "Drainage culvert repairs"):
            file_text(s, rt, "FIN-AP-INV", title, actor=xavier)
        file_text(s, rt, "FIN-AP-INV", "Drainage budget", actor=yusuf)
        declare_skill(s, xavier, taxonomy_for(rt.settings), "policy.flood-risk", 3)
    apply_outbox(rt.sessions, rt.search)


def test_a_person_finds_an_expert_and_opens_their_profile(
    experts: None, live_server: str, page: Any, world: World
) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    apply_outbox(world.runtime.sessions, world.runtime.search)
    _sign_in(page, live_server, "clerk")

    page.click("text=Find an expert >> nth=-1")
    page.fill("#q", "who knows about drainage?")
    with page.expect_navigation():
        page.click("button:has-text('Find people')")
    first = page.locator(".edrm-expert").first
    first.wait_for()
    assert first.get_attribute("data-username") == "xavier"
    assert first.locator("li[data-kind=inferred]").count() == 3
    assert first.locator("li[data-kind=declared]").count() == 1
    assert "Drainage survey" in first.inner_text()

    with page.expect_navigation():
        first.locator("h2 a").click()
    assert page.locator("h1").inner_text() == "Xavier"
    assert "Flood and coastal risk" in page.locator(".edrm-skills").inner_text()

    with page.expect_navigation():
        page.click("button:has-text('Endorse')")
    page.get_by_text("You endorsed the skill.").wait_for()
    assert page.locator(".edrm-skills strong[data-kind=endorsed]").count() == 1
    assert errors == []
