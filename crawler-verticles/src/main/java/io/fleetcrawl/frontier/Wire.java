package io.fleetcrawl.frontier;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The frontier's binary form on plain {@link DataOutput}s: the same bytes whether Hazelcast is
 * copying an entry to a backup (its {@code ObjectDataOutput} is a {@code DataOutput}) or the state
 * store is saving it to disk, so one format serves both and a saved entry reads back on any member.
 */
final class Wire {
  private Wire() {}

  static void writeString(DataOutput out, String value) throws IOException {
    if (value == null) {
      out.writeInt(-1);
      return;
    }
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  static String readString(DataInput in) throws IOException {
    int length = in.readInt();
    if (length < 0) {
      return null;
    }
    byte[] bytes = new byte[length];
    in.readFully(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  static void writeBytes(DataOutput out, byte[] value) throws IOException {
    out.writeInt(value.length);
    out.write(value);
  }

  static byte[] readBytes(DataInput in) throws IOException {
    byte[] bytes = new byte[in.readInt()];
    in.readFully(bytes);
    return bytes;
  }

  static void writeLongs(DataOutput out, long[] values) throws IOException {
    if (values == null) {
      out.writeInt(-1);
      return;
    }
    out.writeInt(values.length);
    if (out instanceof Sink sink) {
      sink.writeLongs(values);
      return;
    }
    for (long v : values) {
      out.writeLong(v);
    }
  }

  static long[] readLongs(DataInput in) throws IOException {
    int length = in.readInt();
    if (length < 0) {
      return null;
    }
    long[] values = new long[length];
    for (int i = 0; i < length; i++) {
      values[i] = in.readLong();
    }
    return values;
  }

  /**
   * A growable byte array written big-endian, as {@link java.io.DataOutputStream} would, without
   * its per-byte synchronised calls: a key's state is saved several times a second, and its seen
   * set alone is tens of thousands of longs.
   */
  static final class Sink implements DataOutput {
    private byte[] bytes;
    private int size;

    Sink(int capacity) {
      bytes = new byte[Math.max(capacity, 16)];
    }

    byte[] toByteArray() {
      return java.util.Arrays.copyOf(bytes, size);
    }

    int size() {
      return size;
    }

    void writeTo(Sink other) {
      other.write(bytes, 0, size);
    }

    private void ensure(int more) {
      if (size + more > bytes.length) {
        bytes = java.util.Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
      }
    }

    void writeLongs(long[] values) {
      ensure(values.length * 8);
      java.nio.ByteBuffer.wrap(bytes, size, values.length * 8).asLongBuffer().put(values);
      size += values.length * 8;
    }

    @Override
    public void write(int b) {
      ensure(1);
      bytes[size++] = (byte) b;
    }

    @Override
    public void write(byte[] b) {
      write(b, 0, b.length);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      ensure(len);
      System.arraycopy(b, off, bytes, size, len);
      size += len;
    }

    @Override
    public void writeBoolean(boolean v) {
      write(v ? 1 : 0);
    }

    @Override
    public void writeByte(int v) {
      write(v);
    }

    @Override
    public void writeShort(int v) {
      write(v >>> 8);
      write(v);
    }

    @Override
    public void writeChar(int v) {
      writeShort(v);
    }

    @Override
    public void writeInt(int v) {
      ensure(4);
      bytes[size++] = (byte) (v >>> 24);
      bytes[size++] = (byte) (v >>> 16);
      bytes[size++] = (byte) (v >>> 8);
      bytes[size++] = (byte) v;
    }

    @Override
    public void writeLong(long v) {
      writeInt((int) (v >>> 32));
      writeInt((int) v);
    }

    @Override
    public void writeFloat(float v) {
      writeInt(Float.floatToIntBits(v));
    }

    @Override
    public void writeDouble(double v) {
      writeLong(Double.doubleToLongBits(v));
    }

    @Override
    public void writeBytes(String s) {
      for (int i = 0; i < s.length(); i++) {
        write(s.charAt(i));
      }
    }

    @Override
    public void writeChars(String s) {
      for (int i = 0; i < s.length(); i++) {
        writeChar(s.charAt(i));
      }
    }

    @Override
    public void writeUTF(String s) {
      // Modified UTF-8 caps a string at 64 KiB; the frontier's form uses writeString instead.
      throw new UnsupportedOperationException("the frontier's binary form has no writeUTF");
    }
  }
}
