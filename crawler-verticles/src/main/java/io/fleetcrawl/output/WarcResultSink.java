package io.fleetcrawl.output;

import com.hazelcast.core.HazelcastInstance;
import io.fleetcrawl.pool.Capture;
import io.fleetcrawl.pool.FetchOutcome;
import io.vertx.core.MultiMap;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.netpreserve.jwarc.MediaType;
import org.netpreserve.jwarc.MessageVersion;
import org.netpreserve.jwarc.WarcDigest;
import org.netpreserve.jwarc.WarcMetadata;
import org.netpreserve.jwarc.WarcRevisit;
import org.netpreserve.jwarc.Warcinfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Archives every exchange in WARC 1.1 files: per URL a {@code request}, a {@code response} (or a
 * {@code revisit} when the same payload was archived before in the crawl) and a {@code metadata}
 * record with the outlinks and timings; robots.txt fetches too. Each record is one gzip member, so
 * a reader can seek to any record. A file is written as {@code NAME.warc.gz.open}; when it reaches
 * the rotation size or the sink closes it is renamed to {@code NAME.warc.gz} and its CDXJ index
 * {@code NAME.warc.gz.cdxj} is written beside it, so a file without {@code .open} is always whole.
 *
 * <p>Records are built and compressed by the calling thread outside the sink's lock, so the workers
 * compress in parallel; only appending the bytes is serialised. A batch is never split across
 * files. When the disk refuses a batch, the file is cut back to its last whole record and the batch
 * is reported as not written.
 */
public final class WarcResultSink implements ResultSink {
  private static final Logger LOG = LoggerFactory.getLogger(WarcResultSink.class);

  /** What ends every WARC record after its block. */
  private static final byte[] RECORD_END = {'\r', '\n', '\r', '\n'};

  /** Each writing thread's SHA-1 (see {@link #sha1()}). */
  private static final ThreadLocal<MessageDigest> SHA1 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("SHA-1");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException("SHA-1 is missing from this JVM", e);
            }
          });

  /** Suffix of a file still being written. */
  public static final String OPEN_SUFFIX = ".open";

  static final String REVISIT_PROFILE =
      "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest";

  private final Path directory;
  private final String prefix;
  private final long rotateBytes;
  private final Map<String, List<String>> info;
  private final Pattern names;
  private volatile PayloadIndex payloads = PayloadIndex.local();

  private int sequence;
  private FileChannel channel;
  private Path openPath;
  private String fileName;
  private long size;
  private boolean hasCaptures;
  private List<String> index = new ArrayList<>();
  private long records;
  private long bytesWritten;
  private long revisits;

  /**
   * Opens the sink: finishes any file a killed process left open (cut back to its last whole
   * record, renamed and indexed), then starts a new file after the highest number present.
   *
   * @param directory where the files go; created if missing
   * @param prefix file name prefix, unique per node and crawl ({@code fleetcrawl-CRAWL-NODE})
   * @param rotateBytes size at which a file is closed and the next one started
   * @param info the {@code warcinfo} fields that open every file
   * @throws IOException naming the directory or file when it cannot be written
   */
  public WarcResultSink(
      Path directory, String prefix, long rotateBytes, Map<String, List<String>> info)
      throws IOException {
    if (rotateBytes < 1) {
      throw new IllegalArgumentException("invalid WARC rotation size: must be >= 1 byte");
    }
    this.directory = directory.toAbsolutePath();
    this.prefix = prefix;
    this.rotateBytes = rotateBytes;
    this.info = Map.copyOf(info);
    this.names = Pattern.compile(Pattern.quote(prefix) + "-(\\d{6,})\\.warc\\.gz(\\.open)?");
    try {
      Files.createDirectories(this.directory);
    } catch (IOException e) {
      throw new IOException("cannot create WARC directory " + this.directory + ": " + e, e);
    }
    for (Path left : ours(OPEN_SUFFIX)) {
      WarcRecovery.finish(left);
    }
    for (Path finished : ours(".warc.gz")) {
      if (!Files.exists(finished.resolveSibling(finished.getFileName() + ".cdxj"))) {
        WarcRecovery.reindex(finished);
      }
    }
    this.sequence = lastSequence();
    openNext();
  }

  /** Returns the {@code warcinfo} fields the crawler writes, in the order archivists read them. */
  public static Map<String, List<String>> info(
      String software, String node, String crawl, String userAgent, String robots) {
    Map<String, List<String>> fields = new LinkedHashMap<>();
    fields.put("software", List.of(software));
    fields.put("format", List.of("WARC File Format 1.1"));
    fields.put(
        "conformsTo",
        List.of("https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"));
    fields.put("isPartOf", List.of(crawl));
    fields.put("hostname", List.of(node));
    fields.put("http-header-user-agent", List.of(userAgent));
    fields.put("robots", List.of(robots));
    return fields;
  }

  @Override
  public void attach(HazelcastInstance hazelcast, String crawl) {
    payloads = PayloadIndex.shared(hazelcast, crawl);
  }

  @Override
  public List<SinkItem> write(List<SinkItem> batch) throws IOException {
    // Records are built and compressed here, by the calling worker's thread, outside the lock.
    List<Prepared> prepared = new ArrayList<>(batch.size());
    Set<String> digests = new HashSet<>();
    for (SinkItem item : batch) {
      Prepared p = null;
      if (item instanceof SinkItem.Page page && archivable(page.exchange())) {
        p = Prepared.of(page.result().url(), page.exchange(), page.result().outlinks());
      } else if (item instanceof SinkItem.Auxiliary aux && archivable(aux.exchange())) {
        p = Prepared.of(aux.url(), aux.exchange(), null);
      }
      prepared.add(p);
      if (p != null && p.dedupable()) {
        digests.add(p.digest().toString());
      }
    }
    Map<String, PayloadIndex.Original> known =
        digests.isEmpty() ? new HashMap<>() : new HashMap<>(payloads.lookup(digests));
    Map<String, PayloadIndex.Original> firsts = new HashMap<>();
    List<Built> built = new ArrayList<>(batch.size());
    for (Prepared p : prepared) {
      Built b = null;
      if (p != null) {
        String digest = p.digest().toString();
        PayloadIndex.Original previous = p.dedupable() ? known.get(digest) : null;
        // A revisit points back in time: a capture that started before the original finished
        // later is archived whole instead.
        if (previous != null && previous.date().isAfter(p.date())) {
          previous = null;
        }
        b = build(p, previous);
        if (p.dedupable() && previous == null && !known.containsKey(digest)) {
          PayloadIndex.Original original =
              new PayloadIndex.Original(b.recordId(), p.url(), p.date());
          known.put(digest, original);
          firsts.put(digest, original);
        }
      }
      built.add(b);
    }
    String file;
    long[] offsets = new long[built.size()];
    synchronized (this) {
      if (channel == null) {
        throw new IOException("WARC sink in " + directory + " is closed");
      }
      if (size >= rotateBytes) {
        finishFile();
        openNext();
      }
      file = fileName;
      List<ByteBuffer> out = new ArrayList<>(built.size());
      long at = size;
      for (int i = 0; i < built.size(); i++) {
        Built b = built.get(i);
        if (b == null) {
          continue;
        }
        offsets[i] = at + b.anchorOffset();
        out.add(ByteBuffer.wrap(b.bytes()));
        at += b.bytes().length;
      }
      append(out.toArray(ByteBuffer[]::new));
      for (int i = 0; i < built.size(); i++) {
        Built b = built.get(i);
        if (b != null) {
          index.add(b.cdxj(offsets[i], fileName));
          records += b.records();
          if (b.revisit()) {
            revisits++;
          }
          hasCaptures = true;
        }
      }
    }
    if (!firsts.isEmpty()) {
      // Only once the originals are written: a revisit never points at a record that is not there.
      registerOriginals(firsts);
    }
    List<SinkItem> annotated = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      SinkItem item = batch.get(i);
      Built b = built.get(i);
      if (b != null && item instanceof SinkItem.Page page) {
        annotated.add(page.with(page.result().archivedAt(file, offsets[i], b.digest())));
      } else {
        annotated.add(item);
      }
    }
    return annotated;
  }

  private static boolean archivable(FetchOutcome exchange) {
    return exchange != null && exchange.responded() && exchange.capture() != null;
  }

  /** The compressed records of one exchange, and what the index needs to know of them. */
  private record Built(
      String recordId,
      byte[] bytes,
      int records,
      long anchorOffset,
      long anchorLength,
      boolean revisit,
      String digest,
      String url,
      Instant date,
      int status,
      String mime) {
    String cdxj(long offset, String file) {
      return CdxjLine.format(
          url, date, status, revisit ? "warc/revisit" : mime, digest, offset, anchorLength, file);
    }
  }

  /** An exchange about to be archived, with what deciding between response and revisit needs. */
  private record Prepared(
      String url,
      FetchOutcome exchange,
      List<String> outlinks,
      byte[] raw,
      WarcDigest digest,
      Instant date,
      boolean dedupable) {
    static Prepared of(String url, FetchOutcome exchange, List<String> outlinks) {
      Capture capture = exchange.capture();
      byte[] raw = capture.raw().getBytes();
      // Empty and cut bodies are never deduplicated: their digest does not identify a payload.
      boolean dedupable = raw.length > 0 && !exchange.truncated() && capture.decodeError() == null;
      return new Prepared(
          url,
          exchange,
          outlinks,
          raw,
          sha1(raw, 0, raw.length),
          Instant.ofEpochMilli(capture.startedAt()),
          dedupable);
    }
  }

  private void registerOriginals(Map<String, PayloadIndex.Original> firsts) {
    try {
      payloads.register(firsts);
    } catch (RuntimeException e) {
      // The records are written; only later revisits of these payloads are lost.
      LOG.warn("payload digests not shared with the cluster: {}", e.toString());
    }
  }

  private Built build(Prepared prepared, PayloadIndex.Original previous) throws IOException {
    String url = prepared.url();
    FetchOutcome exchange = prepared.exchange();
    List<String> outlinks = prepared.outlinks();
    Capture capture = exchange.capture();
    Instant date = prepared.date();
    boolean h2 = "HTTP/2".equals(exchange.protocol());
    String protocol = h2 ? "h2" : "http/1.1";
    String ip = ipAddress(capture.ip());

    byte[] raw = prepared.raw();
    WarcDigest payloadDigest = prepared.digest();
    byte[] head = responseHead(exchange.status(), capture.reason(), capture.responseHeaders());
    String responseId = CaptureHeader.newRecordId();

    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length / 2 + 2048);
    long anchor;
    if (previous != null) {
      WarcRevisit.Builder revisit =
          new WarcRevisit.Builder(URI.create(url), URI.create(REVISIT_PROFILE))
              .version(MessageVersion.WARC_1_1)
              .recordId(URI.create(responseId))
              .date(date)
              .body(MediaType.HTTP_RESPONSE, head)
              .blockDigest(sha1(head, 0, head.length))
              .payloadDigest(payloadDigest)
              .refersTo(
                  URI.create(previous.recordId()), URI.create(previous.uri()), previous.date())
              .addHeader("WARC-Protocol", protocol);
      if (ip != null) {
        revisit.ipAddress(InetAddress.getByName(ip));
      }
      anchor = gzipMember(out, revisit.build().serializeHeader(), head);
    } else {
      String truncated = null;
      if (exchange.truncated()) {
        truncated = "length";
      } else if (capture.notStored() != null) {
        // The body was not read past the headers.
        truncated = "unspecified";
      }
      // The block is the head and the body as received, given to the compressor as two parts.
      byte[] header =
          CaptureHeader.write(
              "response",
              responseId,
              date,
              url,
              CaptureHeader.HTTP_RESPONSE,
              (long) head.length + raw.length,
              sha1(head, raw).prefixedBase32(),
              payloadDigest.prefixedBase32(),
              null,
              ip,
              protocol,
              truncated);
      anchor = gzipMember(out, header, head, raw);
    }
    long anchorLength = out.size() - anchor;

    byte[] requestBlock = requestHead(capture.requestTarget(), capture.requestHeaders());
    byte[] requestHeader =
        CaptureHeader.write(
            "request",
            CaptureHeader.newRecordId(),
            date,
            url,
            CaptureHeader.HTTP_REQUEST,
            requestBlock.length,
            sha1(requestBlock, 0, requestBlock.length).prefixedBase32(),
            null,
            responseId,
            ip,
            protocol,
            null);
    gzipMember(out, requestHeader, requestBlock);

    StringBuilder fields = new StringBuilder();
    fields.append("fetchTimeMs: ").append(exchange.fetchMs()).append("\r\n");
    if (capture.decodeError() != null) {
      fields.append("decodeError: ").append(oneLine(capture.decodeError())).append("\r\n");
    }
    if (capture.notStored() != null) {
      fields.append("notStored: ").append(oneLine(capture.notStored())).append("\r\n");
    }
    if (outlinks != null) {
      for (String link : outlinks) {
        fields.append("outlink: ").append(oneLine(link)).append("\r\n");
      }
    }
    byte[] metadataBlock = fields.toString().getBytes(StandardCharsets.UTF_8);
    byte[] metadataHeader =
        CaptureHeader.write(
            "metadata",
            CaptureHeader.newRecordId(),
            date,
            url,
            CaptureHeader.WARC_FIELDS,
            metadataBlock.length,
            sha1(metadataBlock, 0, metadataBlock.length).prefixedBase32(),
            null,
            responseId,
            null,
            null,
            null);
    gzipMember(out, metadataHeader, metadataBlock);
    return new Built(
        responseId,
        out.toByteArray(),
        3,
        anchor,
        anchorLength,
        previous != null,
        payloadDigest.toString(),
        url,
        date,
        exchange.status(),
        FetchOutcome.mediaTypeOf(exchange.contentType()));
  }

  /**
   * Returns the connected address as jwarc writes it: a dotted IPv4 address as it is; anything else
   * (IPv6, rare) formatted by jwarc itself, which compresses zeros as RFC 5952 says; null when none
   * was recorded.
   */
  static String ipAddress(String ip) throws IOException {
    if (ip == null) {
      return null;
    }
    if (dottedQuad(ip)) {
      return ip;
    }
    return new WarcMetadata.Builder()
        .ipAddress(InetAddress.getByName(ip))
        .build()
        .headers()
        .first("WARC-IP-Address")
        .orElse(ip);
  }

  private static boolean dottedQuad(String ip) {
    int dots = 0;
    int digits = 0;
    for (int i = 0; i < ip.length(); i++) {
      char c = ip.charAt(i);
      if (c == '.') {
        if (digits == 0) {
          return false;
        }
        dots++;
        digits = 0;
      } else if (c >= '0' && c <= '9' && digits < 3) {
        digits++;
      } else {
        return false;
      }
    }
    return dots == 3 && digits > 0;
  }

  /**
   * Writes a record as one gzip member of its own: its header, then the parts of its block, then
   * the record's closing blank lines. Returns the member's offset in {@code out}.
   */
  private static long gzipMember(ByteArrayOutputStream out, byte[] header, byte[]... block) {
    long offset = out.size();
    byte[][] parts = new byte[block.length + 2][];
    parts[0] = header;
    System.arraycopy(block, 0, parts, 1, block.length);
    parts[parts.length - 1] = RECORD_END;
    GzipMember.get().write(out, parts);
    return offset;
  }

  /** A value fit for one WARC-Fields line (normalised URLs never need the replacing). */
  private static String oneLine(String value) {
    return value.indexOf('\r') < 0 && value.indexOf('\n') < 0
        ? value
        : value.replace('\r', ' ').replace('\n', ' ');
  }

  private static byte[] responseHead(int status, String reason, MultiMap headers) {
    StringBuilder head = new StringBuilder(512);
    head.append("HTTP/1.1 ").append(status).append(' ').append(reason == null ? "" : reason);
    head.append("\r\n");
    for (Map.Entry<String, String> h : headers) {
      String name = h.getKey();
      // The body is stored de-chunked, so the framing header would lie; h2 pseudo-headers have
      // no HTTP/1.1 form.
      if (name.equalsIgnoreCase("Transfer-Encoding") || name.startsWith(":")) {
        continue;
      }
      head.append(name).append(": ").append(h.getValue()).append("\r\n");
    }
    head.append("\r\n");
    return head.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] requestHead(String target, MultiMap headers) {
    StringBuilder head = new StringBuilder(256);
    head.append("GET ").append(target).append(" HTTP/1.1\r\n");
    for (Map.Entry<String, String> h : headers) {
      head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
    }
    head.append("\r\n");
    return head.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  static WarcDigest sha1(byte[] head, byte[] body) {
    MessageDigest digest = sha1();
    digest.update(head);
    digest.update(body);
    return new WarcDigest(digest);
  }

  static WarcDigest sha1(byte[] bytes, int offset, int length) {
    MessageDigest digest = sha1();
    digest.update(bytes, offset, length);
    return new WarcDigest(digest);
  }

  /**
   * This thread's SHA-1, reset. Four digests a page: looking the algorithm up each time went
   * through the security providers and reflection, for nothing.
   */
  private static MessageDigest sha1() {
    MessageDigest digest = SHA1.get();
    digest.reset();
    return digest;
  }

  /** Appends the buffers with gathering writes, all or nothing. */
  private void append(ByteBuffer... buffers) throws IOException {
    long total = 0;
    for (ByteBuffer b : buffers) {
      total += b.remaining();
    }
    try {
      long left = total;
      while (left > 0) {
        left -= channel.write(buffers);
      }
      size += total;
      bytesWritten += total;
    } catch (IOException e) {
      // Cut the file back to its last whole record, so that what follows a freed disk is readable.
      try {
        channel.truncate(size);
        channel.position(size);
      } catch (IOException ignored) {
        // The write error below is the one to report.
      }
      throw new IOException("cannot write WARC file " + openPath + ": " + e.getMessage(), e);
    }
  }

  private void openNext() throws IOException {
    sequence++;
    fileName = String.format(Locale.ROOT, "%s-%06d.warc.gz", prefix, sequence);
    openPath = directory.resolve(fileName + OPEN_SUFFIX);
    try {
      channel =
          FileChannel.open(
              openPath,
              StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE,
              StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new IOException("cannot create WARC file " + openPath + ": " + e.getMessage(), e);
    }
    size = 0;
    hasCaptures = false;
    index = new ArrayList<>();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Warcinfo warcinfo =
        new Warcinfo.Builder()
            .version(MessageVersion.WARC_1_1)
            .date(Instant.now())
            .filename(fileName)
            .fields(info)
            .build();
    gzipMember(out, warcinfo.serializeHeader(), warcinfo.body().stream().readAllBytes());
    append(ByteBuffer.wrap(out.toByteArray()));
    records++;
  }

  /** Closes the open file, renames it to its final name and writes its index beside it. */
  private void finishFile() throws IOException {
    try {
      channel.force(true);
      channel.close();
    } catch (IOException e) {
      throw new IOException("cannot close WARC file " + openPath + ": " + e.getMessage(), e);
    }
    channel = null;
    if (!hasCaptures) {
      // Only the warcinfo record: nothing was archived, so no file is left behind.
      Files.deleteIfExists(openPath);
      return;
    }
    Path finalPath = directory.resolve(fileName);
    Files.move(openPath, finalPath, StandardCopyOption.ATOMIC_MOVE);
    CdxjLine.writeIndex(finalPath, index);
  }

  /** Returns this series' files whose names end with {@code suffix}, in order. */
  private List<Path> ours(String suffix) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(suffix))
          .filter(p -> names.matcher(p.getFileName().toString()).matches())
          .sorted()
          .toList();
    }
  }

  private int lastSequence() throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files
          .map(p -> names.matcher(p.getFileName().toString()))
          .filter(Matcher::matches)
          .mapToInt(m -> Integer.parseInt(m.group(1)))
          .max()
          .orElse(0);
    }
  }

  /** Returns the file being written now (with its {@code .open} suffix), or null once closed. */
  public synchronized Path openFile() {
    return channel == null ? null : openPath;
  }

  @Override
  public void share() {
    payloads.share();
  }

  @Override
  public synchronized Map<String, Object> status() {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("warcDirectory", directory.toString());
    if (channel != null) {
      status.put("warcFile", openPath.toString());
    }
    status.put("warcRecords", records);
    status.put("warcRevisits", revisits);
    status.put("warcBytes", bytesWritten);
    status.put("warcDeflate", GzipMember.ENGINE);
    status.putAll(payloads.status());
    return status;
  }

  /** Finishes the open file (renamed and indexed). Idempotent. */
  @Override
  public synchronized void close() throws IOException {
    try {
      if (channel != null) {
        finishFile();
      }
    } finally {
      payloads.close();
    }
  }
}
