'use strict';
/**
 * serverless-offline gives a request body that came without a Content-Type the header
 * `Content-Type: application/json` in the function's event (its LambdaProxyIntegrationEvent and ...V2 classes,
 * "Set a default Content-Type if not provided"). API Gateway passes the request's headers as they came, so on
 * AWS such a body reaches the function without one and is refused with 415 (lib/http/request.ts, jsonBody);
 * locally it was accepted. This puts the event back as API Gateway builds it:
 *
 * - markMissingContentType(server): every request that came without a Content-Type gets a marker among its raw
 *   headers (a client's own copy of the marker is dropped first, so no client can take a real header away);
 * - installEventFidelity(): both event classes drop the marker, and the Content-Type they added beside it.
 *
 * The authorizer emulation builds the authorizer's events from the raw headers itself and skips the marker.
 */
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const MARKER = 'x-offline-no-content-type';

const isMarker = (name) => String(name).toLowerCase() === MARKER;

function dropRawHeader(rawHeaders, matches) {
  for (let i = rawHeaders.length - 2; i >= 0; i -= 2) if (matches(rawHeaders[i])) rawHeaders.splice(i, 2);
}

const markedServers = new WeakSet();

/** Marks, on arrival, each request of this hapi server that has no Content-Type. */
function markMissingContentType(server) {
  if (markedServers.has(server)) return;
  markedServers.add(server);
  server.ext('onRequest', (request, h) => {
    const raw = request.raw.req.rawHeaders;
    dropRawHeader(raw, isMarker);
    if (request.headers['content-type'] === undefined) raw.push(MARKER, '1');
    return h.continue;
  });
}

/** Without the marker and the Content-Type serverless-offline put beside it (any spelling of the name). */
function withoutDefaultContentType(event) {
  for (const headers of [event.headers, event.multiValueHeaders]) {
    if (!headers) continue;
    const names = Object.keys(headers);
    if (!names.some(isMarker)) continue;
    for (const name of names) if (isMarker(name) || name.toLowerCase() === 'content-type') delete headers[name];
  }
  return event;
}

let installed;

/** Wraps the `create` of serverless-offline's two proxy event classes (the same module instances it runs). */
function installEventFidelity() {
  installed ??= (async () => {
    const root = path.dirname(require.resolve('serverless-offline'));
    for (const file of ['LambdaProxyIntegrationEvent.js', 'LambdaProxyIntegrationEventV2.js']) {
      const { default: EventClass } = await import(pathToFileURL(path.join(root, 'events/http/lambda-events', file)).href);
      if (typeof EventClass?.prototype?.create !== 'function') throw new Error(`event-fidelity: serverless-offline's ${file} has no create()`);
      const create = EventClass.prototype.create;
      EventClass.prototype.create = function createAsApiGateway(...args) {
        return withoutDefaultContentType(create.apply(this, args));
      };
    }
  })();
  return installed;
}

module.exports = { MARKER, isMarker, markMissingContentType, installEventFidelity, withoutDefaultContentType };
