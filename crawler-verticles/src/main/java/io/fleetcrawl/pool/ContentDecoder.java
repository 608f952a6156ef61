package io.fleetcrawl.pool;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.DecoderJNI;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Decodes a response body's {@code Content-Encoding} as it arrives, under a hard cap on decoded
 * bytes. The crawler turns Vert.x's own decompression off so that archives hold the body exactly as
 * received; link extraction still needs the decoded body, and a decompression bomb must not cost
 * more memory than the cap plus a constant: every coding inflates through a fixed 16 KiB scratch
 * buffer, asks for no more than the room left, and stops decoding as soon as the cap is reached.
 *
 * <p>Malformed data never throws: it ends decoding, {@link #failed()} turns true and {@link
 * #error()} says why, while what was decoded before stays available. Not thread-safe: one decoder
 * belongs to one exchange on one event loop.
 */
public final class ContentDecoder implements AutoCloseable {
  /**
   * More codings than this are refused: each holds an inflater or a native brotli decoder, so a
   * header listing hundreds would cost memory far beyond the cap.
   */
  static final int MAX_CODINGS = 4;

  private static final int SCRATCH = 16 * 1024;
  private static final byte[] EMPTY = new byte[0];

  private final Output output;

  /** The stages in wire order: the first decodes the last coding the server applied. */
  private final List<Stage> stages;

  private final boolean identity;
  private final boolean supported;
  private String error;
  private boolean failed;
  private boolean finished;
  private boolean closed;

  private ContentDecoder(int maxDecodedBytes, boolean identity, String unsupported) {
    this.output = new Output(maxDecodedBytes);
    this.stages = new ArrayList<>();
    this.identity = identity;
    this.supported = unsupported == null;
    this.error = unsupported;
  }

  /**
   * Returns a decoder for a response's {@code Content-Encoding} header, so that the caller never
   * has to know which codings exist: an absent header or {@code identity} passes bytes through, an
   * unknown coding gives a decoder that decodes nothing and says why in {@link #error()}.
   *
   * @param contentEncodingHeader the header's value, possibly a list such as {@code "gzip, br"}
   *     (applied left to right by the server, so decoded right to left); null when absent
   * @param maxDecodedBytes how many decoded bytes are kept at most
   * @throws IllegalArgumentException when {@code maxDecodedBytes} is negative
   */
  public static ContentDecoder forEncoding(String contentEncodingHeader, int maxDecodedBytes) {
    if (maxDecodedBytes < 0) {
      throw new IllegalArgumentException("maxDecodedBytes < 0: " + maxDecodedBytes);
    }
    List<String> codings = new ArrayList<>();
    if (contentEncodingHeader != null) {
      for (String token : contentEncodingHeader.split(",", -1)) {
        String coding = token.strip().toLowerCase(Locale.ROOT);
        if (!coding.isEmpty() && !coding.equals("identity")) {
          codings.add(coding);
        }
      }
    }
    if (codings.isEmpty()) {
      return new ContentDecoder(maxDecodedBytes, true, null);
    }
    if (codings.size() > MAX_CODINGS) {
      return new ContentDecoder(
          maxDecodedBytes, false, "too many content codings: " + codings.size());
    }
    for (String coding : codings) {
      switch (coding) {
        case "gzip", "x-gzip", "deflate" -> {}
        case "br" -> {
          if (!brotliAvailable()) {
            return new ContentDecoder(
                maxDecodedBytes, false, "br: native brotli library unavailable");
          }
        }
        default -> {
          return new ContentDecoder(
              maxDecodedBytes, false, "unsupported content coding: " + printable(coding));
        }
      }
    }
    ContentDecoder decoder = new ContentDecoder(maxDecodedBytes, false, null);
    // Built from the output backwards, as each stage writes into the one after it.
    Sink next = decoder.output;
    List<Stage> reversed = new ArrayList<>();
    for (String coding : codings) {
      Stage stage;
      try {
        stage =
            switch (coding) {
              case "br" -> new BrotliStage(decoder, next);
              case "deflate" -> new DeflateStage(decoder, next);
              default -> new GzipStage(decoder, next);
            };
      } catch (IOException | RuntimeException | LinkageError e) {
        reversed.forEach(Stage::stop);
        decoder.fail(coding + ": decoder unavailable (" + e.getMessage() + ")");
        return decoder;
      }
      reversed.add(stage);
      next = stage;
    }
    for (int i = reversed.size() - 1; i >= 0; i--) {
      decoder.stages.add(reversed.get(i));
    }
    return decoder;
  }

  /**
   * Whether {@code br} can be decoded here, so that the crawler advertises it in {@code
   * Accept-Encoding} only where its native library loads.
   */
  public static boolean brotliAvailable() {
    return BrotliLibrary.AVAILABLE;
  }

  /**
   * Whether the body has no coding at all, so that the caller can use the raw bytes as the decoded
   * body instead of holding them twice.
   */
  public boolean identity() {
    return identity;
  }

  /**
   * Whether every coding is one this class decodes; when not, nothing is decoded and the caller
   * keeps only the raw bytes, recording {@link #error()} as the reason.
   */
  public boolean supported() {
    return supported;
  }

  /**
   * Decodes one chunk as it arrives from the network, so that no raw body has to be buffered for
   * decoding. Chunks after the cap was reached, after {@link #finish()}, {@link #close()} or a
   * failure are ignored. The array is not kept after this returns.
   *
   * @throws IndexOutOfBoundsException when {@code off} and {@code len} lie outside {@code raw} (a
   *     caller's bug; malformed data never throws)
   */
  public void feed(byte[] raw, int off, int len) {
    Objects.checkFromIndexSize(off, len, raw.length);
    if (len == 0 || finished || closed || !supported || failed) {
      return;
    }
    if (identity) {
      output.write(raw, off, len);
      return;
    }
    stages.get(0).write(raw, off, len);
  }

  /**
   * Ends the body, so that a stream cut short is told apart from a complete one ({@link #failed()}
   * with "unexpected end of stream"), and releases the inflaters and native memory at once. An
   * empty body is not an error: responses to HEAD and 304s carry the header without a body.
   * Idempotent.
   */
  public void finish() {
    if (finished || closed) {
      return;
    }
    finished = true;
    for (Stage stage : stages) {
      stage.finish();
    }
  }

  /**
   * Returns the decoded bytes, exactly {@link #decodedLength()} long. The decoder's own array is
   * returned (copied only to trim it), since a body may be megabytes: callers must not modify it
   * while still feeding.
   */
  public byte[] decoded() {
    return output.trimmed();
  }

  /** How many decoded bytes are held, at most the cap. */
  public long decodedLength() {
    return output.length;
  }

  /**
   * Whether the decoded body went on past the cap, so that the caller can stop the transfer early
   * and mark the record as cut; the bytes past the cap were never decoded.
   */
  public boolean truncated() {
    return output.truncated;
  }

  /** Whether the encoded data was malformed or ended early, with the reason in {@link #error()}. */
  public boolean failed() {
    return failed;
  }

  /**
   * Why decoding failed or was not attempted, short enough for an archive's metadata; null when all
   * is well.
   */
  public String error() {
    return error;
  }

  /**
   * Releases inflaters and native brotli memory on every path, including timeouts and resets that
   * never reach {@link #finish()}; the decoded bytes stay readable. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Stage stage : stages) {
      stage.stop();
    }
  }

  private void fail(String message) {
    if (!failed) {
      failed = true;
      error = message;
    }
  }

  /** An attacker-chosen header value goes into archive metadata: keep it short and printable. */
  private static String printable(String value) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < value.length() && out.length() < 40; i++) {
      char c = value.charAt(i);
      out.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return value.length() > 40 ? out + "..." : out.toString();
  }

  /** Loads brotli4j's native library once, on first use of {@code br}. */
  private static final class BrotliLibrary {
    static final boolean AVAILABLE = load();

    private static boolean load() {
      try {
        Brotli4jLoader.ensureAvailability();
        return true;
      } catch (LinkageError | RuntimeException e) {
        return false;
      }
    }
  }

  /** Where a stage writes what it decoded: the next stage, or the capped output. */
  private interface Sink {
    /** How many bytes can be taken now; 0 when a write would only tell whether more exists. */
    int room();

    /** Takes bytes; false once this sink wants no more (full, finished or failed). */
    boolean write(byte[] b, int off, int len);
  }

  /**
   * The decoded body, never longer than the cap. Its array grows by doubling up to the cap, so a
   * small page costs little while a bomb ends with an array of exactly the cap; while growing, the
   * previous array (at most half the new one) is briefly held too.
   */
  private static final class Output implements Sink {
    private final int cap;
    private byte[] buffer = EMPTY;
    private int length;
    private boolean truncated;

    Output(int cap) {
      this.cap = cap;
    }

    @Override
    public int room() {
      return truncated ? 0 : cap - length;
    }

    @Override
    public boolean write(byte[] b, int off, int len) {
      if (truncated) {
        return false;
      }
      int take = Math.min(len, cap - length);
      if (take > 0) {
        if (length + take > buffer.length) {
          long grown = Math.max(length + take, Math.max(8 * 1024, 2L * buffer.length));
          buffer = Arrays.copyOf(buffer, (int) Math.min(cap, grown));
        }
        System.arraycopy(b, off, buffer, length, take);
        length += take;
      }
      if (take < len) {
        truncated = true;
        return false;
      }
      return true;
    }

    byte[] trimmed() {
      if (buffer.length != length) {
        buffer = length == 0 ? EMPTY : Arrays.copyOf(buffer, length);
      }
      return buffer;
    }
  }

  /**
   * One coding. A stage that stops (its stream ended, it failed, or the sink after it wants no
   * more) releases its native resources at once and ignores further input.
   */
  private abstract static class Stage implements Sink {
    final ContentDecoder owner;
    final Sink next;
    final String name;
    final byte[] scratch = new byte[SCRATCH];
    boolean stopped;
    boolean sawInput;

    Stage(ContentDecoder owner, Sink next, String name) {
      this.owner = owner;
      this.next = next;
      this.name = name;
    }

    @Override
    public final int room() {
      return stopped ? 0 : Integer.MAX_VALUE;
    }

    @Override
    public final boolean write(byte[] b, int off, int len) {
      if (stopped) {
        return false;
      }
      if (len > 0) {
        sawInput = true;
        try {
          decode(b, off, len);
        } catch (RuntimeException e) {
          fail("corrupt stream (" + e.getClass().getSimpleName() + ")");
        }
      }
      return !stopped;
    }

    /** Consumes all of the input before returning (or stops): the caller may reuse the array. */
    abstract void decode(byte[] b, int off, int len);

    /** Whether the stream ended properly (an empty body counts as ended). */
    abstract boolean complete();

    abstract void release();

    final void finish() {
      if (!stopped && sawInput && !complete()) {
        fail("unexpected end of stream");
      }
      stop();
    }

    final void stop() {
      if (!stopped) {
        stopped = true;
        release();
      }
    }

    final void fail(String what) {
      owner.fail(name + ": " + what);
      stop();
    }

    /**
     * How many bytes to decode next: never more than the sink's room, but at least one, so that a
     * full sink learns whether the body goes on past the cap by decoding a single byte.
     */
    final int want() {
      return Math.min(scratch.length, Math.max(1, next.room()));
    }

    /** Passes decoded bytes on; false (and stopped) when the sink wants no more. */
    final boolean emit(int len) {
      if (!next.write(scratch, 0, len)) {
        stop();
        return false;
      }
      return true;
    }

    /**
     * Inflates {@code b[off, end)} until the input is used up, the deflate stream ends or the stage
     * stops, and returns the offset of the first byte not consumed (past the deflate stream's end).
     */
    final int inflate(Inflater inflater, CRC32 crc, byte[] b, int off, int end) {
      inflater.setInput(b, off, end - off);
      while (!stopped) {
        long read = inflater.getBytesRead();
        int n;
        try {
          n = inflater.inflate(scratch, 0, want());
        } catch (DataFormatException e) {
          fail("corrupt data");
          return end;
        }
        if (n > 0) {
          if (crc != null) {
            crc.update(scratch, 0, n);
          }
          emit(n);
        } else if (inflater.finished()) {
          return end - inflater.getRemaining();
        } else if (inflater.needsInput()) {
          return end;
        } else if (inflater.needsDictionary()) {
          fail("preset dictionary not supported");
        } else if (inflater.getBytesRead() == read) {
          fail("corrupt data");
        }
      }
      return end;
    }
  }

  /** RFC 1952, header fields allowed to arrive split across chunks, members decoded in turn. */
  private static final class GzipStage extends Stage {
    private static final int FHCRC = 0x02;
    private static final int FEXTRA = 0x04;
    private static final int FNAME = 0x08;
    private static final int FCOMMENT = 0x10;

    private enum State {
      HEADER,
      EXTRA_LENGTH,
      EXTRA,
      NAME,
      COMMENT,
      HEADER_CRC,
      DATA,
      TRAILER,
      DONE
    }

    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private final CRC32 headerCrc = new CRC32();
    private final byte[] field = new byte[10];
    private int fieldLength;
    private State state = State.HEADER;
    private int flags;
    private int extraLeft;
    private int members;

    GzipStage(ContentDecoder owner, Sink next) {
      super(owner, next, "gzip");
    }

    @Override
    void decode(byte[] b, int off, int len) {
      int end = off + len;
      while (off < end && !stopped) {
        switch (state) {
          case HEADER -> off = header(b, off, end);
          case EXTRA_LENGTH -> {
            off = collect(b, off, end, 2, true);
            if (fieldLength == 2) {
              extraLeft = (field[0] & 0xff) | (field[1] & 0xff) << 8;
              fieldLength = 0;
              state = State.EXTRA;
            }
          }
          case EXTRA -> {
            int n = Math.min(extraLeft, end - off);
            headerCrc.update(b, off, n);
            off += n;
            extraLeft -= n;
            if (extraLeft == 0) {
              state = afterHeaderField(State.EXTRA);
            }
          }
          case NAME, COMMENT -> off = skipZeroTerminated(b, off, end);
          case HEADER_CRC -> {
            off = collect(b, off, end, 2, false);
            if (fieldLength == 2) {
              int expected = (field[0] & 0xff) | (field[1] & 0xff) << 8;
              if (expected != (int) (headerCrc.getValue() & 0xffff)) {
                fail("header crc mismatch");
              }
              fieldLength = 0;
              state = State.DATA;
            }
          }
          case DATA -> {
            off = inflate(inflater, crc, b, off, end);
            if (!stopped && inflater.finished()) {
              state = State.TRAILER;
            }
          }
          case TRAILER -> off = trailer(b, off, end);
          case DONE -> {
            stop();
            return;
          }
        }
      }
      if (state == State.DONE) {
        stop();
      }
    }

    private int header(byte[] b, int off, int end) {
      if (fieldLength == 0) {
        headerCrc.reset();
      }
      off = collect(b, off, end, 10, true);
      // After a member, anything that is not another member is trailing garbage, ignored.
      boolean magic = (field[0] & 0xff) == 0x1f && (fieldLength < 2 || (field[1] & 0xff) == 0x8b);
      if (!magic) {
        if (members > 0) {
          state = State.DONE;
        } else {
          fail("invalid header");
        }
        return end;
      }
      if (fieldLength < 10) {
        return off;
      }
      fieldLength = 0;
      if ((field[2] & 0xff) != 8) {
        fail("unsupported compression method " + (field[2] & 0xff));
        return end;
      }
      flags = field[3] & 0xff;
      if ((flags & 0xe0) != 0) {
        fail("invalid header flags");
        return end;
      }
      state = afterHeaderField(State.HEADER);
      return off;
    }

    /** The optional header field following {@code current}, or the data when none is left. */
    private State afterHeaderField(State current) {
      if (current.ordinal() < State.EXTRA_LENGTH.ordinal() && (flags & FEXTRA) != 0) {
        return State.EXTRA_LENGTH;
      }
      if (current.ordinal() < State.NAME.ordinal() && (flags & FNAME) != 0) {
        return State.NAME;
      }
      if (current.ordinal() < State.COMMENT.ordinal() && (flags & FCOMMENT) != 0) {
        return State.COMMENT;
      }
      if (current.ordinal() < State.HEADER_CRC.ordinal() && (flags & FHCRC) != 0) {
        return State.HEADER_CRC;
      }
      return State.DATA;
    }

    private int skipZeroTerminated(byte[] b, int off, int end) {
      int start = off;
      while (off < end && b[off] != 0) {
        off++;
      }
      boolean terminated = off < end;
      if (terminated) {
        off++;
      }
      headerCrc.update(b, start, off - start);
      if (terminated) {
        state = afterHeaderField(state);
      }
      return off;
    }

    private int trailer(byte[] b, int off, int end) {
      off = collect(b, off, end, 8, false);
      if (fieldLength < 8) {
        return off;
      }
      fieldLength = 0;
      if (intLe(0) != (int) crc.getValue()) {
        fail("crc mismatch");
        return end;
      }
      if (intLe(4) != (int) inflater.getBytesWritten()) {
        fail("size mismatch");
        return end;
      }
      members++;
      inflater.reset();
      crc.reset();
      state = State.HEADER;
      return off;
    }

    /** Gathers a fixed-size field that may arrive split over several chunks. */
    private int collect(byte[] b, int off, int end, int size, boolean inHeaderCrc) {
      int n = Math.min(size - fieldLength, end - off);
      System.arraycopy(b, off, field, fieldLength, n);
      if (inHeaderCrc) {
        headerCrc.update(b, off, n);
      }
      fieldLength += n;
      return off + n;
    }

    private int intLe(int at) {
      return (field[at] & 0xff)
          | (field[at + 1] & 0xff) << 8
          | (field[at + 2] & 0xff) << 16
          | (field[at + 3] & 0xff) << 24;
    }

    @Override
    boolean complete() {
      // Between members: a header not yet started, or trailing garbage too short to be one.
      return state == State.DONE || (state == State.HEADER && members > 0);
    }

    @Override
    void release() {
      inflater.end();
    }
  }

  /**
   * RFC 9110's deflate is zlib-wrapped, but many servers send raw deflate: the first two bytes tell
   * which, as browsers do.
   */
  private static final class DeflateStage extends Stage {
    private final byte[] head = new byte[2];
    private int headLength;
    private Inflater inflater;
    private boolean done;

    DeflateStage(ContentDecoder owner, Sink next) {
      super(owner, next, "deflate");
    }

    @Override
    void decode(byte[] b, int off, int len) {
      int end = off + len;
      if (inflater == null) {
        int n = Math.min(2 - headLength, len);
        System.arraycopy(b, off, head, headLength, n);
        headLength += n;
        off += n;
        if (headLength < 2) {
          return;
        }
        int cmf = head[0] & 0xff;
        int flg = head[1] & 0xff;
        boolean zlib = (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
        inflater = new Inflater(!zlib);
        inflate(inflater, null, head, 0, 2);
        if (stopped || checkDone()) {
          return;
        }
      }
      inflate(inflater, null, b, off, end);
      checkDone();
    }

    /** Bytes after the deflate stream's end are ignored, as browsers do. */
    private boolean checkDone() {
      if (!stopped && inflater.finished()) {
        done = true;
        stop();
      }
      return done;
    }

    @Override
    boolean complete() {
      return done;
    }

    @Override
    void release() {
      if (inflater != null) {
        inflater.end();
      }
    }
  }

  /**
   * Brotli through brotli4j's streaming decoder: input is pushed in pieces of its native input
   * buffer and output pulled in pieces no larger than the room left, so the cap holds. The native
   * decoder's own ring buffer is bounded by the stream's window (at most 16 MiB), not by the body.
   */
  private static final class BrotliStage extends Stage {
    private final DecoderJNI.Wrapper decoder;
    private boolean done;
    private int emptyPulls;

    BrotliStage(ContentDecoder owner, Sink next) throws IOException {
      super(owner, next, "br");
      this.decoder = new DecoderJNI.Wrapper(SCRATCH);
    }

    @Override
    void decode(byte[] b, int off, int len) {
      int end = off + len;
      while (off < end && !stopped) {
        ByteBuffer input = decoder.getInputBuffer();
        input.clear();
        int n = Math.min(end - off, input.remaining());
        input.put(b, off, n);
        off += n;
        decoder.push(n);
        drain();
      }
    }

    /** Pulls output until the decoder wants more input, ends, fails or the stage stops. */
    private void drain() {
      while (!stopped) {
        switch (decoder.getStatus()) {
          case NEEDS_MORE_OUTPUT -> pull();
          case OK -> decoder.push(0);
          case NEEDS_MORE_INPUT -> {
            if (!decoder.hasOutput()) {
              return;
            }
            pull();
          }
          case DONE -> {
            if (!decoder.hasOutput()) {
              // Bytes after the end of the stream are ignored.
              done = true;
              stop();
              return;
            }
            pull();
          }
          default -> fail("corrupt stream");
        }
      }
    }

    private void pull() {
      ByteBuffer out = decoder.pull(want());
      int n = out.remaining();
      out.get(scratch, 0, n);
      if (n > 0) {
        emptyPulls = 0;
        emit(n);
      } else if (++emptyPulls > 3) {
        // Never seen; guards the event loop against a native decoder that stops making progress.
        fail("decoder stalled");
      }
    }

    @Override
    boolean complete() {
      return done;
    }

    @Override
    void release() {
      decoder.destroy();
    }
  }
}
