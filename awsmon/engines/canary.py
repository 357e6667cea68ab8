"""CloudWatch Synthetics canaries, the pure parts (no I/O): names, schedules, blueprint scripts, run evaluation.

* Names: ``^[0-9a-z_\\-]+$``, 1-255 characters (botocore's CanaryName; AWS raised the limit from 21 in 2024-09).
* Schedules (AWS's CanaryScheduleInput): ``rate(N minute|minutes)`` with 1 <= N <= 60, ``rate(1 hour)``,
  ``rate(0 minute)`` / ``rate(0 hour)`` (run once when started), or ``cron(...)`` with six fields whose Year is ``*``
  (the Synthetics cron page), otherwise EventBridge's cron grammar (:mod:`awsmon.engines.schedule`).
* Blueprint scripts: awsmon writes a Node.js Synthetics script for ``--blueprint heartbeat|api`` with its plan in a
  ``// awsmon-blueprint: {json}`` line, so the local account knows what to request; AWS's own heartbeat blueprint
  (``const urls = [...]``) is recognised too. Anything else is a custom script, which the local account does not run.
* Runs: :func:`evaluate` turns the responses of a run's steps into its status, metrics and HAR-like request log.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

NAME_RE = re.compile(r"[0-9a-z_\-]+")
NAME_MAX = 255
EXPRESSION_MAX = 1024
DURATION_MAX = 31_622_400  # MaxOneYearInSeconds
TIMEOUT_RANGE = (3, 840)
MEMORY_RANGE = (960, 3008)
RETENTION_RANGE = (1, 1024)
DEFAULT_RUNTIME = "syn-nodejs-puppeteer-9.1"
# DescribeRuntimeVersions, locally: runtime versions AWS publishes, with the deprecation dates of the "Runtime versions
# support policy" page (CloudWatch_Synthetics_Runtime_Support_Policy.html); None where the page lists none (still
# supported). Release dates are not listed: awsmon does not know them for every version and does not invent them.
RUNTIME_VERSIONS: dict[str, tuple[str, str | None]] = {
    "syn-nodejs-puppeteer-3.8": ("Node.js Puppeteer runtime 3.8", "2024-01-08"),
    "syn-nodejs-puppeteer-3.9": ("Node.js Puppeteer runtime 3.9", "2024-01-08"),
    "syn-nodejs-puppeteer-4.0": ("Node.js Puppeteer runtime 4.0", "2024-03-08"),
    "syn-nodejs-puppeteer-5.0": ("Node.js Puppeteer runtime 5.0", "2024-03-08"),
    "syn-nodejs-puppeteer-5.1": ("Node.js Puppeteer runtime 5.1", "2024-03-08"),
    "syn-nodejs-puppeteer-5.2": ("Node.js Puppeteer runtime 5.2", "2026-01-22"),
    "syn-nodejs-puppeteer-6.0": ("Node.js Puppeteer runtime 6.0", "2024-03-08"),
    "syn-nodejs-puppeteer-6.1": ("Node.js Puppeteer runtime 6.1", "2024-03-08"),
    "syn-nodejs-puppeteer-6.2": ("Node.js Puppeteer runtime 6.2", "2026-01-22"),
    "syn-nodejs-puppeteer-7.0": ("Node.js Puppeteer runtime 7.0", "2026-01-22"),
    "syn-nodejs-puppeteer-8.0": ("Node.js Puppeteer runtime 8.0", None),
    "syn-nodejs-puppeteer-9.0": ("Node.js Puppeteer runtime 9.0", None),
    "syn-nodejs-puppeteer-9.1": ("Node.js Puppeteer runtime 9.1", None),
    "syn-nodejs-puppeteer-10.0": ("Node.js Puppeteer runtime 10.0", None),
    "syn-nodejs-playwright-1.0": ("Node.js Playwright runtime 1.0", None),
    "syn-nodejs-playwright-2.0": ("Node.js Playwright runtime 2.0", None),
    "syn-python-selenium-1.3": ("Python Selenium runtime 1.3", "2024-03-08"),
    "syn-python-selenium-2.0": ("Python Selenium runtime 2.0", "2024-03-08"),
    "syn-python-selenium-2.1": ("Python Selenium runtime 2.1", "2026-01-22"),
    "syn-python-selenium-3.0": ("Python Selenium runtime 3.0", "2026-01-22"),
    "syn-python-selenium-4.0": ("Python Selenium runtime 4.0", "2026-02-03"),
    "syn-python-selenium-4.1": ("Python Selenium runtime 4.1", "2026-02-03"),
    "syn-python-selenium-5.0": ("Python Selenium runtime 5.0", "2026-02-03"),
    "syn-python-selenium-5.1": ("Python Selenium runtime 5.1", "2026-02-03"),
    "syn-python-selenium-6.0": ("Python Selenium runtime 6.0", None),
    "syn-python-selenium-7.0": ("Python Selenium runtime 7.0", None),
    "syn-java-1.0": ("Java runtime 1.0", None),
}
HANDLER_RE = re.compile(r"(([0-9a-zA-Z_-]+(/|\.))*[0-9A-Za-z_\\-]+(\.|::)[A-Za-z_][A-Za-z0-9_]*)?")
MARKER = "// awsmon-blueprint: "
BLUEPRINTS = ("heartbeat", "api")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

_RATE_RE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour)\s*\)")


class CanaryInputError(ValueError):
    """Invalid input; ``message`` is the text AWS's ValidationException carries."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def constraint(value: Any, param: str, rule: str) -> CanaryInputError:
    """AWS's model-validation wording (REST-JSON services)."""
    return CanaryInputError(f"1 validation error detected: Value '{value}' at '{param}' failed to satisfy "
                            f"constraint: {rule}")  # fmt: skip


def check_name(name: Any, param: str = "name") -> str:
    if not isinstance(name, str) or not name:
        raise constraint(name, param, "Member must have length greater than or equal to 1")
    if len(name) > NAME_MAX:
        raise constraint(name, param, f"Member must have length less than or equal to {NAME_MAX}")
    if not NAME_RE.fullmatch(name):
        raise constraint(name, param, "Member must satisfy regular expression pattern: ^[0-9a-z_\\-]+$")
    return name


# -- schedules ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CanarySchedule:
    """A validated canary schedule. ``period`` for rate, ``cron`` for cron, ``once`` for rate(0 ...)."""

    expression: str
    period: timedelta | None = None
    cron: Any = None
    once: bool = False

    def first_run(self, started: datetime) -> datetime | None:
        """When the first run after a start happens: at once for rate schedules (AWS starts a run when the canary
        starts), at the next fire time for cron."""
        if self.cron is not None:
            return self.cron.next_after(started)
        return started

    def next_run(self, after: datetime, started: datetime) -> datetime | None:
        """The run strictly after ``after`` (None for a run-once canary)."""
        if self.once:
            return None
        if self.cron is not None:
            return self.cron.next_after(after)
        assert self.period is not None
        k = (after - started) // self.period + 1
        return started + max(k, 1) * self.period

    def runs_between(self, first: datetime, until: datetime, started: datetime, limit: int) -> tuple[list[datetime], int]:
        """Scheduled runs in ``[first, until]``: the last ``limit`` of them and how many earlier ones were left out.
        Rate schedules are counted arithmetically; cron walks fire times (callers bound the span)."""
        if first > until:
            return [], 0
        if self.once:
            return [first], 0
        if self.period is not None:
            total = (until - first) // self.period + 1
            skip = max(0, total - limit)
            return [first + (skip + i) * self.period for i in range(total - skip)], skip
        out: list[datetime] = []
        t: datetime | None = first
        skipped = 0
        while t is not None and t <= until:
            out.append(t)
            if len(out) > limit:
                out.pop(0)
                skipped += 1
            t = self.cron.next_after(t)
        return out, skipped

    @property
    def period_seconds(self) -> int | None:
        return None if self.period is None else int(self.period.total_seconds())


def invalid_schedule(expression: Any) -> CanaryInputError:
    # [design choice] AWS's exact wording for a bad canary schedule is not published; awsmon names the expression.
    return CanaryInputError(f"Invalid schedule expression: {expression}. Use rate(N minute[s]) with N from 1 to 60, "
                            "rate(1 hour), rate(0 minute) to run once, or cron(...) with six fields and * for Year.")


def parse_schedule(expression: Any) -> CanarySchedule:
    """Validate a canary schedule expression; raises CanaryInputError with the ValidationException text."""
    from awsmon.engines.schedule import CronSchedule, ScheduleError
    from awsmon.engines.schedule import parse_schedule as parse_event_schedule

    if not isinstance(expression, str) or not expression.strip():
        raise constraint(expression, "schedule.expression", "Member must have length greater than or equal to 1")
    if len(expression) > EXPRESSION_MAX:
        raise constraint(expression, "schedule.expression",
                         f"Member must have length less than or equal to {EXPRESSION_MAX}")  # fmt: skip
    text = expression.strip()
    m = _RATE_RE.fullmatch(text)
    if m is not None:
        value, unit = int(m.group(1)), m.group(2)
        if value == 0:
            return CanarySchedule(text, once=True)
        minutes = value * (60 if unit == "hour" else 1)
        if not 1 <= minutes <= 60 or (unit == "hour" and value != 1):
            raise invalid_schedule(expression)
        return CanarySchedule(text, period=timedelta(minutes=minutes))
    if text.startswith("cron(") and text.endswith(")"):
        fields = text[5:-1].split()
        if len(fields) != 6 or fields[5] != "*":
            raise invalid_schedule(expression)
        try:
            cron = parse_event_schedule(text)
        except ScheduleError:
            raise invalid_schedule(expression) from None
        assert isinstance(cron, CronSchedule)
        return CanarySchedule(text, cron=cron)
    raise invalid_schedule(expression)


def default_timeout(schedule: CanarySchedule) -> int:
    """AWS: without TimeoutInSeconds the schedule's frequency is used, up to 840 seconds."""
    seconds = schedule.period_seconds
    return TIMEOUT_RANGE[1] if seconds is None else min(seconds, TIMEOUT_RANGE[1])


# -- blueprints -----------------------------------------------------------------------------------------------------
def check_steps(steps: Any) -> list[dict[str, Any]]:
    """API-canary steps: ``[{"name"?, "method"?, "url", "headers"?, "body"?, "expectedStatus"?}]`` normalised."""
    if not isinstance(steps, list) or not steps:
        raise CanaryInputError("an API canary needs a non-empty list of steps")
    out: list[dict[str, Any]] = []
    for i, step in enumerate(steps, start=1):
        if not isinstance(step, dict):
            raise CanaryInputError(f"step {i} is not an object")
        unknown = set(step) - {"name", "method", "url", "headers", "body", "expectedStatus"}
        if unknown:
            raise CanaryInputError(f"step {i}: unknown field(s) {', '.join(sorted(unknown))}")
        url = step.get("url")
        check_url(url, f"step {i}")
        method = str(step.get("method") or "GET").upper()
        if method not in METHODS:
            raise CanaryInputError(f"step {i}: method must be one of {', '.join(METHODS)}")
        headers = step.get("headers") or {}
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise CanaryInputError(f"step {i}: headers must be an object of strings")
        body = step.get("body")
        if body is not None and not isinstance(body, str):
            body = json.dumps(body)
        expected = step.get("expectedStatus")
        if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int)
                                     or not 100 <= expected <= 599):  # fmt: skip
            raise CanaryInputError(f"step {i}: expectedStatus must be an HTTP status code (100-599)")
        name = str(step.get("name") or f"step{i}")
        out.append({"name": name, "method": method, "url": url, "headers": dict(headers), "body": body,
                    "expectedStatus": expected})  # fmt: skip
    if len({s["name"] for s in out}) != len(out):
        raise CanaryInputError("step names must be unique")
    return out


def check_url(url: Any, what: str) -> str:
    if not isinstance(url, str) or not re.match(r"https?://[^\s/]+", url):
        raise CanaryInputError(f"{what}: the URL must start with http:// or https:// (got {url!r})")
    return url


def blueprint_plan(kind: str, urls: list[str] | None = None, steps: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    if kind == "heartbeat":
        if not urls:
            raise CanaryInputError("a heartbeat canary needs --url")
        checked = [check_url(u, "--url") for u in urls]
        return {"kind": "heartbeat", "steps": [{"name": _step_name(u), "method": "GET", "url": u, "headers": {},
                                                "body": None, "expectedStatus": None} for u in checked]}  # fmt: skip
    if kind == "api":
        return {"kind": "api", "steps": check_steps(steps)}
    raise CanaryInputError(f"unknown blueprint {kind!r}: expected one of {', '.join(BLUEPRINTS)}")


def _step_name(url: str) -> str:
    """The step name the heartbeat blueprint uses: the URL without its scheme (Synthetics' loadUrl step name)."""
    return re.sub(r"^https?://", "", url)[:255] or url


def blueprint_script(plan: dict[str, Any]) -> str:
    """A Node.js (Puppeteer runtime) Synthetics script doing what the plan says, with the plan in its marker line:
    the same code runs on AWS and tells the local account what to request."""
    marker = MARKER + json.dumps(plan, separators=(",", ":"), sort_keys=True)
    if plan["kind"] == "heartbeat":
        urls = json.dumps([s["url"] for s in plan["steps"]])
        body = f"""const {{ URL }} = require('url');
const synthetics = require('Synthetics');
const log = require('SyntheticsLogger');

const urls = {urls};

const loadUrl = async function (page, url) {{
    const response = await page.goto(url, {{ waitUntil: ['domcontentloaded'], timeout: 30000 }});
    if (!response || response.status() < 200 || response.status() > 299) {{
        throw new Error(`Failed to load url: ${{url}}. Status code: ${{response ? response.status() : 'none'}}`);
    }}
}};

exports.handler = async () => {{
    const page = await synthetics.getPage();
    for (const url of urls) {{
        const stepName = new URL(url).hostname + new URL(url).pathname;
        await synthetics.executeStep(stepName, async () => loadUrl(page, url));
    }}
    log.info('heartbeat done');
}};
"""
    else:
        steps = json.dumps(plan["steps"], indent=2)
        body = f"""const synthetics = require('Synthetics');
const log = require('SyntheticsLogger');

const steps = {steps};

exports.handler = async () => {{
    for (const step of steps) {{
        const url = new URL(step.url);
        const port = url.port || (url.protocol === 'https:' ? 443 : 80);
        const options = {{ hostname: url.hostname, port: port, path: url.pathname + url.search,
                          method: step.method, protocol: url.protocol, headers: step.headers, body: step.body }};
        await synthetics.executeHttpStep(step.name, options, async (res) => {{
            const ok = step.expectedStatus ? res.statusCode === step.expectedStatus
                                           : res.statusCode >= 200 && res.statusCode <= 299;
            if (!ok) throw new Error(`Failed: ${{res.statusCode}} ${{res.statusMessage}}`);
        }});
    }}
    log.info('api canary done');
}};
"""
    return f"{marker}\n{body}"


_URLS_RE = re.compile(r"\burls\s*=\s*\[([^\]]*)\]", re.S)
_QUOTED_RE = re.compile(r"""['"`](https?://[^'"`\s]+)['"`]""")


def plan_from_script(text: str) -> dict[str, Any] | None:
    """What the local account runs for a canary script: awsmon's marker, else AWS's heartbeat blueprint's
    ``const urls = [...]`` list, else None (a custom script)."""
    for line in text.splitlines():
        if line.startswith(MARKER):
            try:
                plan = json.loads(line[len(MARKER):])
            except ValueError:
                return None
            if isinstance(plan, dict) and plan.get("kind") in BLUEPRINTS and isinstance(plan.get("steps"), list):
                return plan
            return None
    m = _URLS_RE.search(text)
    if m and "synthetics" in text.lower():
        urls = _QUOTED_RE.findall(m.group(1))
        if urls:
            return blueprint_plan("heartbeat", urls)
    return None


# -- runs -----------------------------------------------------------------------------------------------------------
@dataclass
class Response:
    """What one request of a run got: a status (None: no response) or a network error, and its timing."""

    method: str
    url: str
    status: int | None
    reason: str = ""
    error: str | None = None
    elapsed_ms: float = 0.0
    request_headers: dict[str, str] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    size: int = 0
    mime: str = ""
    body_size: int = 0


@dataclass
class RunOutcome:
    passed: bool
    reason: str | None
    duration_ms: float
    steps: list[dict[str, Any]]
    metrics: list[tuple[str, dict[str, str], float, str]]  # (metric name, dimensions, value, unit)


def evaluate(canary: str, plan: dict[str, Any], responses: list[Response]) -> RunOutcome:
    """A run's result from its steps' responses (one per step, in order; steps after a failure are not run, as a
    Synthetics script stops at the first throwing step)."""
    steps: list[dict[str, Any]] = []
    reason: str | None = None
    counts = {"2xx": 0.0, "4xx": 0.0, "5xx": 0.0, "Failed requests": 0.0}
    total_ms = 0.0
    for step, resp in zip(plan["steps"], responses, strict=False):
        total_ms += resp.elapsed_ms
        failure = step_failure(plan["kind"], step, resp)
        if resp.status is None:
            counts["Failed requests"] += 1
        elif 200 <= resp.status <= 299:
            counts["2xx"] += 1
        elif 400 <= resp.status <= 499:
            counts["4xx"] += 1
        elif resp.status >= 500:
            counts["5xx"] += 1
        steps.append({"stepName": step["name"], "status": "FAILED" if failure else "PASSED", "failureReason": failure,
                      "statusCode": resp.status, "durationMs": round(resp.elapsed_ms, 3)})  # fmt: skip
        if failure:
            reason = failure
            break
    passed = reason is None and len(steps) == len(plan["steps"])
    dims = {"CanaryName": canary}
    metrics: list[tuple[str, dict[str, str], float, str]] = [
        ("SuccessPercent", dims, 100.0 if passed else 0.0, "Percent"),
        ("Duration", dims, round(total_ms, 3), "Milliseconds"),
        ("Failed", dims, 0.0 if passed else 1.0, "Count"),
    ]
    metrics += [(name, dims, value, "Count") for name, value in counts.items()]
    if plan["kind"] == "api":
        for s in steps:
            sdims = {"CanaryName": canary, "StepName": s["stepName"]}
            metrics.append(("SuccessPercent", sdims, 100.0 if s["status"] == "PASSED" else 0.0, "Percent"))
            metrics.append(("Duration", sdims, s["durationMs"], "Milliseconds"))
    return RunOutcome(passed, reason, total_ms, steps, metrics)


def step_failure(kind: str, step: dict[str, Any], resp: Response) -> str | None:
    """Why a step failed (None: it passed). Network errors read as the runtime reports them."""
    if resp.status is None:
        return resp.error or f"net::ERR_FAILED at {resp.url}"
    expected = step.get("expectedStatus")
    ok = resp.status == expected if expected else 200 <= resp.status <= 299
    if ok:
        return None
    if kind == "heartbeat":
        return f"Failed to load url: {resp.url}. Status code: {resp.status}"
    want = f" (expected {expected})" if expected else ""
    return f"Failed: {resp.status} {resp.reason}{want}".rstrip()


def _iso_ms(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def har_log(started: datetime, responses: list[Response]) -> dict[str, Any]:
    """A HAR 1.2 document of the run's requests (what Synthetics keeps as the run's HAR file)."""
    entries = []
    t = started
    for r in responses:
        entries.append({
            "startedDateTime": _iso_ms(t),
            "time": round(r.elapsed_ms, 3),
            "request": {"method": r.method, "url": r.url, "httpVersion": "HTTP/1.1",
                        "headers": [{"name": k, "value": v} for k, v in r.request_headers.items()],
                        "queryString": [], "cookies": [], "headersSize": -1, "bodySize": r.body_size},
            "response": {"status": r.status or 0, "statusText": r.reason if r.status else "", "httpVersion": "HTTP/1.1",
                         "headers": [{"name": k, "value": v} for k, v in r.response_headers.items()], "cookies": [],
                         "content": {"size": r.size, "mimeType": r.mime}, "redirectURL": "",
                         "headersSize": -1, "bodySize": r.size if r.status else -1,
                         **({"_error": r.error} if r.error else {})},
            "cache": {},
            "timings": {"send": 0, "wait": round(r.elapsed_ms, 3), "receive": 0},
        })  # fmt: skip
        t += timedelta(milliseconds=r.elapsed_ms)
    return {"log": {"version": "1.2", "creator": {"name": "awsmon", "version": "1"}, "pages": [], "entries": entries}}


def run_folder(location: str, when: datetime) -> tuple[str, str]:
    """(bucket, key prefix) of a run's artifacts: the canary's ArtifactS3Location then ``YYYY/MM/DD/HH/mm-ss-mmm``
    (the layout AWS's runs show, e.g. ``.../demo_canary-abc-example1234/2024/10/15/13/50-39-690``)."""
    path = location.removeprefix("s3://").strip("/")
    bucket, _, prefix = path.partition("/")
    when = when.astimezone(UTC)
    folder = f"{when:%Y/%m/%d/%H}/{when:%M-%S}-{when.microsecond // 1000:03d}"
    return bucket, f"{prefix}/{folder}" if prefix else folder
