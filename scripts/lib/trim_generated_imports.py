#!/usr/bin/env python3
"""Drops the `public import struct Foundation.X` lines a generated file never uses, and makes
the OpenAPIRuntime import internal in a file that names none of the runtime's types.

swift-openapi-generator 1.14.3 gives every file the same imports and silences the unused ones
only for Swift 6.4 and later (`@diagnose(UnusedImportAccess, as: ignored)`); with Swift 6.3
each is a warning in every build of RoostClient. An import of a single type is unused exactly
when the type's name appears nowhere else in the file, so removing it cannot change the code;
a file that uses a runtime type not listed in RUNTIME with an internal import fails to build,
it cannot go wrong silently.

    trim_generated_imports.py FILE...
"""
import re
import sys

BLOCK = re.compile(
    r"#if compiler\(>=6\.4\)\n@diagnose\(UnusedImportAccess, as: ignored\)\n#endif\n"
    r"public import struct Foundation\.(\w+)\n")


RUNTIME = re.compile(
    r"\b(OpenAPI\w*Container|OpenAPIMIMEType|HTTPBody|MultipartBody|Converter|UniversalClient|ClientTransport|"
    r"ClientMiddleware|Configuration|UndocumentedPayload|AcceptableProtocol|AcceptHeaderContentType|"
    r"ServerVariable|Base64EncodedData)\b")
RUNTIME_IMPORT = "@_spi(Generated) public import OpenAPIRuntime\n"


def trim(text):
    if RUNTIME_IMPORT in text and not RUNTIME.search(text.replace(RUNTIME_IMPORT, "")):
        text = text.replace(RUNTIME_IMPORT, "@_spi(Generated) import OpenAPIRuntime\n")
    body = BLOCK.sub("", text)
    def keep(match):
        return match.group(0) if re.search(r"\b%s\b" % match.group(1), body) else ""
    return BLOCK.sub(keep, text)


for path in sys.argv[1:]:
    with open(path) as f:
        text = f.read()
    trimmed = trim(text)
    if trimmed != text:
        with open(path, "w") as f:
            f.write(trimmed)
