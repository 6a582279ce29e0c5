#!/usr/bin/python3
"""Checks recorded kryptod answers against its OpenAPI document.

usage: openapi_validate.py DOCUMENT EXCHANGES

DOCUMENT is the OpenAPI 3.1 document as served; EXCHANGES a JSON array of
{"method", "path", "status", "content_type", "body"} where "path" is the
operation's path template ("/api/alerts/{id}"). Every exchange must name a
documented operation and a status documented for it; its Content-Type must be
a media type documented for that status, and its body must validate against
that media type's schema (JSON Schema draft 2020-12, with `$ref`s into the
document resolved). A status documented without content must come with an
empty body. Prints one line per failure and exits 1 if there was any.
"""
import json
import sys

import jsonschema
from jsonschema import Draft202012Validator, RefResolver


def resolve(doc, node):
    """Follows OpenAPI `$ref`s (to components) until a plain object."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/") or seen > 16:
            raise ValueError("unresolvable $ref " + ref)
        target = doc
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
        seen += 1
    return node


def check(doc, exchange, resolver, format_checker):
    where = "%s %s -> %s" % (exchange["method"], exchange["path"], exchange["status"])
    item = doc["paths"].get(exchange["path"])
    if item is None:
        return ["%s: the path is not documented" % where]
    op = item.get(exchange["method"].lower())
    if op is None:
        return ["%s: the method is not documented for this path" % where]
    response = op.get("responses", {}).get(str(exchange["status"]))
    if response is None:
        return ["%s: the status is not documented (documented: %s)"
                % (where, ", ".join(sorted(op.get("responses", {}))))]
    response = resolve(doc, response)
    body = exchange["body"]
    content = response.get("content")
    if not content:
        if body:
            return ["%s: documented without a body, answered %r" % (where, body[:120])]
        return []
    media = exchange["content_type"].split(";")[0].strip().lower()
    if media not in content:
        return ["%s: answered %r, documented %s" % (where, media, ", ".join(sorted(content)))]
    schema = content[media].get("schema")
    if schema is None:
        return ["%s: no schema documented for %s" % (where, media)]
    if media == "application/json" or media.endswith("+json"):
        try:
            instance = json.loads(body)
        except ValueError as e:
            return ["%s: the body is not JSON (%s): %r" % (where, e, body[:120])]
    else:
        instance = body
    validator = Draft202012Validator(schema, resolver=resolver, format_checker=format_checker)
    return ["%s: at %s: %s" % (where, e.json_path, e.message)
            for e in sorted(validator.iter_errors(instance), key=lambda e: e.json_path)]


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    with open(argv[2], encoding="utf-8") as f:
        exchanges = json.load(f)
    if not exchanges:
        print("no exchanges to check", file=sys.stderr)
        return 1
    # `$ref`s in the schemas ("#/components/schemas/Alert") resolve against
    # the whole document.
    resolver = RefResolver(base_uri="", referrer=doc)
    format_checker = jsonschema.draft202012_format_checker
    failures = []
    for exchange in exchanges:
        failures.extend(check(doc, exchange, resolver, format_checker))
    for line in failures:
        print(line)
    print("%d answers checked, %d failures" % (len(exchanges), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
