package io.fleetcrawl.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A real DNS server on loopback for tests (Netty's DNS codec over a UDP socket): A questions are
 * answered by a function, every other type with an empty answer, and the questions are counted.
 */
public final class TestDns implements AutoCloseable {
  private final DatagramSocket socket;
  private final Thread server;
  private final Function<String, byte[]> answers;
  private final int ttlSeconds;
  private final Map<String, AtomicInteger> questions = new ConcurrentHashMap<>();

  private TestDns(Function<String, byte[]> answers, int ttlSeconds) throws Exception {
    this.answers = answers;
    this.ttlSeconds = ttlSeconds;
    socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    server = new Thread(this::serve, "test-dns");
    server.setDaemon(true);
    server.start();
  }

  /**
   * Starts a server.
   *
   * @param answers the IPv4 address (4 bytes) for a name given with its trailing dot, or null for
   *     NXDOMAIN; asked once per A question
   * @param ttlSeconds the TTL of every answer
   */
  public static TestDns start(Function<String, byte[]> answers, int ttlSeconds) throws Exception {
    return new TestDns(answers, ttlSeconds);
  }

  /** Returns {@code 127.0.0.1:PORT}, as a resolver's server list takes it. */
  public String address() {
    return "127.0.0.1:" + socket.getLocalPort();
  }

  /** Returns how many A questions were asked for a name (without the trailing dot). */
  public int asked(String name) {
    AtomicInteger n = questions.get(name + ".");
    return n == null ? 0 : n.get();
  }

  /** Returns every A question asked so far, by name, for failure messages. */
  public Map<String, AtomicInteger> questions() {
    return questions;
  }

  private void serve() {
    EmbeddedChannel codec =
        new EmbeddedChannel(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder());
    byte[] in = new byte[1500];
    while (!socket.isClosed()) {
      try {
        DatagramPacket packet = new DatagramPacket(in, in.length);
        socket.receive(packet);
        InetSocketAddress sender = (InetSocketAddress) packet.getSocketAddress();
        InetSocketAddress local = (InetSocketAddress) socket.getLocalSocketAddress();
        codec.writeInbound(
            new io.netty.channel.socket.DatagramPacket(
                Unpooled.copiedBuffer(in, 0, packet.getLength()), local, sender));
        DatagramDnsQuery query = codec.readInbound();
        DnsQuestion question = query.recordAt(DnsSection.QUESTION);
        DatagramDnsResponse response = new DatagramDnsResponse(local, sender, query.id());
        response.addRecord(DnsSection.QUESTION, question);
        if (question.type() == DnsRecordType.A) {
          questions.computeIfAbsent(question.name(), k -> new AtomicInteger()).incrementAndGet();
          byte[] address = answers.apply(question.name());
          if (address == null) {
            response.setCode(DnsResponseCode.NXDOMAIN);
          } else {
            response.addRecord(
                DnsSection.ANSWER,
                new DefaultDnsRawRecord(
                    question.name(), DnsRecordType.A, ttlSeconds, Unpooled.wrappedBuffer(address)));
          }
        }
        query.release();
        codec.writeOutbound(response);
        io.netty.channel.socket.DatagramPacket out = codec.readOutbound();
        ByteBuf content = out.content();
        byte[] bytes = new byte[content.readableBytes()];
        content.readBytes(bytes);
        out.release();
        socket.send(new DatagramPacket(bytes, bytes.length, sender));
      } catch (Exception e) {
        if (!socket.isClosed()) {
          e.printStackTrace();
        }
      }
    }
  }

  @Override
  public void close() throws Exception {
    socket.close();
    server.join(5_000);
  }
}
