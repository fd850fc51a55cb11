package org.mrine.serve;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The Lab Streaming Layer through its C API ({@code lsl_c.h} of liblsl 1.17), bound with the
 * Foreign Function &amp; Memory API: stream outlets, resolution by name or type, inlets.
 *
 * <p>The library is looked up, in order, at {@code $MRINE_LSL_LIB} (or the system property
 * {@code mrine.lsl.lib}), on the system's library path ({@code liblsl.so}, as a package manager
 * or the LSL releases install it), and in the cache that {@code native/lsl/build.sh} fills. When
 * none loads, {@link #library()} throws one {@link Unavailable} saying where to get it.
 *
 * <p>Time stamps are seconds of {@code lsl_local_clock()}, which on Linux is CLOCK_MONOTONIC, the
 * clock of {@link System#nanoTime()}: {@link #seconds(long)} converts.
 */
public final class Lsl {
    /** lsl_channel_format_t: cft_float32. */
    static final int CFT_FLOAT32 = 1;
    /** lsl_error_code_t values. */
    static final int NO_ERROR = 0, TIMEOUT = -1, LOST = -2;
    /** lsl_processing_options_t: proc_clocksync (remote time stamps mapped onto the local clock). */
    static final int PROC_CLOCKSYNC = 1;

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE;
    private static final ValueLayout ADDR = ValueLayout.ADDRESS;

    private static volatile Lsl instance;

    private final String path;
    final MethodHandle libraryVersion, localClock, lastError;
    final MethodHandle createStreaminfo, destroyStreaminfo, channelCount, nominalSrate, channelFormat, getName;
    final MethodHandle createOutlet, destroyOutlet, pushSampleFtp, haveConsumers, waitForConsumers;
    final MethodHandle resolveByprop;
    final MethodHandle createInlet, destroyInlet, openStream, setPostprocessing, pullSampleF, timeCorrection, getUid;

    private Lsl(String path, SymbolLookup lib) {
        this.path = path;
        Linker l = Linker.nativeLinker();
        libraryVersion = h(l, lib, "lsl_library_version", FunctionDescriptor.of(I32));
        localClock = h(l, lib, "lsl_local_clock", FunctionDescriptor.of(F64));
        lastError = h(l, lib, "lsl_last_error", FunctionDescriptor.of(ADDR));
        createStreaminfo = h(l, lib, "lsl_create_streaminfo", FunctionDescriptor.of(ADDR, ADDR, ADDR, I32, F64, I32, ADDR));
        destroyStreaminfo = h(l, lib, "lsl_destroy_streaminfo", FunctionDescriptor.ofVoid(ADDR));
        channelCount = h(l, lib, "lsl_get_channel_count", FunctionDescriptor.of(I32, ADDR));
        nominalSrate = h(l, lib, "lsl_get_nominal_srate", FunctionDescriptor.of(F64, ADDR));
        channelFormat = h(l, lib, "lsl_get_channel_format", FunctionDescriptor.of(I32, ADDR));
        getName = h(l, lib, "lsl_get_name", FunctionDescriptor.of(ADDR, ADDR));
        createOutlet = h(l, lib, "lsl_create_outlet", FunctionDescriptor.of(ADDR, ADDR, I32, I32));
        destroyOutlet = h(l, lib, "lsl_destroy_outlet", FunctionDescriptor.ofVoid(ADDR));
        pushSampleFtp = h(l, lib, "lsl_push_sample_ftp", FunctionDescriptor.of(I32, ADDR, ADDR, F64, I32));
        haveConsumers = h(l, lib, "lsl_have_consumers", FunctionDescriptor.of(I32, ADDR));
        waitForConsumers = h(l, lib, "lsl_wait_for_consumers", FunctionDescriptor.of(I32, ADDR, F64));
        resolveByprop = h(l, lib, "lsl_resolve_byprop", FunctionDescriptor.of(I32, ADDR, I32, ADDR, ADDR, I32, F64));
        createInlet = h(l, lib, "lsl_create_inlet", FunctionDescriptor.of(ADDR, ADDR, I32, I32, I32));
        destroyInlet = h(l, lib, "lsl_destroy_inlet", FunctionDescriptor.ofVoid(ADDR));
        openStream = h(l, lib, "lsl_open_stream", FunctionDescriptor.ofVoid(ADDR, F64, ADDR));
        setPostprocessing = h(l, lib, "lsl_set_postprocessing", FunctionDescriptor.of(I32, ADDR, I32));
        pullSampleF = h(l, lib, "lsl_pull_sample_f", FunctionDescriptor.of(F64, ADDR, ADDR, I32, F64, ADDR));
        timeCorrection = h(l, lib, "lsl_time_correction", FunctionDescriptor.of(F64, ADDR, F64, ADDR));
        getUid = h(l, lib, "lsl_get_uid", FunctionDescriptor.of(ADDR, ADDR));
    }

    private static MethodHandle h(Linker l, SymbolLookup lib, String name, FunctionDescriptor d) {
        MemorySegment sym = lib.find(name).orElseThrow(() -> new IllegalStateException("liblsl: symbol " + name + " not found (liblsl 1.14 or newer needed)"));
        return l.downcallHandle(sym, d);
    }

    /** The loaded library (loaded on first use); an IllegalStateException saying where to get it when absent. */
    public static Lsl library() {
        Lsl l = instance;
        if (l != null) return l;
        synchronized (Lsl.class) {
            if (instance == null) instance = load();
            return instance;
        }
    }

    /** Where the library is looked for, in order (for the message when none loads). */
    static List<String> candidates() {
        List<String> c = new ArrayList<>();
        String env = System.getenv("MRINE_LSL_LIB"), prop = System.getProperty("mrine.lsl.lib");
        if (prop != null && !prop.isBlank()) c.add(prop);
        if (env != null && !env.isBlank()) c.add(env);
        if (!c.isEmpty()) return c;  // an explicit choice is the only one tried
        c.add("liblsl.so");
        c.add("liblsl.so.2");
        c.add(cachedBuild().toString());
        return c;
    }

    /** Where native/lsl/build.sh puts the library: ${XDG_CACHE_HOME:-$HOME/.cache}/mrine/liblsl/COMMIT/liblsl.so. */
    static Path cachedBuild() {
        String cache = System.getenv("MRINE_CACHE");
        if (cache == null || cache.isBlank()) {
            String xdg = System.getenv("XDG_CACHE_HOME");
            cache = (xdg != null && !xdg.isBlank() ? xdg : System.getProperty("user.home") + "/.cache") + "/mrine";
        }
        return Path.of(cache, "liblsl", "64988c6", "liblsl.so");
    }

    private static Lsl load() {
        List<String> tried = new ArrayList<>();
        for (String c : candidates()) {
            boolean file = c.contains("/");
            if (file && !Files.isRegularFile(Path.of(c))) {
                tried.add(c + " (no such file)");
                continue;
            }
            try {
                SymbolLookup lib = file ? SymbolLookup.libraryLookup(Path.of(c), Arena.global()) : SymbolLookup.libraryLookup(c, Arena.global());
                return new Lsl(c, lib);
            } catch (IllegalArgumentException e) {
                tried.add(c + " (" + e.getMessage() + ")");
            }
        }
        throw new Unavailable("liblsl (Lab Streaming Layer) not found; tried " + String.join(", ", tried)
                + ". Install it (a package of your distribution, or a release of sccn/liblsl), build it with"
                + " native/lsl/build.sh, or set MRINE_LSL_LIB to the path of liblsl.so");
    }

    /** The file or name it was loaded from. */
    public String path() {
        return path;
    }

    /** lsl_library_version(): 117 for 1.17. */
    public int version() {
        try {
            return (int) libraryVersion.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** lsl_local_clock(): seconds on the clock LSL time stamps use. */
    public double localClock() {
        try {
            return (double) localClock.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A System.nanoTime() instant on LSL's clock (both are CLOCK_MONOTONIC on Linux). */
    public static double seconds(long nanoTime) {
        return nanoTime * 1e-9;
    }

    String lastError() {
        try {
            MemorySegment s = (MemorySegment) lastError.invokeExact();
            return s.equals(MemorySegment.NULL) ? "" : s.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    /** A float32 outlet: push one sample at a time with its time stamp, sent at once (pushthrough). */
    public static final class Outlet implements AutoCloseable {
        private final Lsl lsl;
        private final Arena arena = Arena.ofShared();
        private final MemorySegment handle, sample;
        private final int channels;

        /**
         * @param rateHz nominal rate (0: irregular)
         * @param sourceId a unique id: inlets recover a lost stream with the same id once it is back
         */
        public Outlet(String name, String type, int channels, double rateHz, String sourceId) {
            this.lsl = library();
            this.channels = channels;
            this.sample = arena.allocate(ValueLayout.JAVA_FLOAT, channels);
            try {
                MemorySegment info = (MemorySegment) lsl.createStreaminfo.invokeExact(arena.allocateFrom(name), arena.allocateFrom(type),
                        channels, rateHz, CFT_FLOAT32, arena.allocateFrom(sourceId));
                if (info.equals(MemorySegment.NULL)) throw new IllegalStateException("lsl_create_streaminfo failed: " + lsl.lastError());
                // chunk size 1 and pushthrough: a sample leaves as soon as it is pushed; 10 s of buffer per consumer
                handle = (MemorySegment) lsl.createOutlet.invokeExact(info, 1, 10);
                lsl.destroyStreaminfo.invokeExact(info);
                if (handle.equals(MemorySegment.NULL)) throw new IllegalStateException("lsl_create_outlet(" + name + ") failed: " + lsl.lastError());
            } catch (Throwable t) {
                arena.close();
                throw rethrow(t);
            }
        }

        public int channels() {
            return channels;
        }

        /** Pushes values[0..channels) with time stamp ts (seconds of lsl_local_clock); allocates nothing. */
        public void push(float[] values, double ts) {
            MemorySegment.copy(values, 0, sample, ValueLayout.JAVA_FLOAT, 0, channels);
            int ec;
            try {
                ec = (int) lsl.pushSampleFtp.invokeExact(handle, sample, ts, 1);
            } catch (Throwable t) {
                throw rethrow(t);
            }
            if (ec != NO_ERROR) throw new IllegalStateException("lsl_push_sample_ftp failed with error " + ec);
        }

        /** Waits up to timeout seconds for an inlet to connect; true when one has. */
        public boolean waitForConsumers(double timeout) {
            try {
                return (int) lsl.waitForConsumers.invokeExact(handle, timeout) != 0;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        @Override
        public void close() {
            try {
                lsl.destroyOutlet.invokeExact(handle);
            } catch (Throwable t) {
                throw rethrow(t);
            } finally {
                arena.close();
            }
        }
    }

    /** The description of a stream found by {@link #resolve}; the inlet is built from it. */
    /** uid: unique to one outlet's lifetime (a restarted source has a new one). */
    public record StreamInfo(String name, int channels, double rateHz, int format, String uid) {
    }

    /**
     * An inlet on the first stream whose property {@code prop} ("name", "type", "source_id") equals
     * value, or null when none answers within timeout seconds. Time stamps are mapped onto the local
     * clock (clock synchronization on).
     */
    public static Inlet resolve(String prop, String value, double timeout) {
        Lsl lsl = library();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(ValueLayout.ADDRESS, 1);
            int n = (int) lsl.resolveByprop.invokeExact(buf, 1, a.allocateFrom(prop), a.allocateFrom(value), 1, timeout);
            if (n <= 0) return null;
            MemorySegment info = buf.getAtIndex(ValueLayout.ADDRESS, 0);
            try {
                MemorySegment nameSeg = (MemorySegment) lsl.getName.invokeExact(info);
                MemorySegment uidSeg = (MemorySegment) lsl.getUid.invokeExact(info);
                StreamInfo si = new StreamInfo(nameSeg.reinterpret(4096).getString(0), (int) lsl.channelCount.invokeExact(info),
                        (double) lsl.nominalSrate.invokeExact(info), (int) lsl.channelFormat.invokeExact(info),
                        uidSeg.reinterpret(4096).getString(0));
                // 10 s of buffer, chunks as sent; no silent recovery: a lost stream is reported
                // (lsl_lost_error) and the caller resolves it again, which also finds a restarted
                // source that has no source id
                MemorySegment in = (MemorySegment) lsl.createInlet.invokeExact(info, 10, 0, 0);
                if (in.equals(MemorySegment.NULL)) throw new IllegalStateException("lsl_create_inlet(" + value + ") failed: " + lsl.lastError());
                return new Inlet(lsl, in, si);
            } finally {
                lsl.destroyStreaminfo.invokeExact(info);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A float32 inlet, read by one thread. */
    public static final class Inlet implements AutoCloseable {
        private final Lsl lsl;
        private final Arena arena = Arena.ofShared();
        private final MemorySegment handle, sample, ec;
        private final StreamInfo info;
        private int lastError;

        Inlet(Lsl lsl, MemorySegment handle, StreamInfo info) {
            this.lsl = lsl;
            this.handle = handle;
            this.info = info;
            this.sample = arena.allocate(ValueLayout.JAVA_FLOAT, Math.max(1, info.channels()));
            this.ec = arena.allocate(ValueLayout.JAVA_INT);
        }

        public StreamInfo info() {
            return info;
        }

        /**
         * Opens the connection (waits up to timeout seconds) with clock synchronization on, and
         * takes the first clock-offset estimate now (it takes a few round trips, up to a second),
         * so that the first pull does not stall the samples behind it; false on timeout.
         */
        public boolean open(double timeout) {
            try {
                int r = (int) lsl.setPostprocessing.invokeExact(handle, PROC_CLOCKSYNC);
                if (r != NO_ERROR) throw new IllegalStateException("lsl_set_postprocessing failed with error " + r);
                ec.set(ValueLayout.JAVA_INT, 0, 0);
                lsl.openStream.invokeExact(handle, timeout, ec);
                if (ec.get(ValueLayout.JAVA_INT, 0) != NO_ERROR) return false;
                double unused = (double) lsl.timeCorrection.invokeExact(handle, timeout, ec);
            } catch (Throwable t) {
                throw rethrow(t);
            }
            return ec.get(ValueLayout.JAVA_INT, 0) == NO_ERROR;
        }

        /**
         * Waits up to timeout seconds for one sample and copies it into out[0..channels): its time
         * stamp (seconds, local clock), or 0 when none came ({@link #lastError()} says why:
         * {@link #TIMEOUT} or {@link #LOST}). Allocates nothing.
         */
        public double pull(float[] out, double timeout) {
            double ts;
            try {
                ts = (double) lsl.pullSampleF.invokeExact(handle, sample, info.channels(), timeout, ec);
            } catch (Throwable t) {
                throw rethrow(t);
            }
            lastError = ec.get(ValueLayout.JAVA_INT, 0);
            if (ts == 0.0 || lastError != NO_ERROR) {
                if (lastError == NO_ERROR) lastError = TIMEOUT;
                return 0.0;
            }
            MemorySegment.copy(sample, ValueLayout.JAVA_FLOAT, 0, out, 0, info.channels());
            return ts;
        }

        public int lastError() {
            return lastError;
        }

        @Override
        public void close() {
            try {
                lsl.destroyInlet.invokeExact(handle);
            } catch (Throwable t) {
                throw rethrow(t);
            } finally {
                arena.close();
            }
        }
    }

    public static final int TIMEOUT_ERROR = TIMEOUT, LOST_ERROR = LOST;

    /** liblsl could not be loaded; the message says what was tried and where to get it. */
    public static final class Unavailable extends IllegalStateException {
        Unavailable(String message) {
            super(message);
        }
    }
}
