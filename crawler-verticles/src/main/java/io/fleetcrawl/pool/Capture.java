package io.fleetcrawl.pool;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * An HTTP exchange as it crossed the wire, kept so that an archive can hold what was really sent
 * and received rather than a reconstruction: the body still carries its {@code Content-Encoding}.
 *
 * @param startedAt epoch milliseconds at which the request was sent
 * @param ip the address connected to, or null through a proxy (which hides the server's address)
 * @param requestTarget the request target as sent on HTTP/1.1 (path and query)
 * @param requestHeaders the request's headers as sent, {@code Host} first
 * @param reason the status line's reason phrase (HTTP/2 has none; the standard phrase is used)
 * @param responseHeaders the response's headers as received
 * @param raw the body as received (encoded), at most the size cap; empty when not read
 * @param decodeError why the encoded body could not be decoded (an unknown or corrupt coding), or
 *     null
 * @param notStored why the body was not read past the headers (its media type is not stored), or
 *     null
 */
public record Capture(
    long startedAt,
    String ip,
    String requestTarget,
    MultiMap requestHeaders,
    String reason,
    MultiMap responseHeaders,
    Buffer raw,
    String decodeError,
    String notStored) {}
