package io.fleetcrawl.frontier;

/** 64-bit fingerprints of normalised URLs: what the seen sets store instead of the URLs. */
public final class Fingerprint {
  private Fingerprint() {}

  /**
   * Returns the 64-bit fingerprint of a URL. Collisions among 10 million URLs have a probability of
   * about 3e-6, which a crawler can afford: the cost is one page not fetched.
   */
  public static long of(String url) {
    long h = 0x9E3779B97F4A7C15L;
    for (int i = 0; i < url.length(); i++) {
      h = (h ^ url.charAt(i)) * 0x100000001B3L;
    }
    return mix(h ^ url.length());
  }

  /** The MurmurHash3 finaliser: spreads every input bit over the whole word. */
  static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
    z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return z ^ (z >>> 33);
  }
}
