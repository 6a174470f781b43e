"""Collects the workers' self-reported CPU (GET /workers, from their own cgroups) during a load test."""

import threading
import time

import httpx

from services.tools import api_auth

# Seconds between polls: the workers report once a second.
POLL_INTERVAL = 1.0


class SelfReportWatcher:
    """Polls GET /workers in a background thread; series() gives host -> [(unix time, cpu %)]."""

    def __init__(self, base_url: str) -> None:
        self._client = httpx.Client(base_url=base_url, headers=api_auth.headers(), timeout=5)
        self._series: dict[str, list[tuple[float, float]]] = {}
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="self-reports", daemon=True)

    def start(self) -> "SelfReportWatcher":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        self._client.close()

    def series(self) -> dict[str, list[tuple[float, float]]]:
        return {host: list(points) for host, points in self._series.items()}

    def _poll(self) -> None:
        seen: dict[str, float] = {}
        while not self._stopping.is_set():
            try:
                for report in self._client.get("/workers").json():
                    host, at = report["host"], report["updated_at"]
                    if report["cpu_percent"] is not None and seen.get(host) != at:
                        seen[host] = at
                        self._series.setdefault(host, []).append((at, report["cpu_percent"]))
            except (httpx.HTTPError, ValueError):
                pass  # the API busy or restarting: the next poll tries again
            self._stopping.wait(POLL_INTERVAL - time.time() % POLL_INTERVAL)
