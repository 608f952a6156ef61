package io.fleetcrawl.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.network.NetworkPolicy;
import io.vertx.core.Future;
import java.net.InetAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TargetGuardTest {
  private final AtomicLong now = new AtomicLong(5_000_000_000L);
  private final AtomicInteger asked = new AtomicInteger();
  private final Deque<String> answers = new ArrayDeque<>();
  private final NetworkPolicy policy = NetworkPolicy.of(false, List.of("127.0.0.51/32"));

  private TargetGuard guard(int dnsTtlSeconds) {
    return new TargetGuard(
        policy,
        host -> {
          asked.incrementAndGet();
          try {
            return Future.succeededFuture(InetAddress.getByName(answers.removeFirst()));
          } catch (Exception e) {
            return Future.failedFuture(e);
          }
        },
        now::get,
        dnsTtlSeconds);
  }

  private TargetGuard.Target target(TargetGuard guard, String host) {
    return guard.target(host, 80).result();
  }

  @Test
  void literalsAreCheckedWithoutAskingTheResolver() {
    TargetGuard guard = guard(300);
    assertFalse(target(guard, "169.254.169.254").allowed());
    assertFalse(target(guard, "::ffff:10.0.0.1").allowed());
    assertTrue(target(guard, "127.0.0.51").allowed());
    assertTrue(target(guard, "93.184.216.34").allowed());
    assertEquals(0, asked.get());
  }

  @Test
  void rebindingIsRefusedAtTheAnswerThatPointsInside() {
    answers.addAll(List.of("127.0.0.51", "10.0.0.1"));
    TargetGuard guard = guard(300);
    TargetGuard.Target first = target(guard, "rebind.example");
    assertTrue(first.allowed());
    assertEquals("rebind.example", first.server().hostName());
    assertEquals("127.0.0.51", first.server().hostAddress());
    // Within the hold, the checked address is used again: no second answer is asked for.
    now.addAndGet(TargetGuard.MAX_HOLD_NANOS - 1);
    assertEquals(first, target(guard, "rebind.example"));
    now.addAndGet(1);
    assertFalse(target(guard, "rebind.example").allowed());
    assertEquals(2, asked.get());
  }

  @Test
  void dnsTtlOfZeroAsksOnEveryFetch() {
    answers.addAll(List.of("127.0.0.51", "127.0.0.51", "127.0.0.51"));
    TargetGuard guard = guard(0);
    for (int i = 0; i < 3; i++) {
      assertTrue(target(guard, "site.example").allowed());
    }
    assertEquals(3, asked.get());
  }

  @Test
  void aLookUpWhoseAnswerNeverCameIsAskedAgainButNotOneThatWasAnswered() {
    AtomicInteger lookups = new AtomicInteger();
    Deque<Throwable> failures = new ArrayDeque<>();
    TargetGuard guard =
        new TargetGuard(
            policy,
            host -> {
              lookups.incrementAndGet();
              Throwable failure = failures.pollFirst();
              if (failure != null) {
                return Future.failedFuture(failure);
              }
              try {
                return Future.succeededFuture(InetAddress.getByName("127.0.0.9"));
              } catch (Exception e) {
                return Future.failedFuture(e);
              }
            },
            now::get,
            60);
    // As Netty reports a query that timed out: UnknownHostException caused by the timeout.
    java.util.function.Supplier<Throwable> timedOut =
        () ->
            new java.net.UnknownHostException("Failed to resolve 'lost.test' after 2 queries")
                .initCause(
                    new io.netty.resolver.dns.DnsNameResolverTimeoutException(
                        new java.net.InetSocketAddress("127.0.0.1", 53),
                        new io.netty.handler.codec.dns.DefaultDnsQuestion(
                            "lost.test.", io.netty.handler.codec.dns.DnsRecordType.A),
                        "query timed out after 5000 milliseconds"));
    failures.add(timedOut.get());
    failures.add(timedOut.get());
    assertEquals("127.0.0.9", target(guard, "lost.test").address().getHostAddress());
    assertEquals(3, lookups.get(), "asked twice more after two lost answers");

    // Three lost answers in a row: the fetch fails after the third.
    failures.add(timedOut.get());
    failures.add(timedOut.get());
    failures.add(timedOut.get());
    lookups.set(0);
    assertTrue(guard.target("lost2.test", 80).failed());
    assertEquals(3, lookups.get());

    // An answer that the name does not exist is final.
    failures.add(new java.net.UnknownHostException("no such name"));
    lookups.set(0);
    assertTrue(guard.target("none.test", 80).failed());
    assertEquals(1, lookups.get());
  }
}
