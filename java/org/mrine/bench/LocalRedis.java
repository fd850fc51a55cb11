package org.mrine.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A throw-away {@code redis-server} on a free loopback port, without persistence
 * ({@code --save '' --appendonly no}), for tests and benchmarks; stopped by {@link #close}.
 * {@link #stop} and {@link #start} on the same port let a test cut the connection of a running
 * node. When no redis-server is installed, {@link #launch} fails with a line saying how to get one.
 */
public final class LocalRedis implements AutoCloseable {
    private final String binary;
    private final int port;
    private final Path dir;
    private Process process;

    private LocalRedis(String binary, int port, Path dir) {
        this.binary = binary;
        this.port = port;
        this.dir = dir;
    }

    /** Starts a server on a free port. */
    public static LocalRedis launch() {
        String bin = find();
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            LocalRedis r = new LocalRedis(bin, port, Files.createTempDirectory("mrine-redis"));
            r.start();
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String find() {
        String env = System.getenv("MRINE_REDIS_SERVER");
        if (env != null && !env.isBlank()) return env;
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "redis-server");
            if (Files.isExecutable(p)) return p.toString();
        }
        for (String p : List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server")) {
            if (Files.isExecutable(Path.of(p))) return p;
        }
        throw new IllegalStateException("redis-server not found on PATH (Debian: apt-get install -y redis-server; or set MRINE_REDIS_SERVER)");
    }

    public int port() {
        return port;
    }

    public String url(String stream) {
        return "redis://127.0.0.1:" + port + "/" + stream;
    }

    /** (Re)starts the server on its port and waits until it answers PING. */
    public synchronized void start() {
        if (process != null) return;
        try {
            process = new ProcessBuilder(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--daemonize", "no", "--dir", dir.toString(), "--loglevel", "warning")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + binary + ": " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (Jedis j = new Jedis("127.0.0.1", port)) {
                if ("PONG".equals(j.ping())) return;
            } catch (JedisException e) {
                if (!process.isAlive()) throw new IllegalStateException("redis-server on port " + port + " exited: " + log());
                if (System.nanoTime() > deadline) throw new IllegalStateException("redis-server on port " + port + " did not answer within 20 s: " + log());
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted");
                }
            }
        }
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("redis.log")).trim();
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** Stops the server (its data goes with it: no persistence). */
    public synchronized void stop() {
        if (process == null) return;
        process.destroy();  // SIGTERM: redis-server shuts down (nothing to save)
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    @Override
    public void close() {
        stop();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) Files.deleteIfExists(p);
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // a temporary folder left behind is harmless
        }
    }
}
