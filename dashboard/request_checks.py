"""One validation layer in front of Dash: body size, the shape of callback requests, URL values, asset paths.

Crafted requests get a 4xx and one escaped warning line, never a 500 with a traceback:

- A body larger than `MAX_REQUEST_KB` gets 413 before anything reads it (Dash's callbacks send a few KB).
- `POST /_dash-update-component` must be JSON at most `MAX_JSON_DEPTH` deep, name a registered callback
  (`output`), give that callback's own `outputs` (ids and properties; a pattern output any id of its shape),
  and carry `inputs`/`state` entries of `{id, property, value}`. The URL properties of a
  `dcc.Location` (`pathname`, `search`, `hash`, `href`) must be strings (or null) without control
  characters, and a `pathname` starts with "/". Anything else: 400. Individual callbacks still normalise
  their own filter values (`dashboard.urlstate`).
- An asset or component-suite URL that Dash does not serve gives 404 (Dash raises DependencyException,
  which Flask would log as a 500 with a traceback).

    install_request_checks(app, settings)    # dashboard.app does it, after the sign-in guard
"""

from __future__ import annotations

import json
import logging
from typing import Any

from dash import Dash
from dash.exceptions import DependencyException
from flask import Response, request

from core.settings import Settings

logger = logging.getLogger(__name__)

MAX_JSON_DEPTH = 32
URL_PROPS = ("pathname", "search", "hash", "href")
CALLBACK_PATH = "/_dash-update-component"


class Refused(ValueError):
    """A crafted callback request: the message says what was wrong."""


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest in `value` (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return deepest


def _check_value(prop: str, value: Any) -> None:
    if prop not in URL_PROPS or value is None:
        return
    if not isinstance(value, str):
        raise Refused(f"{prop} must be a string, not {type(value).__name__}")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise Refused(f"{prop} holds control characters: {value[:80]}")
    if prop == "pathname" and not value.startswith("/"):
        raise Refused(f"pathname must start with '/': {value[:80]}")


def _check_entries(entries: Any, where: str, declared: list[dict[str, Any]] | None) -> None:
    if not isinstance(entries, list):
        raise Refused(f"{where} must be a list")
    if declared is not None:
        if len(entries) != len(declared):
            raise Refused(f"{where}: {len(entries)} entries for a callback that takes {len(declared)}")
        for entry, spec in zip(entries, declared, strict=True):
            fixed_id = isinstance(spec.get("id"), str) and not str(spec["id"]).startswith("{")
            if (
                fixed_id
                and isinstance(entry, dict)
                and (entry.get("id"), entry.get("property"))
                != (
                    spec["id"],
                    spec.get("property"),
                )
            ):
                raise Refused(f"{where}: not the callback's {spec['id']}.{spec.get('property')}")
    for entry in entries:
        for item in entry if isinstance(entry, list) else [entry]:  # a pattern-matching input is a list
            if not isinstance(item, dict) or not isinstance(item.get("property"), str):
                raise Refused(f"{where} entries must be objects with a property")
            if not isinstance(item.get("id"), str | dict):
                raise Refused(f"{where} entries need an id")
            _check_value(item["property"], item.get("value"))


def declared_outputs(output: str) -> list[tuple[Any, str]]:
    """(id, property) of each output in Dash's `output` string ("..a.x...b.y.." for several); a pattern id
    comes back as its JSON object (wildcards as Dash writes them, e.g. ["MATCH"])."""
    parts = output[2:-2].split("...") if output.startswith("..") and output.endswith("..") else [output]
    declared = []
    for part in parts:
        component, _, prop = part.rpartition(".")
        declared.append((json.loads(component) if component.startswith("{") else component, prop))
    return declared


def _check_outputs(outputs: Any, output: str) -> None:
    """`outputs` must be the callback's own: one entry per declared output (an object, or a list of them for an
    ALL pattern), each with its property and its id (a pattern output: an object with the pattern's keys).
    Dash would otherwise fail inside with a 500."""
    declared = declared_outputs(output)
    entries = outputs if isinstance(outputs, list) and output.startswith("..") else [outputs]
    if len(entries) != len(declared):
        raise Refused(f"outputs: {len(entries)} entries for a callback that sets {len(declared)}")
    for entry, (component, prop) in zip(entries, declared, strict=True):
        for item in entry if isinstance(entry, list) and isinstance(component, dict) else [entry]:
            if not isinstance(item, dict) or item.get("property") != prop:
                raise Refused(f"outputs: not the callback's {str(component)[:60]}.{prop}")
            given = item.get("id")
            if isinstance(component, dict):
                if not isinstance(given, dict) or set(given) != set(component):
                    raise Refused(f"outputs: not an id of the pattern {str(component)[:60]}")
            elif given != component:
                raise Refused(f"outputs: not the callback's {component[:60]}.{prop}")


def check_callback_body(body: bytes, callbacks: dict[str, Any]) -> None:
    """Raise `Refused` unless `body` is a well-formed request for one of `callbacks` (Dash's callback map:
    output -> spec), with the inputs and state that callback declares."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise Refused(f"not JSON ({type(error).__name__})") from None
    if json_depth(payload) > MAX_JSON_DEPTH:
        raise Refused(f"JSON nested deeper than {MAX_JSON_DEPTH}")
    if not isinstance(payload, dict) or not isinstance(payload.get("output"), str):
        raise Refused("no output named")
    spec = callbacks.get(payload["output"])
    if spec is None:
        raise Refused(f"no callback for output {payload['output'][:80]}")
    _check_outputs(payload.get("outputs"), payload["output"])
    _check_entries(payload.get("inputs"), "inputs", spec.get("inputs"))
    _check_entries(payload.get("state", []), "state", spec.get("state"))
    changed = payload.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(p, str) for p in changed):
        raise Refused("changedPropIds must be a list of strings")


def install_request_checks(app: Dash, settings: Settings) -> None:
    """Cap bodies (first of all hooks), then check callback requests (after the sign-in guard)."""
    server = app.server
    limit = settings.MAX_REQUEST_KB * 1024
    server.config["MAX_CONTENT_LENGTH"] = limit  # also caps chunked bodies while they are read

    def cap_body() -> Response | None:
        if request.content_length is not None and request.content_length > limit:
            logger.warning("refused a %d-byte body to %s (MAX_REQUEST_KB=%d)", request.content_length,
                           request.path, settings.MAX_REQUEST_KB)  # fmt: skip
            return Response(f"Request body over {settings.MAX_REQUEST_KB} KB.", 413, mimetype="text/plain")
        return None

    def check_callback() -> Response | None:
        if request.method != "POST" or request.path != CALLBACK_PATH:
            return None
        try:
            check_callback_body(request.get_data(cache=True), app.callback_map)
        except Refused as refusal:
            logger.warning("refused a callback request from %s: %s", request.remote_addr, refusal)
            body = json.dumps({"error": "malformed callback request", "reason": str(refusal)[:200]})
            return Response(body, 400, mimetype="application/json")
        return None

    def unknown_dependency(error: DependencyException) -> Response:
        logger.warning("no such asset: %s", request.path[:200])
        return Response("Not found.", 404, mimetype="text/plain")

    server.before_request_funcs.setdefault(None, []).insert(0, cap_body)
    server.before_request(check_callback)
    server.register_error_handler(DependencyException, unknown_dependency)
