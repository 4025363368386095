import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeFrameError, encodeFrame, FrameDecoder } from '../../../src/transport/frame.js';

const text = new TextEncoder();
const fromText = new TextDecoder();

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function header(length: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, length);
  return bytes;
}

/** Feeds `stream` in the given chunk sizes (cycled) and returns every payload as text. */
function decodeInChunks(decoder: FrameDecoder, stream: Uint8Array, sizes: readonly number[]): string[] {
  const out: string[] = [];
  let offset = 0;
  for (let i = 0; offset < stream.length; i++) {
    const size = sizes[i % sizes.length] as number;
    const result = decoder.push(stream.subarray(offset, offset + size));
    assert.equal(result.error, null);
    out.push(...result.frames.map((f) => fromText.decode(f)));
    offset += size;
  }
  return out;
}

describe('FrameDecoder', () => {
  const payloads = ['a', 'hello', 'x'.repeat(1000), '{"kind":"raft"}', 'é€😀'];
  const stream = concat(payloads.map((p) => encodeFrame(text.encode(p))));

  test('a frame is a big-endian u32 length followed by the payload', () => {
    assert.deepEqual([...encodeFrame(text.encode('hi'))], [0, 0, 0, 2, 104, 105]);
  });

  test('frames merged into one chunk all come out, in order', () => {
    assert.deepEqual(decodeInChunks(new FrameDecoder(), stream, [stream.length]), payloads);
  });

  test('frames split byte by byte come out whole', () => {
    assert.deepEqual(decodeInChunks(new FrameDecoder(), stream, [1]), payloads);
  });

  test('any chunking of the stream gives the same frames', () => {
    for (const sizes of [[2], [3, 7], [5, 1, 4], [999], [1001, 3], [4]]) {
      assert.deepEqual(
        decodeInChunks(new FrameDecoder(), stream, sizes),
        payloads,
        `chunk sizes ${sizes.join(',')}`,
      );
    }
  });

  test('a frame of exactly the cap passes; one byte more is refused at its header', () => {
    const decoder = new FrameDecoder(10);
    const ok = decoder.push(encodeFrame(new Uint8Array(10).fill(7)));
    assert.equal(ok.error, null);
    assert.equal(ok.frames.length, 1);
    const tooLarge = decoder.push(header(11));
    assert.deepEqual(tooLarge.error, { reason: 'too-large', length: 11, max: 10 });
    assert.equal(decoder.bufferedBytes, 0, 'nothing is buffered for a refused frame');
  });

  test('an oversized length is refused before any of its body arrives', () => {
    const decoder = new FrameDecoder(1024);
    assert.deepEqual(decoder.push(header(0xffffffff).subarray(0, 3)).error, null);
    const result = decoder.push(header(0xffffffff).subarray(3));
    assert.ok(result.error);
    assert.match(describeFrameError(result.error), /4294967295 bytes exceeds the cap of 1024/);
  });

  test('never holds more than cap + 4 bytes, and grows with what actually arrived', () => {
    const cap = 300_000;
    const decoder = new FrameDecoder(cap);
    const frame = encodeFrame(new Uint8Array(cap).fill(1));
    let peak = 0;
    for (let offset = 0; offset < frame.length; offset += 4096) {
      const result = decoder.push(frame.subarray(offset, offset + 4096));
      assert.equal(result.error, null);
      if (result.frames.length === 0) peak = Math.max(peak, decoder.bufferedBytes);
      if (offset === 4096)
        assert.ok(decoder.bufferedBytes < cap / 2, 'a trickled frame is not allocated at once');
      assert.ok(decoder.bufferedBytes <= cap + 4);
    }
    assert.ok(peak <= cap + 4 && peak > 0);
    assert.equal(decoder.bufferedBytes, 0, 'a completed frame is released');
  });

  test('a zero length is refused; frames before it in the chunk are still returned', () => {
    const decoder = new FrameDecoder();
    const result = decoder.push(
      concat([encodeFrame(text.encode('ok')), header(0), encodeFrame(text.encode('late'))]),
    );
    assert.deepEqual(
      result.frames.map((f) => fromText.decode(f)),
      ['ok'],
    );
    assert.deepEqual(result.error, { reason: 'zero-length' });
  });

  test('once broken, the decoder stays broken', () => {
    const decoder = new FrameDecoder(8);
    decoder.push(header(9));
    const after = decoder.push(encodeFrame(text.encode('fine')));
    assert.equal(after.frames.length, 0);
    assert.equal(after.error?.reason, 'too-large');
  });

  test('a new cap applies from the next header on', () => {
    const decoder = new FrameDecoder(4);
    assert.equal(decoder.push(encodeFrame(text.encode('1234'))).frames.length, 1);
    decoder.setMaxFrameBytes(100);
    assert.equal(decoder.push(encodeFrame(text.encode('x'.repeat(100)))).frames.length, 1);
  });

  test('caps outside 1..2^32-1 and empty payloads are programming errors', () => {
    assert.throws(() => new FrameDecoder(0), RangeError);
    assert.throws(() => new FrameDecoder(2 ** 32), RangeError);
    assert.throws(() => encodeFrame(new Uint8Array(0)), RangeError);
  });
});
