// Verifies webhook deliveries of the VAE platform (Standard Webhooks, HMAC-SHA256), with
// Node.js's standard library only (node:crypto, node:http): no npm install.
//
// What is signed: `${webhook-id}.${webhook-timestamp}.${raw body}`, with HMAC-SHA256 keyed by
// the base64 part of the `whsec_…` secret; `webhook-signature` holds `v1,<base64>` (several,
// space-separated, during a secret rotation).
//
// Run it as a small receiver:
//
//     WEBHOOK_SECRET=whsec_… PORT=8080 node verify-webhook.mjs
//
// It answers 204 to an authentic delivery, 204 again without processing to a redelivery of the
// same webhook-id, and 400 to a delivery it cannot verify.

import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";

export const TOLERANCE_SECONDS = 5 * 60; // older or newer deliveries are refused (replays)

export class InvalidWebhookError extends Error {}

/**
 * Returns the delivered CloudEvent, or throws InvalidWebhookError.
 *
 * @param {string} secret the `whsec_…` secret shown when you subscribed
 * @param {Buffer} body the raw body received (never JSON.stringify(JSON.parse(body)))
 * @param {Record<string, string | string[] | undefined>} headers lowercase names, as node:http gives them
 * @param {{ now?: number }} [options] the current Unix time in seconds (tests)
 */
export function verifyWebhook(secret, body, headers, { now = Date.now() / 1000 } = {}) {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (typeof id !== "string" || typeof timestamp !== "string" || typeof signatures !== "string") {
    throw new InvalidWebhookError("a webhook-* header is missing");
  }
  if (!/^\d+$/.test(timestamp)) {
    throw new InvalidWebhookError("webhook-timestamp is not a Unix time");
  }
  if (Math.abs(now - Number(timestamp)) > TOLERANCE_SECONDS) {
    throw new InvalidWebhookError("webhook-timestamp is too far from now");
  }
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key)
    .update(`${id}.${timestamp}.`)
    .update(body)
    .digest();
  for (const candidate of signatures.split(" ")) {
    const [version, signature = ""] = candidate.split(",");
    const received = Buffer.from(signature, "base64");
    if (
      version === "v1" &&
      received.length === expected.length &&
      timingSafeEqual(received, expected)
    ) {
      return JSON.parse(body.toString("utf8"));
    }
  }
  throw new InvalidWebhookError("no webhook-signature matches the secret");
}

function serve(secret, port) {
  const seen = new Set(); // in production: a unique key in your database
  const server = createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      let event;
      try {
        event = verifyWebhook(secret, Buffer.concat(chunks), request.headers);
      } catch (error) {
        if (!(error instanceof InvalidWebhookError)) throw error;
        console.log(`refused: ${error.message}`);
        response.writeHead(400).end();
        return;
      }
      if (seen.has(event.id)) {
        console.log(`duplicate ${event.id}`);
      } else {
        seen.add(event.id);
        // Hand the event to a queue or a job here; answer within a few seconds.
        console.log(`received ${event.id} ${event.type} ${event.subject}`);
      }
      response.writeHead(204).end();
    });
  });
  server.listen(port, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${port}/`));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  serve(process.env.WEBHOOK_SECRET, Number(process.env.PORT ?? 8080));
}
