"""HTTP health checks of the services."""

import time
import urllib.error
import urllib.request


def healthy(url: str, timeout: float = 2.0) -> bool:
    """True if GET `url` answers 200."""
    request = urllib.request.Request(url, method="GET")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_healthy(url: str, timeout: float, still_running=lambda: True) -> float | None:
    """Seconds until `url` was healthy, or None on timeout or if the process died."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if healthy(url):
            return time.monotonic() - started
        if not still_running():
            return None
        time.sleep(0.2)
    return None
