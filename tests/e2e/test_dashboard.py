"""The dashboard in real headless Chromium (selenium) against the compose stack: live CPU, the form, cancel.

Needs Debian's `chromium` and `chromium-driver` and the `selenium` package; in CI a missing one fails.
Set DASHBOARD_SCREENSHOT=docs/dashboard.png to refresh the README's screenshot (taken during a load).
"""

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.jobs import parse_job
from shared.plan import plan_job
from tests.e2e.conftest import REPO, WORKER_CPUS, WORKER_REPLICAS, Stack
from tests.helpers import BACKSTOP, require, wait_for
from tests.reference import PRIMES_BELOW_1E6

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import Select
except ImportError:  # reported by the fixture: a skip locally, a failure in CI
    webdriver = None

pytestmark = pytest.mark.e2e

# What Chromium needs to run headless here: no sandbox as root, and no calls home (the network is closed).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1100",
]
LOAD_JOBS = 12
PRIMES_BELOW_2E6 = 148_933


def _find(name: str, debian_path: str) -> str | None:
    return shutil.which(name) or (debian_path if os.access(debian_path, os.X_OK) else None)


@pytest.fixture(scope="module")
def browser() -> Iterator["WebDriver"]:
    require(webdriver is not None, "the `selenium` package (requirements-dev.txt)")
    chromium = _find("chromium", "/usr/bin/chromium")
    chromedriver = _find("chromedriver", "/usr/bin/chromedriver")
    require(chromium is not None, "Chromium (apt-get install chromium)")
    require(chromedriver is not None, "ChromeDriver (apt-get install chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="dashboard-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service(chromedriver), options=options)
        try:
            yield driver
        finally:
            driver.quit()


@pytest.fixture(scope="module")
def page(browser: "WebDriver", stack: Stack) -> "WebDriver":
    browser.get(str(stack.api.base_url))
    wait_for(lambda: "live" in browser.find_element(By.ID, "live").text or None, BACKSTOP, "the first poll")
    return browser


def _worker_hosts(stack: Stack) -> set[str]:
    return {c.attrs["Config"]["Hostname"] for c in stack.containers("worker")}


def _row(page: "WebDriver", job_id: str, status: str | None = None, timeout: float = 120):
    """The job's row once shown (with that status, if given)."""

    def shown():
        rows = page.find_elements(By.CSS_SELECTOR, f'tr[data-job-id="{job_id}"]')
        if rows and (status is None or rows[0].get_attribute("data-status") == status):
            return rows[0]
        return None

    return wait_for(shown, timeout, f"row of job {job_id} ({status or 'any status'})", interval=0.2)


def _submit(page: "WebDriver", stop: int, mode: str, jobs: int) -> list[str]:
    """Fill in the form and submit; the ids of the jobs it made."""
    Select(page.find_element(By.ID, "kernel")).select_by_visible_text("primes")
    for field, value in (("start", 0), ("stop", stop), ("count", jobs)):
        element = page.find_element(By.ID, field)
        element.clear()
        element.send_keys(str(value))
    Select(page.find_element(By.ID, "mode")).select_by_visible_text(mode)
    message = page.find_element(By.ID, "message")
    before = message.get_attribute("data-job-ids")
    page.find_element(By.ID, "submit").click()
    ids = wait_for(
        lambda: (
            (message.get_attribute("data-job-ids") or None)
            if message.get_attribute("data-job-ids") != before
            else None
        ),
        15,
        f"submission ({message.text})",
    )
    return ids.split(",")


def test_one_cpu_series_per_worker_container(page: "WebDriver", stack: Stack) -> None:
    hosts = _worker_hosts(stack)
    assert len(hosts) == WORKER_REPLICAS
    chart = page.find_element(By.ID, "cpu-chart")
    # Each container reports once a second, so both lines appear within a few polls.
    wait_for(
        lambda: chart.get_attribute("data-series-count") == str(WORKER_REPLICAS) or None, BACKSTOP, "series"
    )
    assert set(chart.get_attribute("data-hosts").split(",")) == hosts
    legend = page.find_elements(By.CSS_SELECTOR, "#cpu-legend li")
    assert {li.get_attribute("data-host") for li in legend} == hosts
    assert page.find_element(By.ID, "workers").text == str(WORKER_REPLICAS)
    # Pools follow the containers' CPU quota.
    assert page.find_element(By.ID, "pool").text == str(WORKER_REPLICAS * WORKER_CPUS)


def test_a_job_submitted_through_the_form_finishes_exactly(page: "WebDriver", stack: Stack) -> None:
    [job_id] = _submit(page, stop=1_000_000, mode="local", jobs=1)
    row = _row(page, job_id, "finished")
    answer = row.find_element(By.CSS_SELECTOR, "td.answer")
    assert answer.get_attribute("data-count") == str(PRIMES_BELOW_1E6)
    assert answer.text == "78,498"
    assert row.find_element(By.CSS_SELECTOR, "td.mode").text == "local"
    # Pool tasks as the job's plan cut them (POOL_TASKS: 8), whatever the pool's size.
    chunks = plan_job(parse_job({"kernel": "primes", "params": {"start": 0, "stop": 1_000_000}})).chunks_total
    assert chunks == 8
    assert row.find_element(By.CSS_SELECTOR, "td.progress").text.strip() == f"{chunks}/{chunks}"
    [host] = stack.api.get(f"/jobs/{job_id}").json()["hosts"]
    assert host in _worker_hosts(stack)
    assert host in row.find_element(By.CSS_SELECTOR, "td.hosts").text
    assert not row.find_element(By.CSS_SELECTOR, "button.cancel").is_displayed()


def test_a_small_load_live_and_a_cancel(page: "WebDriver", stack: Stack, tmp_path: Path) -> None:
    job_ids = _submit(page, stop=2_000_000, mode="local", jobs=LOAD_JOBS)
    assert len(job_ids) == LOAD_JOBS
    # A few jobs in: some finished, some running, the rest queued; both CPU lines near 100 %.
    wait_for(
        lambda: sum(_row(page, i).get_attribute("data-status") == "finished" for i in job_ids) >= 3 or None,
        120,
        "three finished jobs",
        interval=0.5,
    )
    assert int(page.find_element(By.ID, "queue-depth").text) > 0
    screenshot = Path(os.environ.get("DASHBOARD_SCREENSHOT") or tmp_path / "dashboard.png")
    page.save_screenshot(str(REPO / screenshot))

    # The newest job is still queued: cancel it from its row.
    last = _row(page, job_ids[-1])
    assert last.get_attribute("data-status") == "queued"
    last.find_element(By.CSS_SELECTOR, "button.cancel").click()
    _row(page, job_ids[-1], "canceled", timeout=15)

    for job_id in job_ids[:-1]:
        row = _row(page, job_id, "finished")
        assert row.find_element(By.CSS_SELECTOR, "td.answer").get_attribute("data-count") == str(
            PRIMES_BELOW_2E6
        )
    assert float(page.find_element(By.ID, "jobs-per-second").text) > 0
    assert page.find_element(By.ID, "latency").text.endswith(" s")

    # Throttling over the last 2 minutes, per container and for all: busy under a 1-CPU quota, so the
    # kernel counted periods, some of which may have ended throttled.
    for li in page.find_elements(By.CSS_SELECTOR, "#cpu-legend li"):
        periods, throttled = (
            int(li.get_attribute("data-periods")),
            int(li.get_attribute("data-throttled-periods")),
        )
        assert periods > 0 and 0 <= throttled <= periods, li.text
        assert re.search(r"throttled \d+ % of periods, \d+\.\d s", li.text), li.text
    assert re.fullmatch(r"\d+ % of periods, \d+\.\d s", page.find_element(By.ID, "throttled").text)
    # Bytes moved, totals: Redis in / out (the jobs and their records went through it), jobs' read /
    # pickled (datasets' only), the workers' network in / out (their own counters).
    size = r"(\d+ B|\d+\.\d [KMG]iB)"
    found = re.fullmatch(
        rf"Redis {size} / {size} · jobs {size} / {size} · workers {size} / {size}",
        page.find_element(By.ID, "bytes").text,
    )
    assert found and "0 B" not in (found[1], found[2], found[5], found[6]), page.find_element(
        By.ID, "bytes"
    ).text


def test_on_an_exposed_stack_the_page_takes_its_token_from_the_address(
    browser: "WebDriver", exposed_stack: tuple[Stack, str]
) -> None:
    """Opened once as /#token=<API_TOKEN>: the page polls with it, keeps it for the tab and drops it from
    the address; without it, the page says what it needs."""
    stack, token = exposed_stack
    base = str(stack.api.base_url).rstrip("/")
    browser.get(f"{base}/")
    browser.execute_script("sessionStorage.clear()")
    browser.refresh()
    wait_for(lambda: "401" in browser.find_element(By.ID, "live").text or None, BACKSTOP, "the refused poll")
    assert "open this page as /#token=<API_TOKEN>" in browser.find_element(By.ID, "live").text
    browser.get("about:blank")  # else only the fragment changes, and the page is not loaded again
    browser.get(f"{base}/#token={token}")
    wait_for(lambda: "live" in browser.find_element(By.ID, "live").text or None, BACKSTOP, "the first poll")
    assert browser.current_url == f"{base}/"
    assert browser.execute_script("return sessionStorage.getItem('cpu-contrast-api-token')") == token
    # Reloaded without the fragment, the tab still has it.
    browser.refresh()
    wait_for(
        lambda: "live ·" in browser.find_element(By.ID, "live").text or None, BACKSTOP, "a poll after reload"
    )
