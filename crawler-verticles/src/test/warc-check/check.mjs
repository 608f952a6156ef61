#!/usr/bin/env node
// Independent WARC verifier: reads the crawler's *.warc.gz (and their .cdxj indexes) with
// webrecorder's warcio.js, so the files are checked by a second implementation, not the
// jwarc code that wrote them.
//   node check.mjs <warcDir> [expect.json] [--require-cdxj]
// Prints one JSON object; exit 0 when `problems` is empty, 1 otherwise, 2 on bad usage.
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import zlib from "node:zlib";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { WARCParser, AsyncIterReader, StatusAndHeadersParser } from "warcio";

const REVISIT_PROFILES = new Set([
  "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
  "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest",
]);
const CAPTURES = new Set(["response", "revisit"]);

const args = process.argv.slice(2);
const requireCdxj = args.includes("--require-cdxj");
const [warcDir, expectPath] = args.filter((a) => !a.startsWith("--"));
if (!warcDir || !fs.statSync(warcDir, { throwIfNoEntry: false })?.isDirectory()) {
  console.error("usage: node check.mjs <warcDir> [expect.json] [--require-cdxj]");
  process.exit(2);
}
const expect = expectPath ? JSON.parse(fs.readFileSync(expectPath, "utf8")) : null;

const problems = [];
const problem = (file, offset, id, msg) => problems.push(`${file} @${offset} ${id || "(no record id)"}: ${msg}`);

// RFC 4648 base32, the encoding WARC digests use ("sha1:" + 32 chars).
function base32(buf) {
  const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, value = 0, out = "";
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) { out += A[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += A[(value << (5 - bits)) & 31];
  return out;
}

// Returns null when `header` ("sha1:BASE32", hex also accepted) is the digest of `bytes`.
function digestError(header, bytes) {
  const m = /^([A-Za-z0-9-]+):(\S+)$/.exec(header.trim());
  if (!m) return `malformed digest "${header}"`;
  let h;
  try { h = crypto.createHash(m[1].toLowerCase().replace("-", "")).update(bytes).digest(); }
  catch { return `unsupported digest algorithm in "${header}"`; }
  const want = m[2].replace(/=+$/, "").toUpperCase();
  if (want === base32(h) || want === h.toString("hex").toUpperCase()) return null;
  return `digest mismatch: header ${header}, computed ${m[1]}:${base32(h)}`;
}

// Split an HTTP message (record block) into warcio-parsed headers and the raw body bytes.
// We locate the header end ourselves so the body is exactly the bytes after CRLFCRLF.
async function splitHttp(block) {
  const end = block.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const reader = new AsyncIterReader([block.subarray(0, end + 4)], null);
  const head = await new StatusAndHeadersParser().parse(reader, { headersClass: Headers });
  return head && { head, body: block.subarray(end + 4) };
}

// Undo Transfer-Encoding: chunked (warcio's dechunker), leaving Content-Encoding alone:
// this is the "payload" that WARC-Payload-Digest covers.
async function transferDecode(http, where) {
  const te = (http.head.headers.get("transfer-encoding") || "").toLowerCase()
    .split(",").map((s) => s.trim()).filter((s) => s && s !== "identity");
  if (!te.length) return http.body;
  if (te.join() !== "chunked") { where(`unsupported Transfer-Encoding "${te.join()}"`); return http.body; }
  const r = new AsyncIterReader([http.body], null, true);
  const out = Buffer.from(await r.readFully());
  // warcio's dechunker falls back to the raw bytes when the body isn't chunked at all.
  if (r.errored || (http.body.length && out.equals(http.body))) where("malformed chunked body");
  return out;
}

// Undo a Content-Encoding stack ("gzip, br" was applied gzip first, so undo right to left).
function contentDecode(bytes, header) {
  const codings = (header || "").toLowerCase().split(",").map((s) => s.trim()).filter((s) => s && s !== "identity");
  for (const c of codings.reverse()) {
    if (c === "gzip" || c === "x-gzip") bytes = zlib.gunzipSync(bytes);
    else if (c === "br") bytes = zlib.brotliDecompressSync(bytes);
    else if (c === "deflate") {
      // "deflate" should be zlib-wrapped, but some servers send raw deflate.
      try { bytes = zlib.inflateSync(bytes); } catch { bytes = zlib.inflateRawSync(bytes); }
    } else throw new Error(`unsupported Content-Encoding "${c}"`);
  }
  return bytes;
}

// Parse one WARC file with warcio's WARCParser and check each record on its own (checks 1, 3).
async function readWarc(name) {
  const file = path.join(warcDir, name);
  const recs = [];
  // An independent gzip pass (node's zlib checks every member's CRC); warcio itself falls back
  // to treating undecodable bytes as uncompressed, which would hide a corrupt member.
  try { await pipeline(fs.createReadStream(file), zlib.createGunzip(), new Writable({ write: (c, e, cb) => cb() })); }
  catch (e) { problem(name, 0, null, `not a valid gzip file: ${e.message}`); }

  // warcio reports "Content-Length Too Small" only through console.warn: capture it.
  const warn = console.warn;
  let prev = null;
  console.warn = (...a) => problem(name, prev?.offset ?? 0, prev?.id, `warcio: ${a.join(" ")}`);
  const parser = new WARCParser(fs.createReadStream(file), { parseHttp: false });
  try {
    for await (const record of parser) {
      const h = record.warcHeaders.headers;
      const rec = { file: name, offset: parser.offset, id: h.get("WARC-Record-ID"), type: record.warcType,
        uri: record.warcTargetURI, date: record.warcDate, payloadDigest: h.get("WARC-Payload-Digest"),
        truncated: h.get("WARC-Truncated") || false, h,
        concurrentTo: (h.get("WARC-Concurrent-To") || "").split(",").map((s) => s.trim()).filter(Boolean) };
      const bad = (msg) => problem(name, rec.offset, rec.id, msg);
      prev = rec;
      recs.push(rec);
      if (!record.warcHeaders.statusline.startsWith("WARC/")) bad(`bad version line "${record.warcHeaders.statusline}"`);
      if (!rec.id) bad("missing WARC-Record-ID");
      if (!rec.type) bad("missing WARC-Type");
      const block = Buffer.from(await record.readFully(false));
      if (block.length !== record.warcContentLength)
        bad(`block is ${block.length} bytes, Content-Length says ${h.get("Content-Length")}`);
      const blockDigest = h.get("WARC-Block-Digest");
      const be = blockDigest && digestError(blockDigest, block);
      if (be) bad(`WARC-Block-Digest: ${be}`);
      if (!["response", "revisit", "request"].includes(rec.type)) continue;
      if (rec.type !== "request" && !rec.uri) bad("missing WARC-Target-URI");
      const http = await splitHttp(block);
      if (!http) { if (rec.type !== "revisit" || block.length) bad("HTTP headers not terminated by CRLFCRLF"); continue; }
      if (rec.type === "request") continue;
      rec.status = http.head.statusCode;
      rec.contentEncoding = http.head.headers.get("content-encoding");
      // A revisit normally carries headers only; its digest then names the original's
      // payload and is checked against the original (check 6), not against an empty body.
      if (rec.type === "revisit" && !http.body.length) continue;
      const payload = await transferDecode(http, bad);
      if (rec.payloadDigest) { const pe = digestError(rec.payloadDigest, payload); if (pe) bad(`WARC-Payload-Digest: ${pe}`); }
      if (expect) rec.payload = payload; // kept only in expect mode (test-sized archives)
    }
  } catch (e) {
    problem(name, prev?.offset ?? 0, prev?.id, `parse failed after this record: ${e.message}`);
  } finally {
    console.warn = warn;
  }
  if (!recs.length) problem(name, 0, null, "no records");
  else if (recs[0].type !== "warcinfo") problem(name, recs[0].offset, recs[0].id, `first record is ${recs[0].type}, not warcinfo`);
  checkPairs(name, recs);
  return recs;
}

// Check 2: request <-> response pairing via WARC-Concurrent-To, either direction, same file.
// A request may also pair with a revisit (a deduplicated fetch still sends a request).
function checkPairs(name, recs) {
  const byId = new Map(recs.map((r) => [r.id, r]));
  const namedBy = new Map(); // id -> records whose WARC-Concurrent-To names it
  for (const r of recs) for (const id of r.concurrentTo) namedBy.set(id, [...(namedBy.get(id) || []), r]);
  const requestsOf = new Map(); // response/revisit id -> Set of request ids
  for (const q of recs.filter((r) => r.type === "request")) {
    const partners = new Set([
      ...q.concurrentTo.map((id) => byId.get(id)).filter((r) => r && CAPTURES.has(r.type)),
      ...(namedBy.get(q.id) || []).filter((r) => CAPTURES.has(r.type)),
    ]);
    if (!partners.size) problem(name, q.offset, q.id, "request is not concurrent to any response/revisit in this file");
    for (const p of partners) requestsOf.set(p.id, new Set([...(requestsOf.get(p.id) || []), q.id]));
  }
  for (const r of recs.filter((r) => r.type === "response")) {
    const n = requestsOf.get(r.id)?.size || 0;
    if (n !== 1) problem(name, r.offset, r.id, `response has ${n} request records, expected exactly 1`);
  }
}

// Check 5: the CDXJ beside the WARC. Each line's member is read back independently of the
// sequential parse (own fs read + zlib gunzip), so an index pointing mid-member is caught.
async function checkCdxj(name, covered) {
  const cdxName = `${name}.cdxj`;
  const cdxPath = path.join(warcDir, cdxName);
  if (!fs.existsSync(cdxPath)) {
    if (requireCdxj) problem(name, 0, null, `missing ${cdxName}`);
    return 0;
  }
  const lines = fs.readFileSync(cdxPath, "utf8").split("\n");
  if (lines.at(-1) === "") lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const bad = (msg) => problems.push(`${cdxName} line ${i + 1}: ${msg}`);
    if (i > 0 && Buffer.compare(Buffer.from(lines[i - 1]), Buffer.from(line)) > 0) bad("not sorted (byte order) after previous line");
    const m = /^(\S+) (\d{14}) (\{.*\})$/.exec(line);
    if (!m) { bad(`not "SURTKEY TIMESTAMP14 {json}": ${line.slice(0, 120)}`); continue; }
    let j;
    try { j = JSON.parse(m[3]); } catch (e) { bad(`bad JSON: ${e.message}`); continue; }
    const missing = ["url", "offset", "length", "filename"].filter((k) => j[k] === undefined);
    if (missing.length) { bad(`JSON lacks ${missing.join(", ")}`); continue; }
    const offset = Number(j.offset), length = Number(j.length);
    const target = path.join(warcDir, path.basename(String(j.filename)));
    if (!fs.existsSync(target)) { bad(`filename ${j.filename} not in ${warcDir}`); continue; }
    const where = `${j.filename} @${offset}`;
    const buf = Buffer.alloc(length);
    const fd = fs.openSync(target, "r");
    const got = fs.readSync(fd, buf, 0, length, offset);
    fs.closeSync(fd);
    if (got !== length) { bad(`${where}: only ${got} of length ${length} bytes in file`); continue; }
    let raw;
    try { raw = zlib.gunzipSync(buf); } catch (e) { bad(`${where} length ${length}: not one whole gzip member: ${e.message}`); continue; }
    try {
      const parser = new WARCParser(new AsyncIterReader([raw], null), { parseHttp: false });
      const rec = await parser.parse();
      if (!rec) { bad(`${where}: no WARC record in member`); continue; }
      const id = rec.warcHeader("WARC-Record-ID");
      if (!CAPTURES.has(rec.warcType)) bad(`${where} ${id}: record is ${rec.warcType}, expected response or revisit`);
      if (rec.warcTargetURI !== j.url) bad(`${where} ${id}: WARC-Target-URI ${rec.warcTargetURI} != url ${j.url}`);
      const ts = (rec.warcDate || "").replace(/\D/g, "").slice(0, 14);
      if (ts !== m[2]) bad(`${where} ${id}: timestamp ${m[2]} != WARC-Date ${rec.warcDate}`);
      if (await parser.parse()) bad(`${where}: length ${length} spans more than one record`);
      covered.add(id);
    } catch (e) { bad(`${where}: parse failed: ${e.message}`); }
  }
  return lines.length;
}

const sameDate = (a, b) => a === b || (Date.parse(a) === Date.parse(b) && !Number.isNaN(Date.parse(a)));

const files = fs.readdirSync(warcDir).filter((f) => f.endsWith(".warc.gz")).sort();
const all = [];
for (const f of files) all.push(...(await readWarc(f)));
const covered = new Set();
let cdxjLines = 0;
for (const f of files) cdxjLines += await checkCdxj(f, covered);
for (const r of all.filter((r) => CAPTURES.has(r.type) && !covered.has(r.id))) {
  // A missing index is reported once above (with --require-cdxj), not once per record.
  if (fs.existsSync(path.join(warcDir, `${r.file}.cdxj`)))
    problem(r.file, r.offset, r.id, `${r.type} for ${r.uri} has no CDXJ line`);
}

// Check 6: each revisit names an earlier response with the same URI, date and payload digest.
const responses = all.filter((r) => r.type === "response");
const originalOf = new Map();
for (const v of all.filter((r) => r.type === "revisit")) {
  const bad = (msg) => problem(v.file, v.offset, v.id, msg);
  const refUri = v.h.get("WARC-Refers-To-Target-URI"), refDate = v.h.get("WARC-Refers-To-Date");
  if (!REVISIT_PROFILES.has(v.h.get("WARC-Profile"))) bad(`unexpected WARC-Profile ${v.h.get("WARC-Profile")}`);
  if (!refUri || !refDate) { bad("missing WARC-Refers-To-Target-URI or WARC-Refers-To-Date"); continue; }
  if (!v.payloadDigest) { bad("revisit without WARC-Payload-Digest"); continue; }
  const orig = responses.find((r) => r.uri === refUri && sameDate(r.date, refDate)
    && r.payloadDigest === v.payloadDigest && Date.parse(r.date) <= Date.parse(v.date));
  if (orig) originalOf.set(v.id, orig);
  else bad(`no earlier response for ${refUri} at ${refDate} with digest ${v.payloadDigest}`);
}

// Check 4: decoded payloads against the expected bytes.
if (expect) {
  for (const [uri, expFile] of Object.entries(expect)) {
    const wantPath = path.resolve(path.dirname(expectPath), expFile);
    if (!fs.existsSync(wantPath)) { problems.push(`expect: file ${expFile} for ${uri} does not exist`); continue; }
    const want = fs.readFileSync(wantPath);
    const captures = all.filter((r) => CAPTURES.has(r.type) && r.uri === uri);
    if (!captures.length) { problems.push(`expect: no response or revisit for ${uri}`); continue; }
    for (const c of captures) {
      const src = c.type === "revisit" ? originalOf.get(c.id) : c; // a revisit's original must match
      if (!src || src.truncated || !src.payload) continue; // unresolved revisits are reported above
      const bad = (msg) => problem(c.file, c.offset, c.id, `expect ${uri}: ${msg}`);
      let got;
      try { got = contentDecode(src.payload, src.contentEncoding); }
      catch (e) { bad(`cannot undo Content-Encoding "${src.contentEncoding}": ${e.message}`); continue; }
      if (!got.equals(want)) {
        let i = 0;
        while (i < got.length && i < want.length && got[i] === want[i]) i++;
        bad(`decoded payload${src === c ? "" : ` of original ${src.id}`} (${got.length} bytes, status ${src.status}) differs from ${expFile} (${want.length} bytes) at byte ${i}`);
      }
    }
  }
}

const byType = {};
for (const r of all) byType[r.type] = (byType[r.type] || 0) + 1;
console.log(JSON.stringify({
  files: files.length,
  records: all.length,
  byType,
  responses: responses.map((r) => ({ uri: r.uri, file: r.file, offset: r.offset, status: r.status ?? null,
    payloadDigest: r.payloadDigest ?? null, truncated: r.truncated })),
  revisits: all.filter((r) => r.type === "revisit").map((r) => ({ uri: r.uri,
    refersToUri: r.h.get("WARC-Refers-To-Target-URI"), refersToDate: r.h.get("WARC-Refers-To-Date"),
    payloadDigest: r.payloadDigest ?? null })),
  cdxjLines,
  problems,
}, null, 2));
// exitCode, not exit(): exit() would cut off stdout written to a pipe.
process.exitCode = problems.length ? 1 : 0;
