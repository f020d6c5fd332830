"""WeCom's XML (the callback envelope and the message inside it) read safely, and written.

The input is untrusted until its signature is checked, and the envelope is read before that: expat
is driven directly with every DTD refused (no entities, internal or external, so no billion laughs
and no file reads), and the result is a plain dict: a leaf is its text, an element with children a
dict of them (a repeated child becomes a list).
"""
from __future__ import annotations

from typing import Any
from xml.parsers import expat
from xml.sax.saxutils import escape

MAX_BYTES = 256 * 1024  # WeCom's messages are at most a few kB


class BadXML(ValueError):
    pass


def _refuse(*_args) -> None:
    raise BadXML("DTDs and entities are not accepted")


def parse(data: bytes | str) -> dict[str, Any]:
    """The root element's children as a dict; BadXML for anything not plain, small, well-formed XML."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        raise BadXML("too large")
    parser = expat.ParserCreate(encoding="utf-8")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    stack: list[tuple[str, dict, list[str]]] = [("", {}, [])]

    def start(name: str, _attrs: dict) -> None:
        if len(stack) > 8:
            raise BadXML("too deep")
        stack.append((name, {}, []))

    def end(name: str) -> None:
        _, children, texts = stack.pop()
        value: Any = children if children else "".join(texts).strip()
        siblings = stack[-1][1]
        if name in siblings:
            previous = siblings[name]
            siblings[name] = (previous if isinstance(previous, list) else [previous]) + [value]
        else:
            siblings[name] = value

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = lambda text: stack[-1][2].append(text)
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as exc:
        raise BadXML(str(exc)) from exc
    root = stack[0][1]
    if len(root) != 1:
        raise BadXML("no single root")
    body = next(iter(root.values()))
    return body if isinstance(body, dict) else {}


def cdata(value: str) -> str:
    """Text for an element (escaped rather than CDATA, so no value can close it)."""
    return escape(value)


def envelope(encrypted: str, msg_signature: str, timestamp: str, nonce: str) -> str:
    return (
        f"<xml><Encrypt>{cdata(encrypted)}</Encrypt><MsgSignature>{cdata(msg_signature)}</MsgSignature>"
        f"<TimeStamp>{cdata(timestamp)}</TimeStamp><Nonce>{cdata(nonce)}</Nonce></xml>"
    )


def message(fields: dict[str, Any]) -> str:
    """A flat (or nested) dict as <xml>…</xml>, as WeCom writes a message (the tests' fake tenant)."""

    def render(value: Any) -> str:
        if isinstance(value, dict):
            return "".join(f"<{k}>{render(v)}</{k}>" for k, v in value.items())
        return cdata(str(value))

    return f"<xml>{render(fields)}</xml>"
