"""GET /metrics: the stack's figures in the Prometheus text format (services/api/metrics.py makes them)."""

from fastapi import APIRouter, Request, Response
from prometheus_client.exposition import choose_encoder

router = APIRouter(tags=["monitoring"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"description": "Prometheus text format", "content": {"text/plain": {}}}},
)
def metrics(request: Request) -> Response:
    """Jobs accepted and ended by mode and kernel, latency histograms, RQ queue depths, and each worker
    container's pool size, CPU seconds, throttling, jobs and chunks done (labels `container`, `service`);
    read from Redis at each scrape. OpenMetrics if the scraper asks for it (Accept), as Prometheus does."""
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(request.app.state.metrics), media_type=content_type)
