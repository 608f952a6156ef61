package io.fleetcrawl.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.PoolConfig;
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
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real DNS server on loopback (Netty's DNS codec over a UDP socket) counts the questions the
 * crawler's resolver asks: answers are cached up to the configured TTL, failures briefly.
 */
@Tag("integration")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DnsCacheIT {
  private final Map<String, AtomicInteger> questions = new ConcurrentHashMap<>();
  private DatagramSocket socket;
  private Thread server;

  @BeforeEach
  void startDns() throws Exception {
    socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    server = new Thread(this::serve, "test-dns");
    server.setDaemon(true);
    server.start();
  }

  @AfterEach
  void stopDns() throws Exception {
    socket.close();
    server.join(5_000);
  }

  /** Answers A questions for *.found.test with 127.0.0.1 (TTL 1 hour), everything else NXDOMAIN. */
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
        String name = question.name();
        questions
            .computeIfAbsent(name + " " + question.type().name(), k -> new AtomicInteger())
            .incrementAndGet();
        DatagramDnsResponse response = new DatagramDnsResponse(local, sender, query.id());
        response.addRecord(DnsSection.QUESTION, question);
        if (name.endsWith("found.test.")) {
          if (question.type() == DnsRecordType.A) {
            response.addRecord(
                DnsSection.ANSWER,
                new DefaultDnsRawRecord(
                    name,
                    DnsRecordType.A,
                    3600,
                    Unpooled.wrappedBuffer(new byte[] {127, 0, 0, 1})));
          }
        } else {
          response.setCode(DnsResponseCode.NXDOMAIN);
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

  private int asked(String name) {
    AtomicInteger n = questions.get(name + ". A");
    return n == null ? 0 : n.get();
  }

  @Test
  void answersAreCachedUpToTheTtlAndFailuresBriefly() throws Exception {
    PoolConfig config =
        new PoolConfig.Builder().keepAlive(false).dnsTtlSeconds(2).dnsNegativeTtlSeconds(2).build();
    var resolver =
        DnsCache.resolverOptions(config)
            .setServers(List.of("127.0.0.1:" + socket.getLocalPort()))
            .setHostsValue(Buffer.buffer("\n"))
            .setOptResourceEnabled(false)
            .setQueryTimeout(2_000);
    Vertx vertx = Vertx.vertx(new VertxOptions().setAddressResolverOptions(resolver));
    try (TestServer server = TestServer.start(vertx, o -> o.setHost("127.0.0.1"), null);
        Drive drive = new Drive(vertx, config)) {
      String url = "http://www.found.test:" + server.port() + "/";
      for (int i = 0; i < 5; i++) {
        assertEquals(200, drive.one(url).status());
      }
      assertEquals(1, asked("www.found.test"), "questions within the TTL: " + questions);
      for (int i = 0; i < 3; i++) {
        assertTrue(
            drive.one("http://nowhere.test:" + server.port() + "/").error().startsWith("dns:"));
      }
      assertEquals(
          1,
          asked("nowhere.test"),
          "questions for a failing name within the negative TTL: " + questions);
      Thread.sleep(2_500);
      assertEquals(200, drive.one(url).status());
      drive.one("http://nowhere.test:" + server.port() + "/");
      assertEquals(
          2, asked("www.found.test"), "a server TTL of 1 hour is capped at ours: " + questions);
      assertEquals(
          2,
          asked("nowhere.test"),
          "failures are asked again after the negative TTL: " + questions);
      assertEquals(5 + 1, server.requestCount());
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
