// Malformed input on the peer transport (docs/design.md 9): random and adversarial bytes through the
// FrameDecoder, the envelope decoder and the Raft message guard. Errors are values, nothing
// throws out, and the decoder never holds more than its cap plus the 4-byte header.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeEnvelope, encodeEnvelopePayload } from '../../../src/transport/envelope.js';
import { encodeFrame, FrameDecoder } from '../../../src/transport/frame.js';
import { MESSAGE_TYPES, parseMessage } from '../../../src/transport/message-guard.js';
import { runs } from './runs.js';

/** A 4-byte big-endian length header. */
function header(length: number): Uint8Array {
  const h = new Uint8Array(4);
  new DataView(h.buffer).setUint32(0, length >>> 0);
  return h;
}

/** Chunks mixing random bytes with headers that announce small, huge and zero lengths. */
const adversarialChunk = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.constantFrom(0, 1, 2, 255, 256, 1023, 1024, 1025, 0xffff_ffff, 0x7fff_ffff).map(header),
  fc.nat({ max: 2000 }).map(header),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => encodeFrame(b)),
);

test('FrameDecoder: random chunks never throw, buffered bytes stay within cap + 4, an error sticks', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1024 }),
      fc.array(adversarialChunk, { maxLength: 40 }),
      (cap, chunks) => {
        const d = new FrameDecoder(cap);
        let failed = false;
        for (const chunk of chunks) {
          const r = d.push(chunk);
          for (const f of r.frames)
            assert.ok(f.length >= 1 && f.length <= cap, `frame of ${f.length} with cap ${cap}`);
          assert.ok(d.bufferedBytes <= cap + 4, `${d.bufferedBytes} bytes buffered with cap ${cap}`);
          if (failed) {
            assert.notEqual(r.error, null, 'the decoder stays broken after an error');
            assert.equal(r.frames.length, 0);
          }
          if (r.error) failed = true;
        }
      },
    ),
    { numRuns: runs() },
  );
});

test('FrameDecoder: valid frames split at arbitrary points come out whole and in order', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 10 }),
      fc.array(fc.nat({ max: 50 }), { maxLength: 30 }),
      (payloads, cuts) => {
        const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)));
        const d = new FrameDecoder(256);
        const out: Buffer[] = [];
        let at = 0;
        for (const c of cuts) {
          const end = Math.min(stream.length, at + c);
          const r = d.push(stream.subarray(at, end));
          assert.equal(r.error, null);
          for (const f of r.frames) out.push(Buffer.from(f)); // copy: a frame may be a view
          at = end;
        }
        const r = d.push(stream.subarray(at));
        assert.equal(r.error, null);
        for (const f of r.frames) out.push(Buffer.from(f));
        assert.deepEqual(
          out,
          payloads.map((p) => Buffer.from(p)),
        );
        assert.equal(d.bufferedBytes, 0);
      },
    ),
    { numRuns: runs() },
  );
});

test('decodeEnvelope: random bytes and random JSON are refused as values, never thrown', () => {
  const payload = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.jsonValue({ maxDepth: 4 }).map((v) => new TextEncoder().encode(JSON.stringify(v) ?? 'null')),
    fc
      .record(
        {
          kind: fc.oneof(
            fc.string({ maxLength: 20 }),
            fc.constantFrom('raft', 'hello', 'hello-ok', 'hello-reject', ''),
          ),
          body: fc.jsonValue({ maxDepth: 3 }),
        },
        { requiredKeys: [] },
      )
      .map((v) => new TextEncoder().encode(JSON.stringify(v))),
  );
  fc.assert(
    fc.property(payload, (p) => {
      const r = decodeEnvelope(p);
      assert.equal(typeof r.ok, 'boolean');
      if (!r.ok) assert.equal(typeof r.reason, 'string');
    }),
    { numRuns: runs() },
  );
  // A well-formed envelope round-trips.
  const ok = decodeEnvelope(encodeEnvelopePayload('raft', { x: 1 }));
  assert.deepEqual(ok, { ok: true, value: { kind: 'raft', body: { x: 1 } } });
});

/** Field values a peer could send: right types, wrong types, out of range, huge, nested. */
const anyField = fc.oneof(
  fc.nat(),
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, -1, 1.5, Number.NaN, 1e308),
  fc.string({ maxLength: 10 }),
  fc.constantFrom('n1', 'n2', 'x'.repeat(200), ''),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
);
const entry = fc.record(
  {
    index: anyField,
    term: anyField,
    kind: fc.oneof(fc.constantFrom('normal', 'noop', 'conf', 'other'), anyField),
    data: anyField,
  },
  { requiredKeys: [] },
);
const message = fc.record(
  {
    type: fc.oneof(fc.constantFrom(...MESSAGE_TYPES), fc.string({ maxLength: 12 })),
    from: anyField,
    to: anyField,
    term: anyField,
    index: anyField,
    logTerm: anyField,
    commit: anyField,
    reject: anyField,
    readId: anyField,
    entries: fc.oneof(fc.array(entry, { maxLength: 4 }), anyField),
    snapshot: fc.oneof(
      fc.record(
        {
          meta: fc.record({
            index: anyField,
            term: anyField,
            conf: fc.record({
              voters: fc.oneof(fc.array(anyField, { maxLength: 4 }), anyField),
              learners: fc.array(anyField, { maxLength: 3 }),
            }),
          }),
          data: anyField,
        },
        { requiredKeys: [] },
      ),
      anyField,
    ),
    extra: anyField,
    __proto__: anyField,
  },
  { requiredKeys: ['type'] },
);

test('parseMessage: random and near-miss Raft messages are refused as values; accepted ones hold only known fields', () => {
  fc.assert(
    fc.property(fc.oneof(message, fc.jsonValue({ maxDepth: 4 })), (value) => {
      // Through JSON, as the wire delivers it.
      const wire: unknown = JSON.parse(JSON.stringify(value) ?? 'null');
      const r = parseMessage(wire);
      assert.equal(typeof r.ok, 'boolean');
      if (!r.ok) {
        assert.equal(typeof r.reason, 'string');
        return;
      }
      const m = r.value as unknown as Record<string, unknown>;
      assert.ok((MESSAGE_TYPES as readonly string[]).includes(String(m.type)));
      assert.equal(Object.prototype.hasOwnProperty.call(m, 'extra'), false, 'unknown fields are dropped');
      assert.equal(Object.getPrototypeOf(m), Object.prototype);
      for (const k of ['term', 'index', 'logTerm', 'commit', 'readId']) {
        if (k in m)
          assert.ok(
            Number.isSafeInteger(m[k]) && (m[k] as number) >= (k === 'index' ? -1 : 0),
            `${k}: ${String(m[k])}`,
          );
      }
    }),
    { numRuns: runs() },
  );
});
